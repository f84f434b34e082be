import CLibGit2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// glibc's `copy_file_range(2)`, which the Glibc module does not import (it is declared only
/// under `_GNU_SOURCE`); the C ABI is plain.
@_silgen_name("copy_file_range")
private func linuxCopyFileRange(
    _ input: Int32, _ inputOffset: UnsafeMutablePointer<Int64>?, _ output: Int32,
    _ outputOffset: UnsafeMutablePointer<Int64>?, _ length: Int, _ flags: UInt32
) -> Int

/// Work-tree files that hold exactly the blob an export wants, by git's own test, so the export
/// copies them (in the kernel, no decompression) instead of inflating the blob from the object
/// database: for a data file of a gigabyte that is seconds of a first run.
///
/// A file qualifies when the index stages that blob at that path, the file's stat data (size,
/// mtime, ctime, inode, device) still equals what the index recorded, the entry is not racily
/// clean (modified in the same instant the index was written, the case git re-hashes; git also
/// marks such entries with size 0), no filter or encoding applies to the path (line-ending
/// conversion, `ident`, a `filter=` driver such as Git LFS, `working-tree-encoding` make
/// work-tree bytes differ from the blob), and its size is the blob's. The stat data is checked
/// again after the copy; a file changed meanwhile is not used. Anything unexpected means
/// "inflate the blob".
final class CleanWorkTreeFiles {
    private let repository: Repository
    private let root: String
    private let staged: [String: IndexEntry]
    /// When the index file was last written.
    private let indexWritten: timespec

    /// Nil for a bare repository or when the index cannot be read: every blob is then inflated.
    init?(_ repository: Repository) {
        guard let workingDirectory = repository.workingDirectory else { return nil }
        let indexPath = (repository.indexFile ?? repository.gitDirectory.appendingPathComponent("index")).path
        // The index's time must be the time of the entries read: a git writing the index in
        // between would make the racy test use a newer time than the entries'.
        var before = stat()
        var after = stat()
        guard stat(indexPath, &before) == 0, let index = try? IndexHandle(repository),
            index.path == indexPath,
            stat(indexPath, &after) == 0, before.st_ino == after.st_ino, before.st_size == after.st_size,
            Self.same(before.st_mtim, after.st_mtim)
        else { return nil }
        self.repository = repository
        root = workingDirectory.path
        indexWritten = before.st_mtim
        var staged: [String: IndexEntry] = [:]
        for entry in index.entries where entry.stage == 0 && !entry.isIntentToAdd {
            staged[entry.path] = entry
        }
        self.staged = staged
    }

    /// Copies `entry`'s work-tree file into `output` when it holds the entry's blob; false when it
    /// does not qualify or anything failed (`output` may then hold part of the file).
    func copy(_ entry: TreeEntry, into output: Int32) -> Bool {
        guard entry.mode == .regular || entry.mode == .executable,
            let indexed = staged[entry.path], indexed.id == entry.id, indexed.size > 0,
            !hasFilters(entry.path)
        else { return false }
        let input = open(root + "/" + entry.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        var before = stat()
        guard fstat(input, &before) == 0, matches(before, indexed),
            blobSize(entry.id) == Int(before.st_size)  // a pointer file vs its data, say
        else { return false }
        var remaining = Int(before.st_size)
        while remaining > 0 {
            let copied = linuxCopyFileRange(input, nil, output, nil, remaining, 0)
            if copied < 0, errno == EINTR { continue }
            guard copied > 0 else { return false }
            remaining -= copied
        }
        var after = stat()
        guard fstat(input, &after) == 0, after.st_size == before.st_size,
            Self.same(after.st_mtim, before.st_mtim), Self.same(after.st_ctim, before.st_ctim)
        else { return false }
        return true
    }

    /// True when the stat data equals the index's and the entry is not racily clean.
    private func matches(_ status: stat, _ entry: IndexEntry) -> Bool {
        (status.st_mode & S_IFMT) == S_IFREG
            && UInt32(truncatingIfNeeded: status.st_size) == entry.size
            && status.st_mtim.tv_sec == entry.mtime.seconds
            && status.st_mtim.tv_nsec == entry.mtime.nanoseconds
            && status.st_ctim.tv_sec == entry.ctime.seconds
            && status.st_ctim.tv_nsec == entry.ctime.nanoseconds
            && UInt32(truncatingIfNeeded: status.st_ino) == entry.inode
            && UInt32(truncatingIfNeeded: status.st_dev) == entry.device
            && Self.earlier(status.st_mtim, than: indexWritten)
    }

    /// True when git may convert the file between blob and work tree. libgit2's filter list
    /// knows only its own filters (line endings, `ident`), so the attributes that name a filter
    /// driver (Git LFS, git-crypt, nbstripout) or an encoding are checked as well: any value at
    /// all, configured or not, means "do not trust the work-tree bytes".
    private func hasFilters(_ path: String) -> Bool {
        var filters: OpaquePointer?
        let code = git_filter_list_load(
            &filters, repository.handle, nil, path, GIT_FILTER_TO_WORKTREE, GIT_FILTER_DEFAULT.rawValue)
        defer { git_filter_list_free(filters) }
        if code != 0 || filters != nil { return true }
        for name in ["filter", "working-tree-encoding"] {
            var value: UnsafePointer<CChar>?
            guard git_attr_get(&value, repository.handle, 0, path, name) == 0 else { return true }
            let kind = git_attr_value(value)
            if kind != GIT_ATTR_VALUE_UNSPECIFIED && kind != GIT_ATTR_VALUE_FALSE { return true }
        }
        return false
    }

    /// The blob's size from its object header (no inflating), or nil.
    private func blobSize(_ id: ObjectID) -> Int? {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repository.handle) == 0 else { return nil }
        defer { git_odb_free(odb) }
        var oid = id.raw
        var size = 0
        var type = GIT_OBJECT_INVALID
        guard git_odb_read_header(&size, &type, odb, &oid) == 0, type == GIT_OBJECT_BLOB else { return nil }
        return size
    }

    private static func same(_ one: timespec, _ other: timespec) -> Bool {
        one.tv_sec == other.tv_sec && one.tv_nsec == other.tv_nsec
    }

    private static func earlier(_ one: timespec, than other: timespec) -> Bool {
        one.tv_sec < other.tv_sec || (one.tv_sec == other.tv_sec && one.tv_nsec < other.tv_nsec)
    }
}
