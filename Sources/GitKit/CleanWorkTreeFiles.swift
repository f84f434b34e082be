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
/// clean (modified in the same instant the index was written, the case git re-hashes), and no
/// filter applies to the path (line-ending conversion, `ident`, Git LFS and other clean/smudge
/// filters make work-tree bytes differ from the blob). The stat data is checked again after the
/// copy; a file changed meanwhile is not used. Anything unexpected means "inflate the blob".
final class CleanWorkTreeFiles {
    private let repository: Repository
    private let root: String
    private let staged: [String: IndexEntry]
    /// When the index file was last written.
    private let indexWritten: timespec

    /// Nil for a bare repository or when the index cannot be read: every blob is then inflated.
    init?(_ repository: Repository) {
        guard let workingDirectory = repository.workingDirectory,
            let index = try? IndexHandle(repository)
        else { return nil }
        var status = stat()
        guard stat(index.path, &status) == 0 else { return nil }
        self.repository = repository
        root = workingDirectory.path
        indexWritten = status.st_mtim
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
            let indexed = staged[entry.path], indexed.id == entry.id, !hasFilters(entry.path)
        else { return false }
        let input = open(root + "/" + entry.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        var before = stat()
        guard fstat(input, &before) == 0, matches(before, indexed) else { return false }
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

    /// True when git would convert the file between blob and work tree (any filter at all).
    private func hasFilters(_ path: String) -> Bool {
        var filters: OpaquePointer?
        let code = git_filter_list_load(
            &filters, repository.handle, nil, path, GIT_FILTER_TO_WORKTREE, GIT_FILTER_DEFAULT.rawValue)
        defer { git_filter_list_free(filters) }
        return code != 0 || filters != nil
    }

    private static func same(_ one: timespec, _ other: timespec) -> Bool {
        one.tv_sec == other.tv_sec && one.tv_nsec == other.tv_nsec
    }

    private static func earlier(_ one: timespec, than other: timespec) -> Bool {
        one.tv_sec < other.tv_sec || (one.tv_sec == other.tv_sec && one.tv_nsec < other.tv_nsec)
    }
}
