import CLibGit2
import Foundation

/// The kind of a tree or index entry, by git's file mode.
public enum FileMode: UInt32, Sendable, Codable, CaseIterable {
    /// A regular file (100644).
    case regular = 0o100644
    /// A regular file with the executable bit (100755).
    case executable = 0o100755
    /// A symbolic link whose blob is the link target (120000).
    case symlink = 0o120000
    /// A submodule: the entry's id is a commit in another repository (160000).
    case gitlink = 0o160000
    /// A directory (040000); only seen in trees.
    case tree = 0o040000

    /// The mode git would record for `raw`, treating any other file mode as a regular file.
    init(normalizing raw: UInt32) {
        self =
            FileMode(rawValue: raw)
            ?? (raw & 0o170000 == 0o100000 && raw & 0o111 != 0 ? .executable : .regular)
    }

    /// The octal text git prints, e.g. "100644".
    public var octal: String { String(rawValue, radix: 8).leftPadded(to: 6) }
}

/// A file (or symlink, or submodule) in a commit's tree.
public struct TreeEntry: Sendable, Equatable, Codable {
    /// The path from the repository root, `/`-separated.
    public let path: String
    /// The blob id (the commit id for a submodule).
    public let id: ObjectID
    /// What kind of entry it is.
    public let mode: FileMode

    /// Makes an entry (mostly for callers building expectations).
    public init(path: String, id: ObjectID, mode: FileMode) {
        self.path = path
        self.id = id
        self.mode = mode
    }
}

/// How `streamBlob` delivered a blob, which decides how much memory it used.
public enum BlobDelivery: Sendable, Equatable {
    /// Read incrementally from a loose object: memory is bounded by the chunk size.
    case streamed
    /// Loaded whole (packed objects cannot be streamed by libgit2 1.5), then handed out in chunks.
    case loadedWhole
    /// A large packed blob, read from `git cat-file blob` as it inflates it (git streams big
    /// blobs stored without deltas, as it stores files over `core.bigFileThreshold`), its
    /// object id checked at the end: memory is bounded by the chunk size here.
    case streamedByGit
}

extension Repository {
    /// The files of `commit`'s tree whose paths match any of `globs` (all files when empty), in tree order.
    ///
    /// Directories are walked, not listed; submodules appear as `.gitlink` entries. Globs follow
    /// `PathPattern`. The order and contents are those of `git ls-tree -r COMMIT`.
    public func treeEntries(commit: ObjectID, matching globs: [String] = []) throws -> [TreeEntry] {
        try treeEntries(tree: try self.commit(commit).treeID, matching: globs)
    }

    /// The files of tree `treeID` (e.g. one written by `indexTreeID()`) matching any of `globs`.
    public func treeEntries(tree treeID: ObjectID, matching globs: [String] = []) throws -> [TreeEntry] {
        let patterns = globs.map(PathPattern.init)
        var entries: [TreeEntry] = []
        try walkTree(treeID, prefix: "") { entry in
            if PathPattern.matchesAny(patterns, entry.path) { entries.append(entry) }
        }
        return entries
    }

    /// Calls `visit` for every non-directory entry below tree `id`, depth first in tree order.
    func walkTree(_ id: ObjectID, prefix: String, _ visit: (TreeEntry) throws -> Void) throws {
        var oid = id.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, handle, &oid), "read tree \(id.short)", location: id.hex)
        defer { git_tree_free(tree) }
        for index in 0..<git_tree_entrycount(tree) {
            // The entry is owned by the tree and lives until git_tree_free above.
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let path = prefix.isEmpty ? name : "\(prefix)/\(name)"
            let entryID = ObjectID(git_tree_entry_id(entry))
            let mode = FileMode(normalizing: git_tree_entry_filemode(entry).rawValue)
            if mode == .tree {
                try walkTree(entryID, prefix: path, visit)
            } else {
                try visit(TreeEntry(path: path, id: entryID, mode: mode))
            }
        }
    }

    /// The whole content of blob `id`; a `GitError` when it is missing, corrupt or not a blob.
    public func blob(_ id: ObjectID) throws -> Data {
        var oid = id.raw
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, handle, &oid), "read blob \(id.short)", location: id.hex)
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: bytes, count: size)
    }

    /// The size of blob `id` in bytes, read from the object's header without inflating it.
    public func blobSize(_ id: ObjectID) throws -> Int {
        let (size, type) = try objectHeader(id, "read blob \(id.short)")
        guard type == GIT_OBJECT_BLOB else {
            throw GitError(
                operation: "read blob \(id.short)",
                message: "the object is a \(Repository.typeName(type)), not a blob", location: id.hex)
        }
        return size
    }

    /// The size in bytes of object `id` from its header, without inflating its content.
    public func objectSize(_ id: ObjectID) throws -> Int {
        try objectHeader(id, "read object \(id.short)").size
    }

    /// The size and type of object `id`, read from its header (`git_odb_read_header`): what a
    /// reader of hostile objects checks before it inflates one.
    private func objectHeader(_ id: ObjectID, _ operation: String) throws -> (size: Int, type: git_object_t) {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, handle), "open the object database")
        defer { git_odb_free(odb) }
        var oid = id.raw
        var size = 0
        var type = GIT_OBJECT_INVALID
        try check(git_odb_read_header(&size, &type, odb, &oid), operation, location: id.hex)
        return (size, type)
    }

    /// Hands blob `id` to `body` in chunks of at most `chunkSize` bytes, in order.
    ///
    /// Loose objects are inflated incrementally, so memory stays near `chunkSize` whatever the
    /// blob's size. libgit2 1.5 cannot stream packed objects: one of `gitStreamThreshold` bytes or
    /// more is read from the `git` command instead (`BlobDelivery.streamedByGit`), smaller ones
    /// (or any, when git cannot be run) are read whole first and cost their size in memory. The
    /// result says which happened. An empty blob calls `body` no times.
    @discardableResult
    public func streamBlob(
        _ id: ObjectID, chunkSize: Int = 1 << 20, gitStreamThreshold: Int = 64 << 20,
        _ body: (Data) throws -> Void
    ) throws -> BlobDelivery {
        let chunkSize = max(1, chunkSize)
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, handle), "open the object database")
        defer { git_odb_free(odb) }
        var oid = id.raw
        var stream: UnsafeMutablePointer<git_odb_stream>?
        var length = 0
        var type = GIT_OBJECT_INVALID
        if git_odb_open_rstream(&stream, &length, &type, odb, &oid) == 0, let stream {
            defer { git_odb_stream_free(stream) }
            guard type == GIT_OBJECT_BLOB else {
                throw GitError(
                    operation: "read blob \(id.short)",
                    message: "the object is a \(Repository.typeName(type)), not a blob", location: id.hex)
            }
            var buffer = [CChar](repeating: 0, count: chunkSize)
            var total = 0
            while true {
                let count = try check(
                    git_odb_stream_read(stream, &buffer, chunkSize), "read blob \(id.short)",
                    location: id.hex)
                if count == 0 { break }
                total += Int(count)
                try body(buffer.withUnsafeBytes { Data($0.prefix(Int(count))) })
            }
            guard total == length else {
                throw GitError(
                    operation: "read blob \(id.short)",
                    message: "the object ended after \(total) of \(length) bytes", location: id.hex)
            }
            return .streamed
        }
        var packedSize = 0
        if git_odb_read_header(&packedSize, &type, odb, &oid) == 0, type == GIT_OBJECT_BLOB,
            packedSize >= gitStreamThreshold,
            try streamThroughGit(id, size: packedSize, chunkSize: chunkSize, body)
        {
            return .streamedByGit
        }
        // Not loose (or unreadable as a stream): load it whole, which also reports corruption,
        // and hand out chunks straight from libgit2's buffer so the blob is in memory only once.
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, handle, &oid), "read blob \(id.short)", location: id.hex)
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        if size > 0, let bytes = git_blob_rawcontent(blob) {
            var offset = 0
            while offset < size {
                let count = min(chunkSize, size - offset)
                try body(Data(bytes: bytes + offset, count: count))
                offset += count
            }
        }
        return .loadedWhole
    }

    /// The id git would give `data` as a blob (`git hash-object`), without storing it.
    public func hashBlob(_ data: Data) throws -> ObjectID {
        try Repository.hashBlob(data)
    }

    /// The id git would give `data` as a blob (`git hash-object`); needs no repository.
    public static func hashBlob(_ data: Data) throws -> ObjectID {
        Libgit2.ensureInitialized()
        var oid = git_oid()
        _ = try data.withUnsafeBytes { bytes in
            try check(
                git_odb_hash(&oid, bytes.baseAddress, bytes.count, GIT_OBJECT_BLOB), "hash a blob")
        }
        return ObjectID(oid)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
