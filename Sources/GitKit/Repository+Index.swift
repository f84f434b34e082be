import CLibGit2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A staged file: what `git ls-files --stage --debug` shows for one path.
public struct IndexEntry: Sendable, Equatable, Codable {
    /// Seconds and nanoseconds as the index stores them.
    public struct Timestamp: Sendable, Equatable, Hashable, Codable {
        /// Whole seconds since the epoch.
        public let seconds: Int
        /// The sub-second part (0 when the index writer did not record it).
        public let nanoseconds: Int
    }

    /// The path from the repository root, `/`-separated.
    public let path: String
    /// The staged blob (the commit id for a submodule).
    public let id: ObjectID
    /// What kind of entry it is.
    public let mode: FileMode
    /// 0 normally; 1–3 for the base, ours and theirs sides of an unresolved conflict.
    public let stage: Int
    /// The file size when it was staged (git keeps only the low 32 bits).
    public let size: UInt32
    /// The file's modification time when it was staged.
    public let mtime: Timestamp
    /// The file's inode change time when it was staged.
    public let ctime: Timestamp
    /// The file's inode number when it was staged (low 32 bits).
    public let inode: UInt32
    /// The file's device number when it was staged (low 32 bits).
    public let device: UInt32
    /// True for a path added with `git add --intent-to-add`, which has no staged content yet.
    public let isIntentToAdd: Bool

    /// Copies a borrowed entry (owned by the index it came from).
    init(_ raw: UnsafePointer<git_index_entry>) {
        let entry = raw.pointee
        path = String(cString: entry.path)
        id = ObjectID(entry.id)
        mode = FileMode(normalizing: entry.mode)
        stage = Int(git_index_entry_stage(raw))
        size = entry.file_size
        mtime = Timestamp(seconds: Int(entry.mtime.seconds), nanoseconds: Int(entry.mtime.nanoseconds))
        ctime = Timestamp(seconds: Int(entry.ctime.seconds), nanoseconds: Int(entry.ctime.nanoseconds))
        inode = entry.ino
        device = entry.dev
        isIntentToAdd = UInt32(entry.flags_extended) & GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue != 0
    }
}

/// Owns a `git_index`: the repository's own, or the file named by `Repository.indexFile`.
final class IndexHandle {
    let raw: OpaquePointer
    /// Where the index lives on disk.
    let path: String

    /// Opens and (re)reads the index from disk, so changes made by `git` since are seen.
    init(_ repository: Repository) throws {
        var out: OpaquePointer?
        let opened: Int32
        if let file = repository.indexFile {
            opened = git_index_open(&out, file.path)
        } else {
            // A bare repository has no index of its own (libgit2 would hand out an empty one).
            _ = try repository.requireWorkingDirectory(for: "read the index")
            opened = git_repository_index(&out, repository.handle)
        }
        if opened < 0 {
            let location = (repository.indexFile ?? repository.gitDirectory.appendingPathComponent("index"))
                .path
            throw IndexHandle.explain(
                GitError.last(code: opened, operation: "open the index", location: location))
        }
        guard let out else {
            throw GitError(operation: "open the index", message: "libgit2 returned no index")
        }
        let indexPath =
            git_index_path(out).map { String(cString: $0) }
            ?? repository.gitDirectory.appendingPathComponent("index").path
        // force=1: libgit2 would otherwise trust its cached copy when the file's stamp looks
        // unchanged, and `git add` within the same second can leave the stamp equal.
        let code = git_index_read(out, 1)
        if code < 0 {
            let error = GitError.last(code: code, operation: "read the index", location: indexPath)
            // No stored property is set yet, so deinit will not run: free the index here.
            git_index_free(out)
            throw IndexHandle.explain(error)
        }
        raw = out
        path = indexPath
    }

    /// An in-memory copy of `source` without its intent-to-add entries.
    private init(copyingWithoutIntentToAdd source: IndexHandle) throws {
        var out: OpaquePointer?
        try check(git_index_new(&out), "copy the index")
        guard let out else {
            throw GitError(operation: "copy the index", message: "libgit2 returned no index")
        }
        for index in 0..<git_index_entrycount(source.raw) {
            // Entries are owned by `source`; git_index_add copies what it keeps.
            guard let entry = git_index_get_byindex(source.raw, index),
                UInt32(entry.pointee.flags_extended) & GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue == 0
            else { continue }
            let code = git_index_add(out, entry)
            if code < 0 {
                let error = GitError.last(code: code, operation: "copy the index", location: source.path)
                git_index_free(out)  // no stored property is set yet, so deinit will not run
                throw error
            }
        }
        raw = out
        path = source.path
    }

    /// The staged content as git sees it: `git add -N` paths have none yet, and git leaves them
    /// out of `write-tree` and `diff --cached`, but libgit2 1.5 treats them as empty files.
    func excludingIntentToAdd() throws -> IndexHandle {
        let hasIntentToAdd = (0..<git_index_entrycount(raw)).contains { index in
            guard let entry = git_index_get_byindex(raw, index) else { return false }
            return UInt32(entry.pointee.flags_extended) & GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue != 0
        }
        return hasIntentToAdd ? try IndexHandle(copyingWithoutIntentToAdd: self) : self
    }

    deinit { git_index_free(raw) }

    /// Adds the way out to libgit2's message when it met an index format it cannot read.
    private static func explain(_ error: GitError) -> GitError {
        guard error.message.contains("unsupported mandatory extension") else { return error }
        // libgit2 1.5 reads index versions 2-4 but not git's split or sparse index.
        return GitError(
            operation: error.operation, code: error.code, message: error.message, location: error.location,
            hint: "libgit2 cannot read a split or sparse index; run 'git update-index --no-split-index'"
                + " or 'git sparse-checkout set --no-sparse-index', then try again")
    }

    /// Every entry in index order (path, then stage).
    var entries: [IndexEntry] {
        (0..<git_index_entrycount(raw)).compactMap { index in
            git_index_get_byindex(raw, index).map { IndexEntry($0) }
        }
    }
}

extension Repository {
    /// Staged entries whose paths match any of `globs` (all when empty), in index order.
    ///
    /// Includes conflict stages 1–3 when a merge is unresolved. Globs follow `PathPattern`.
    /// Matches `git ls-files --stage`.
    public func indexEntries(matching globs: [String] = []) throws -> [IndexEntry] {
        let patterns = globs.map(PathPattern.init)
        return try IndexHandle(self).entries.filter { PathPattern.matchesAny(patterns, $0.path) }
    }

    /// Writes the staged tree into the object database and returns its id, like `git write-tree`.
    ///
    /// The index file itself is not rewritten. Intent-to-add paths (`git add -N`) are left out,
    /// as git does. Unresolved conflicts are a `GitError` (exit 2).
    public func indexTreeID() throws -> ObjectID {
        let index = try IndexHandle(self).excludingIntentToAdd()
        var oid = git_oid()
        let code = git_index_write_tree_to(&oid, index.raw, handle)
        if code == GIT_EUNMERGED.rawValue {
            throw GitError(
                operation: "write the staged tree", code: code,
                message: "the index has unresolved merge conflicts", location: index.path,
                hint: "resolve the conflicts and 'git add' the files first", exitStatus: .badInput)
        }
        try check(code, "write the staged tree", location: index.path)
        return ObjectID(oid)
    }

    /// True when the work-tree file at `path` is provably what is staged for it.
    ///
    /// Like git, this trusts recorded stat data (type, executable bit, size, mtime, ctime, inode,
    /// device): if any differs the answer is false, without reading the file. When the entry is
    /// *racy* (the file changed in the same second the index was written, or later), stat data
    /// cannot prove anything, so the file's bytes are hashed and compared with the staged blob;
    /// content filters (autocrlf, smudge) are not applied, so a filtered file compares unequal.
    /// Missing files, unstaged paths, conflicts, submodules and intent-to-add entries give false.
    public func workingFileMatchesIndex(path: String) throws -> Bool {
        let top = try requireWorkingDirectory(for: "compare '\(path)' with the index")
        let index = try IndexHandle(self)
        guard let raw = git_index_get_bypath(index.raw, path, 0) else { return false }
        let entry = IndexEntry(raw)
        guard !entry.isIntentToAdd, entry.mode != .gitlink else { return false }
        let file = top.appendingPathComponent(path).path
        var info = stat()
        guard lstat(file, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        switch entry.mode {
        case .symlink: guard kind == S_IFLNK else { return false }
        case .regular: guard kind == S_IFREG, info.st_mode & 0o100 == 0 else { return false }
        case .executable: guard kind == S_IFREG, info.st_mode & 0o100 != 0 else { return false }
        case .gitlink, .tree: return false
        }
        let mtime = IndexEntry.Timestamp(
            seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
        let ctime = IndexEntry.Timestamp(
            seconds: Int(info.st_ctim.tv_sec), nanoseconds: Int(info.st_ctim.tv_nsec))
        guard UInt32(truncatingIfNeeded: info.st_size) == entry.size,
            Repository.sameTime(entry.mtime, mtime), Repository.sameTime(entry.ctime, ctime),
            UInt32(truncatingIfNeeded: info.st_ino) == entry.inode,
            UInt32(truncatingIfNeeded: info.st_dev) == entry.device
        else { return false }

        var indexInfo = stat()
        guard stat(index.path, &indexInfo) == 0 else { return false }
        // git's racy-git rule: an entry whose mtime is not older than the index file (in whole
        // seconds) may have been rewritten after staging without its stat data changing, so
        // only the bytes can tell.
        let isRacy = Int(indexInfo.st_mtim.tv_sec) <= entry.mtime.seconds
        guard isRacy else { return true }
        if entry.mode == .symlink {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: file) else {
                return false
            }
            return try Repository.hashBlob(Data(target.utf8)) == entry.id
        }
        // hashFile streams the file, so a large racy file is not read into memory at once.
        return (try? Repository.hashFile(at: URL(fileURLWithPath: file))) == entry.id
    }

    /// Stat times agree; nanoseconds only count when the index recorded them, as in git.
    private static func sameTime(_ recorded: IndexEntry.Timestamp, _ actual: IndexEntry.Timestamp) -> Bool {
        recorded.seconds == actual.seconds
            && (recorded.nanoseconds == 0 || recorded.nanoseconds == actual.nanoseconds)
    }
}
