import CLibGit2

/// How a path changed between two trees, with `git diff --name-status` letters.
public enum DiffStatus: String, Sendable, Codable, CaseIterable {
    /// A (new path).
    case added = "A"
    /// M (content or executable bit changed).
    case modified = "M"
    /// D (path removed).
    case deleted = "D"
    /// R (moved; only with rename detection).
    case renamed = "R"
    /// C (copied; only with copy detection, which GitKit does not request).
    case copied = "C"
    /// T (file became a symlink or submodule, or the other way round).
    case typeChanged = "T"
}

/// One changed path between two trees.
public struct DiffEntry: Sendable, Equatable, Codable {
    /// What happened to the path.
    public let status: DiffStatus
    /// The path after the change (for a deletion, the path that was deleted).
    public let path: String
    /// The path before a rename or copy; nil otherwise.
    public let oldPath: String?

    /// Makes an entry (mostly for tests and callers building expectations).
    public init(status: DiffStatus, path: String, oldPath: String? = nil) {
        self.status = status
        self.path = path
        self.oldPath = oldPath
    }
}

/// One changed path between two commits, with the blob ids on both sides.
public struct ChangedFile: Sendable, Equatable, Codable {
    /// What happened to the path.
    public let status: DiffStatus
    /// The path after the change (for a deletion, the path that was deleted).
    public let path: String
    /// The path before a rename or copy; nil otherwise.
    public let oldPath: String?
    /// The blob before the change; nil for an added path.
    public let oldID: ObjectID?
    /// The blob after the change; nil for a deleted path.
    public let newID: ObjectID?
}

extension Repository {
    /// What is staged: HEAD's tree (empty on an unborn branch) against the index.
    ///
    /// Without `detectRenames` (the default) this equals `git diff --cached --no-renames
    /// --name-status`: a move is a deletion plus an addition. With it, exact and similar (50%)
    /// renames are paired like `git diff --cached -M --name-status`. Unstaged edits never show,
    /// nor do intent-to-add paths (`git add -N`), which have no staged content yet.
    public func diffHeadToIndex(detectRenames: Bool = false) throws -> [DiffEntry] {
        let index = try IndexHandle(self).excludingIntentToAdd()
        return try withTree(of: try head()?.id) { tree in
            try withDiffOptions { options in
                var diff: OpaquePointer?
                try check(
                    git_diff_tree_to_index(&diff, handle, tree, index.raw, &options),
                    "compare HEAD with the index")
                defer { git_diff_free(diff) }
                return try entries(of: diff!, detectRenames: detectRenames)
            }
        }
    }

    /// Changes from commit `old` (nil: the empty tree) to commit `new`, like `git diff --no-renames --name-status OLD NEW`.
    ///
    /// `detectRenames` pairs moves as in `git diff -M --name-status`.
    public func diff(from old: ObjectID?, to new: ObjectID, detectRenames: Bool = false) throws -> [DiffEntry]
    {
        try withTreeDiff(from: old, to: new) { try entries(of: $0, detectRenames: detectRenames) }
    }

    /// The same changes with the blob ids on both sides, like `git diff --raw --no-renames OLD NEW`;
    /// at most `limit` of them (`total` counts them all).
    public func changedFiles(from old: ObjectID?, to new: ObjectID, limit: Int = .max) throws -> (
        files: [ChangedFile], total: Int
    ) {
        let files = try withTreeDiff(from: old, to: new) { changes(of: $0) }
        return (Array(files.prefix(limit)), files.count)
    }

    /// Runs `body` with the diff of two commits' trees (borrowed; freed afterwards).
    private func withTreeDiff<T>(from old: ObjectID?, to new: ObjectID, _ body: (OpaquePointer) throws -> T)
        throws -> T
    {
        try withTree(of: old) { oldTree in
            try withTree(of: new) { newTree in
                try withDiffOptions { options in
                    var diff: OpaquePointer?
                    try check(
                        git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options),
                        "compare \(old?.short ?? "the empty tree") with \(new.short)")
                    defer { git_diff_free(diff) }
                    return try body(diff!)
                }
            }
        }
    }

    /// Runs `body` with commit `id`'s tree (borrowed; freed afterwards), or nil for no commit.
    private func withTree<T>(of id: ObjectID?, _ body: (OpaquePointer?) throws -> T) throws -> T {
        guard let id else { return try body(nil) }
        let treeID = try commit(id).treeID
        var oid = treeID.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, handle, &oid), "read tree \(treeID.short)", location: treeID.hex)
        defer { git_tree_free(tree) }
        return try body(tree)
    }

    private func withDiffOptions<T>(_ body: (inout git_diff_options) throws -> T) throws -> T {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "set up a diff")
        // git reports a file that became a symlink as T, not as D plus A.
        options.flags |= GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        return try body(&options)
    }

    private func entries(of diff: OpaquePointer, detectRenames: Bool) throws -> [DiffEntry] {
        if detectRenames {
            var find = git_diff_find_options()
            try check(
                git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)),
                "set up rename detection")
            find.flags = GIT_DIFF_FIND_RENAMES.rawValue
            try check(git_diff_find_similar(diff, &find), "detect renames")
        }
        let result = changes(of: diff).map {
            DiffEntry(status: $0.status, path: $0.path, oldPath: $0.oldPath)
        }
        // git sorts --name-status output by path; libgit2 sorts renames by their old path.
        return detectRenames ? result.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) } : result
    }

    /// Every change in `diff`, with paths and blob ids; kinds git does not list as changes
    /// (unmodified, ignored, untracked, unreadable, conflicted) are left out.
    private func changes(of diff: OpaquePointer) -> [ChangedFile] {
        var result: [ChangedFile] = []
        for index in 0..<git_diff_num_deltas(diff) {
            // The delta is owned by the diff and lives until git_diff_free.
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let newPath = delta.new_file.path.map { String(cString: $0) } ?? ""
            let oldPath = delta.old_file.path.map { String(cString: $0) } ?? newPath
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
            let oldID = ObjectID(delta.old_file.id)
            let newID = ObjectID(delta.new_file.id)
            result.append(
                ChangedFile(
                    status: status, path: status == .deleted ? oldPath : newPath,
                    oldPath: status == .renamed || status == .copied ? oldPath : nil,
                    oldID: oldID.isZero ? nil : oldID, newID: newID.isZero ? nil : newID))
        }
        return result
    }
}
