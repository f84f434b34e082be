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

    /// All tags that mark commits, sorted by name like `git tag -l`.
    ///
    /// Tags of trees or blobs (rare, never made by modelgate) are left out.
    public func tags() throws -> [Tag] {
        var names = git_strarray()
        try check(git_tag_list(&names, handle), "list tags")
        defer { git_strarray_dispose(&names) }
        let list = (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }
        return try list.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { name in
            do {
                return try tag(named: name)
            } catch let error as GitError where error.exitStatus == .badInput {
                return nil  // not a commit tag
            }
        }
    }

    /// The tag called `name`; a `GitError` (exit 2) when there is none or it does not mark a commit.
    public func tag(named name: String) throws -> Tag {
        let refName = "refs/tags/\(name)"
        try Repository.validateReferenceName(refName)
        guard let tagID = try reference(refName) else {
            throw GitError(
                operation: "read tag '\(name)'", code: GIT_ENOTFOUND.rawValue,
                message: "there is no such tag",
                location: name, hint: "list tags with 'git tag -l'", exitStatus: .badInput)
        }
        var oid = tagID.raw
        var object: OpaquePointer?
        try check(
            git_object_lookup(&object, handle, &oid, GIT_OBJECT_ANY), "read tag '\(name)'", location: name)
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        let peelCode = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
        if peelCode < 0 {
            throw GitError(
                operation: "read tag '\(name)'", code: peelCode, message: "the tag does not mark a commit",
                location: name, exitStatus: .badInput)
        }
        defer { git_object_free(peeled) }
        let targetID = ObjectID(git_object_id(peeled))
        guard git_object_type(object) == GIT_OBJECT_TAG else {
            return Tag(
                name: name, targetID: targetID, tagID: tagID, isAnnotated: false, message: nil, tagger: nil)
        }
        // A git_object of type tag is a git_tag; its strings live as long as `object`.
        return Tag(
            name: name, targetID: targetID, tagID: tagID, isAnnotated: true,
            message: git_tag_message(object).map { String(cString: $0) } ?? "",
            tagger: git_tag_tagger(object).map { Signature($0) })
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
