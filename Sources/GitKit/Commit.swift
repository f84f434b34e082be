import CLibGit2

/// A commit, copied out of the object database.
public struct Commit: Sendable, Equatable, Codable {
    /// The commit's id.
    public let id: ObjectID
    /// The id of the commit's root tree.
    public let treeID: ObjectID
    /// Parent ids in order; the first is the first parent, none for a root commit.
    public let parentIDs: [ObjectID]
    /// Who wrote the change.
    public let author: Signature
    /// Who made the commit.
    public let committer: Signature
    /// The whole message as stored (usually ending in a newline).
    public let message: String
    /// The first paragraph of the message on one line, as `git log --format=%s` shows it.
    public let summary: String

    /// Copies a borrowed `git_commit` (the caller keeps ownership and frees it).
    init(_ commit: OpaquePointer) {
        id = ObjectID(git_commit_id(commit))
        treeID = ObjectID(git_commit_tree_id(commit))
        parentIDs = (0..<git_commit_parentcount(commit)).compactMap { index in
            git_commit_parent_id(commit, index).map { ObjectID($0) }
        }
        author = Signature(git_commit_author(commit))
        committer = Signature(git_commit_committer(commit))
        message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
    }
}
