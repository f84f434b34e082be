import Foundation
import GitKit

#if canImport(Glibc)
    import Glibc
#endif

/// Blob ids of work-tree files that are not (or not as staged) in the index, remembered by their
/// stat data so an unchanged file is hashed once, not on every run.
///
/// Kept in `<common dir>/modelgate/statcache.json`; an entry is trusted only while size, mtime
/// (nanoseconds), ctime, inode and device all match, as git trusts its index.
final class StatCache {
    struct Entry: Codable, Equatable {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        var device: UInt64
        var id: String
    }

    private let url: URL
    private var entries: [String: Entry]
    private var isDirty = false

    init(repository: Repository) {
        url = repository.commonDirectory.appendingPathComponent("modelgate/statcache.json")
        let data = FileManager.default.contents(atPath: url.path)
        // A damaged cache only costs re-hashing, so it is dropped rather than reported.
        entries = data.flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) } ?? [:]
    }

    deinit { try? save() }

    /// The git blob id of the file at `url` (`path` is its repository path), hashing it only when
    /// its stat data changed since it was last hashed.
    func id(of url: URL, path: String) throws -> ObjectID? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        let current = Entry(
            size: Int64(info.st_size),
            mtime: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            ctime: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev), id: "")
        if var known = entries[path] {
            known.id = ""
            // A file modified within the same second as it was hashed could change again unseen.
            let isRacy = time(nil) - Int(current.mtime / 1_000_000_000) < 2
            if known == current, !isRacy, let id = entries[path].flatMap({ ObjectID(hex: $0.id) }) {
                return id
            }
        }
        let id =
            info.st_mode & S_IFMT == S_IFLNK
            ? try Repository.hashBlob(
                Data((try FileManager.default.destinationOfSymbolicLink(atPath: url.path)).utf8))
            : try Repository.hashFile(at: url)
        var entry = current
        entry.id = id.hex
        entries[path] = entry
        isDirty = true
        return id
    }

    /// Writes the cache back if anything was hashed.
    func save() throws {
        guard isDirty else { return }
        try AtomicFile.write(try JSONEncoder().encode(entries), to: url)
        isDirty = false
    }
}
