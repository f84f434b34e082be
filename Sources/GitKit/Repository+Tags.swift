import CLibGit2
import Foundation

/// A tag and the commit it marks.
public struct Tag: Sendable, Equatable, Codable {
    /// The tag's name without "refs/tags/".
    public let name: String
    /// The commit the tag marks (annotated tags peeled).
    public let targetID: ObjectID
    /// What refs/tags/NAME points at: the tag object for an annotated tag, else the commit.
    public let tagID: ObjectID
    /// True for an annotated tag (a tag object with tagger and message).
    public let isAnnotated: Bool
    /// The annotated tag's message as stored (normally ending in a newline); nil for a lightweight tag.
    public let message: String?
    /// Who made the annotated tag, and when; nil for a lightweight tag.
    public let tagger: Signature?
}

/// A tag read with `readTag(named:maxObjectBytes:)`: the tag, or why it cannot be read.
public enum TagEntry: Sendable, Equatable {
    /// A tag that marks a commit, read within the limit.
    case tag(Tag)
    /// A tag whose object is over the limit, missing, cannot be parsed, or is a chain of tags
    /// longer than `Repository.maxTagChain`: its name and the reason.
    case unreadable(name: String, reason: String)
}

extension Repository {
    /// Creates annotated tag `name` on commit `target`; never overwrites an existing tag.
    ///
    /// The message is cleaned up as `git tag -m` does (trailing whitespace removed, one final
    /// newline), so trailers read back with `git interpret-trailers`. An invalid or existing
    /// name is a `GitError` with exit status 2. `tagger` defaults like `setNote`'s author.
    @discardableResult
    public func createTag(
        _ name: String, target: ObjectID, message: String, tagger: Signature? = nil
    ) throws -> Tag {
        try Repository.validateTagName(name)
        if try reference("refs/tags/\(name)") != nil { throw Repository.tagExists(name) }
        var oid = target.raw
        var object: OpaquePointer?
        let lookup = git_object_lookup(&object, handle, &oid, GIT_OBJECT_COMMIT)
        if lookup < 0 {
            throw GitError.last(
                code: lookup, operation: "tag \(target.short) as '\(name)'", location: target.hex,
                hint: "tag a commit that exists in this repository", exitStatus: .badInput)
        }
        defer { git_object_free(object) }
        var cleaned = git_buf()
        defer { git_buf_dispose(&cleaned) }
        try check(
            git_message_prettify(&cleaned, message, 0, CChar(UInt8(ascii: "#"))), "clean up the tag message")
        let signature = try SignatureHandle(tagger, repository: handle)
        var tagOID = git_oid()
        let code = git_tag_create(&tagOID, handle, name, object, signature.raw, cleaned.ptr, 0)
        // Someone may have created the tag between our check and now; libgit2 refuses then too.
        if code == GIT_EEXISTS.rawValue { throw Repository.tagExists(name) }
        try check(code, "create tag '\(name)'", location: name)
        return try tag(named: name)
    }

    /// The most tag objects one tag may chain (a tag of a tag of … a commit) before its commit.
    public static let maxTagChain = 16

    /// Every tag's name, sorted by name like `git tag -l`; no tag object is read.
    public func tagNames() throws -> [String] {
        try tagReferences().map(\.name)
    }

    /// Every tag's name (without `refs/tags/`) and the object its reference points at, sorted
    /// by name; no tag object is read.
    public func tagReferences() throws -> [ReferenceEntry] {
        try references(withPrefix: "refs/tags/").map {
            ReferenceEntry(name: String($0.name.dropFirst("refs/tags/".count)), id: $0.id)
        }
    }

    /// The tag called `name` read as a collaborator's tag must be: the size of each tag object
    /// on the way to the commit is checked from the object's header (`git_odb_read_header`,
    /// nothing inflated) before the object is read, so a tag object over `maxObjectBytes` costs
    /// no more than a small one. Nil when there is no such tag or it marks a tree or a blob.
    public func readTag(named name: String, maxObjectBytes limit: Int) throws -> TagEntry? {
        guard let tagID = try reference("refs/tags/\(name)") else { return nil }
        return try readTag(ReferenceEntry(name: name, id: tagID), maxObjectBytes: limit)
    }

    /// The tag `reference` (from `tagReferences()`) read as `readTag(named:maxObjectBytes:)` reads it.
    public func readTag(_ reference: ReferenceEntry, maxObjectBytes limit: Int) throws -> TagEntry? {
        let (name, tagID) = (reference.name, reference.id)
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, handle), "open the object database")
        defer { git_odb_free(odb) }
        var current = tagID
        var outer: (message: String, tagger: Signature?)?
        for _ in 0...Repository.maxTagChain {
            var oid = current.raw
            var size = 0
            var type = GIT_OBJECT_INVALID
            let header = git_odb_read_header(&size, &type, odb, &oid)
            if header < 0 {
                let error = GitError.last(code: header, operation: "read tag object \(current.short)")
                return .unreadable(
                    name: name, reason: "its object \(current.short) cannot be read (\(error.message))")
            }
            switch type {
            case GIT_OBJECT_COMMIT:
                return .tag(
                    Tag(
                        name: name, targetID: current, tagID: tagID, isAnnotated: outer != nil,
                        message: outer?.message, tagger: outer?.tagger ?? nil))
            case GIT_OBJECT_TAG:
                guard size <= limit else {
                    return .unreadable(
                        name: name,
                        reason:
                            "its tag object \(current.short) is \(size) bytes; a tag is at most \(limit) bytes"
                    )
                }
                var object: OpaquePointer?
                let lookup = git_object_lookup(&object, handle, &oid, GIT_OBJECT_TAG)
                if lookup < 0 {
                    let error = GitError.last(code: lookup, operation: "read tag object \(current.short)")
                    return .unreadable(
                        name: name,
                        reason: "its tag object \(current.short) cannot be parsed (\(error.message))")
                }
                defer { git_object_free(object) }
                // A git_object of type tag is a git_tag; its strings live as long as `object`.
                if outer == nil {
                    outer = (
                        git_tag_message(object).map { String(cString: $0) } ?? "",
                        git_tag_tagger(object).map { Signature($0) }
                    )
                }
                current = ObjectID(git_tag_target_id(object))
            default:
                return nil  // a tag of a tree or a blob: not a commit tag
            }
        }
        return .unreadable(name: name, reason: "it is a chain of more than \(Repository.maxTagChain) tags")
    }

    /// The tag called `name`, read whole; a `GitError` (exit 2) when there is none or it does not
    /// mark a commit. For tags this repository made: a collaborator's tag is read with
    /// `readTag(named:maxObjectBytes:)`.
    public func tag(named name: String) throws -> Tag {
        try Repository.validateReferenceName("refs/tags/\(name)")
        switch try readTag(named: name, maxObjectBytes: .max) {
        case .tag(let tag)?:
            return tag
        case .unreadable(_, let reason)?:
            throw GitError(
                operation: "read tag '\(name)'", message: reason, location: name, exitStatus: .badInput)
        case nil:
            let exists = try reference("refs/tags/\(name)") != nil
            throw GitError(
                operation: "read tag '\(name)'", code: exists ? 0 : GIT_ENOTFOUND.rawValue,
                message: exists ? "the tag does not mark a commit" : "there is no such tag",
                location: name, hint: exists ? nil : "list tags with 'git tag -l'", exitStatus: .badInput)
        }
    }

    private static func validateTagName(_ name: String) throws {
        var valid: Int32 = 0
        try check(git_tag_name_is_valid(&valid, name), "check tag name '\(name)'")
        guard valid == 1 else {
            throw GitError(
                operation: "create tag '\(name)'", code: GIT_EINVALIDSPEC.rawValue,
                message: "'\(name)' is not a valid tag name", location: name,
                hint:
                    "use letters, digits, '.', '-', '_', '/', '@' or '#' (no spaces, '..', '~', '^', ':', '?', '*', '[', or a leading '-')",
                exitStatus: .badInput)
        }
    }

    private static func tagExists(_ name: String) -> GitError {
        GitError(
            operation: "create tag '\(name)'", code: GIT_EEXISTS.rawValue, message: "the tag already exists",
            location: name,
            hint:
                "choose another name; tags are never moved (delete it with 'git tag -d \(name)' only if nobody uses it)",
            exitStatus: .badInput)
    }
}
