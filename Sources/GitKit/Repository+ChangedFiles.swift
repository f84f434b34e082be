import CLibGit2

/// One changed path between two commits, with the blob ids on both sides.
public struct ChangedFile: Sendable, Equatable, Codable {
    /// What happened to the path.
    public let status: DiffStatus
    /// The path after the change (for a deletion, the path that was deleted).
    public let path: String
    /// The path before a rename; nil otherwise.
    public let oldPath: String?
    /// The blob before the change; nil for an added path.
    public let oldID: ObjectID?
    /// The blob after the change; nil for a deleted path.
    public let newID: ObjectID?
}

extension Repository {
    /// Paths that differ from commit `old` (nil: the empty tree) to commit `new`, with blob ids,
    /// like `git diff --raw --no-renames OLD NEW`; at most `limit` entries (the count is `total`).
    public func changedFiles(from old: ObjectID?, to new: ObjectID, limit: Int = .max) throws -> (
        files: [ChangedFile], total: Int
    ) {
        var oldTree: OpaquePointer?
        var newTree: OpaquePointer?
        // Both trees are ours to free; libgit2 accepts NULL for the empty tree.
        defer {
            git_tree_free(oldTree)
            git_tree_free(newTree)
        }
        if let old {
            var oid = try commit(old).treeID.raw
            try check(
                git_tree_lookup(&oldTree, handle, &oid), "read the tree of \(old.short)", location: old.hex)
        }
        var newOID = try commit(new).treeID.raw
        try check(
            git_tree_lookup(&newTree, handle, &newOID), "read the tree of \(new.short)", location: new.hex)
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "set up a diff")
        options.flags |= GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        var diff: OpaquePointer?
        try check(
            git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options),
            "compare \(old?.short ?? "the empty tree") with \(new.short)")
        defer { git_diff_free(diff) }
        let total = git_diff_num_deltas(diff)
        var result: [ChangedFile] = []
        for index in 0..<total where result.count < limit {
            // The delta is owned by the diff and lives until git_diff_free.
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let newPath = delta.new_file.path.map { String(cString: $0) } ?? ""
            let oldPath = delta.old_file.path.map { String(cString: $0) } ?? newPath
            let oldID = ObjectID(delta.old_file.id)
            let newID = ObjectID(delta.new_file.id)
            let status: DiffStatus
            switch delta.status {
            case GIT_DELTA_ADDED: status = .added
            case GIT_DELTA_DELETED: status = .deleted
            case GIT_DELTA_MODIFIED: status = .modified
            case GIT_DELTA_RENAMED: status = .renamed
            case GIT_DELTA_COPIED: status = .copied
            case GIT_DELTA_TYPECHANGE: status = .typeChanged
            default: continue
            }
            result.append(
                ChangedFile(
                    status: status, path: status == .deleted ? oldPath : newPath,
                    oldPath: status == .renamed || status == .copied ? oldPath : nil,
                    oldID: oldID.isZero ? nil : oldID, newID: newID.isZero ? nil : newID))
        }
        return (result, total)
    }
}
