import CLibGit2
import Foundation

/// A reference and the object it resolves to.
public struct ReferenceEntry: Sendable, Equatable, Codable {
    /// The full name, e.g. "refs/heads/main".
    public let name: String
    /// The object it points to (symbolic references resolved).
    public let id: ObjectID

    /// Makes an entry (mostly for callers building expectations).
    public init(name: String, id: ObjectID) {
        self.name = name
        self.id = id
    }
}

extension Repository {
    /// The object `name` ("refs/heads/main", "HEAD") resolves to, or nil when there is no such reference.
    public func reference(_ name: String) throws -> ObjectID? {
        var oid = git_oid()
        let code = git_reference_name_to_id(&oid, handle, name)
        if code == GIT_ENOTFOUND.rawValue || code == GIT_EUNBORNBRANCH.rawValue { return nil }
        if code == GIT_EINVALIDSPEC.rawValue { throw Repository.invalidReferenceName(name, code: code) }
        try check(code, "read reference '\(name)'", location: name)
        return ObjectID(oid)
    }

    /// Every reference whose full name starts with `prefix` ("refs/tags/"), sorted by name.
    ///
    /// Symbolic references are resolved; ones pointing nowhere are left out.
    public func references(withPrefix prefix: String) throws -> [ReferenceEntry] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_new(&iterator, handle), "list references")
        defer { git_reference_iterator_free(iterator) }
        var result: [ReferenceEntry] = []
        while true {
            var reference: OpaquePointer?
            let code = git_reference_next(&reference, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            try check(code, "list references")
            defer { git_reference_free(reference) }
            let name = String(cString: git_reference_name(reference))
            guard name.hasPrefix(prefix) else { continue }
            var resolved: OpaquePointer?
            guard git_reference_resolve(&resolved, reference) == 0 else { continue }
            defer { git_reference_free(resolved) }
            if let target = git_reference_target(resolved) {
                result.append(ReferenceEntry(name: name, id: ObjectID(target)))
            }
        }
        return result.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// Points reference `name` at `id`, only if it still points at `expected` (nil: only if it does not exist).
    ///
    /// A compare-and-swap: when someone else moved, created or locked the reference meanwhile,
    /// this throws a `GitError` whose `isConcurrentModification` is true and changes nothing.
    public func updateReference(
        _ name: String, to id: ObjectID, expecting expected: ObjectID?, message: String = "modelgate"
    ) throws {
        let code = tryUpdateReference(name, to: id, expecting: expected, message: message)
        guard code < 0 else { return }
        if code == GIT_EINVALIDSPEC.rawValue { throw Repository.invalidReferenceName(name, code: code) }
        let moved =
            code == GIT_EMODIFIED.rawValue || code == GIT_EEXISTS.rawValue || code == GIT_ELOCKED.rawValue
        throw GitError.last(
            code: code, operation: "update reference '\(name)'", location: name,
            hint: moved ? "another process changed it at the same time; read it again and retry" : nil)
    }

    /// Deletes reference `name` if it still points at `expected`; false when it does not exist.
    @discardableResult
    public func deleteReference(_ name: String, expecting expected: ObjectID) throws -> Bool {
        var reference: OpaquePointer?
        let code = git_reference_lookup(&reference, handle, name)
        if code == GIT_ENOTFOUND.rawValue { return false }
        if code == GIT_EINVALIDSPEC.rawValue { throw Repository.invalidReferenceName(name, code: code) }
        try check(code, "read reference '\(name)'", location: name)
        defer { git_reference_free(reference) }
        guard let target = git_reference_target(reference), ObjectID(target) == expected else {
            throw GitError(
                operation: "delete reference '\(name)'", code: GIT_EMODIFIED.rawValue,
                message: "it no longer points at \(expected.short)", location: name,
                hint: "another process changed it at the same time; read it again and retry")
        }
        // libgit2 deletes only if the reference still has the value it had at lookup.
        try check(git_reference_delete(reference), "delete reference '\(name)'", location: name)
        return true
    }

    /// The libgit2 result of a compare-and-swap update, for callers that retry on a race.
    func tryUpdateReference(_ name: String, to id: ObjectID, expecting expected: ObjectID?, message: String)
        -> Int32
    {
        var newOID = id.raw
        var out: OpaquePointer?
        defer { git_reference_free(out) }
        // libgit2 checks "old value" under the ref's lock, but git_reference_create(force: 0)
        // checks existence *before* taking the lock, so two creators can both "win" and the
        // second silently overwrites the first. The all-zero old id means "must not exist" and
        // is checked under the lock, like git's own update-ref with a zero old value.
        var oldOID = (expected ?? .zero).raw
        let code = git_reference_create_matching(&out, handle, name, &newOID, 1, &oldOID, message)
        // Expecting a value of a reference someone deleted meanwhile is a lost race too.
        return code == GIT_ENOTFOUND.rawValue && expected != nil ? GIT_EMODIFIED.rawValue : code
    }

    /// A bad-input error for a reference name git would not accept.
    static func invalidReferenceName(_ name: String, code: Int32 = GIT_EINVALIDSPEC.rawValue) -> GitError {
        GitError(
            operation: "use reference '\(name)'", code: code,
            message: "'\(name)' is not a valid reference name", location: name,
            hint:
                "see 'git check-ref-format --help': no spaces, '..', '~', '^', ':', '?', '*', '[' or trailing '.lock'",
            exitStatus: .badInput)
    }

    /// Throws unless `name` is a full reference name git accepts.
    static func validateReferenceName(_ name: String) throws {
        var valid: Int32 = 0
        try check(git_reference_name_is_valid(&valid, name), "check reference name '\(name)'")
        guard valid == 1 else { throw invalidReferenceName(name) }
    }
}

extension GitError {
    /// True when a compare-and-swap failed because someone else changed or locked the reference.
    public var isConcurrentModification: Bool {
        code == GIT_EMODIFIED.rawValue || code == GIT_ELOCKED.rawValue
            || (code == GIT_EEXISTS.rawValue && operation.hasPrefix("update reference"))
    }
}
