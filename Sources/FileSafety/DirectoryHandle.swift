import CLinux
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An open folder, and the one way modelgate reaches what is below a folder it did not make
/// alone: a pull's target, a site's output, a stage's checkout, its own work folders.
///
/// The handle owns its descriptor (opened `O_CLOEXEC`, closed on deinit). Everything below it is
/// reached one name at a time relative to that descriptor (`openat`, `mkdirat`, `renameat`,
/// `linkat`, `unlinkat`, `fstatat`), with `O_NOFOLLOW` and `AT_SYMLINK_NOFOLLOW`.
///
/// The guarantee: a symbolic link below the folder is never followed — not to open, create,
/// read, write, rename, link or remove, and `removeTree` removes a link, never what it points
/// to; a link where a folder is walked through is reported (`FileSystemError.link`) with its
/// destination. Renaming or replacing a folder on the way after it was opened changes nothing,
/// because its descriptor still names the same folder. Names are single path components; the
/// callers split and check paths. Only the path the handle is opened with (`init(opening:)`,
/// named by the user or by modelgate) is resolved by the kernel, links included.
package final class DirectoryHandle: Sendable {
    /// The open descriptor (owned: closed on deinit).
    package let descriptor: Int32
    /// The folder's path, for messages only: nothing is reached through it again.
    package let path: String

    /// Opens the folder at `path`, following links in `path` itself (the user named it).
    package init(opening path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOTDIR { throw FileSystemError.inTheWay(path: path, found: "file", needed: "folder") }
            throw FileSystemError.system(operation: "open the folder", path: path, code: code)
        }
        self.descriptor = descriptor
        self.path = path
    }

    /// Opens the folder at `url`, creating it and its missing parents first (mode 0755 less the
    /// umask): a folder of modelgate's own, such as `.git/modelgate/runs`.
    package convenience init(creating url: URL) throws {
        try Self.makeFolders(url.path)
        try self.init(opening: url.path)
    }

    /// `mkdir -p path`: each missing folder made (0755 less the umask), parents first.
    private static func makeFolders(_ path: String) throws {
        if mkdir(path, 0o755) == 0 { return }
        let code = errno
        if code == EEXIST { return }
        let parent = (path as NSString).deletingLastPathComponent
        guard code == ENOENT, !parent.isEmpty, parent != path else {
            throw FileSystemError.system(operation: "create the folder", path: path, code: code)
        }
        try makeFolders(parent)
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw FileSystemError.system(operation: "create the folder", path: path, code: errno)
        }
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// The same open folder (a duplicate descriptor, sharing its lock), known by `path` since
    /// it was renamed.
    init(renamed handle: DirectoryHandle, path: String) throws {
        descriptor = fcntl(handle.descriptor, F_DUPFD_CLOEXEC, 0)
        guard descriptor >= 0 else {
            throw FileSystemError.system(operation: "open the folder", path: path, code: errno)
        }
        self.path = path
    }

    deinit { close(descriptor) }

    /// The path of `name` in this folder, for messages.
    package func child(_ name: String) -> String { path.hasSuffix("/") ? path + name : "\(path)/\(name)" }

    private func failure(_ operation: String, _ name: String, _ code: Int32 = errno) -> FileSystemError {
        .system(operation: operation, path: child(name), code: code)
    }

    // MARK: - Looking

    /// What is at a name, without following a link.
    package enum Kind: Equatable, Sendable {
        case missing, file, folder
        /// A device, FIFO or socket.
        case other
        /// A symbolic link, with its destination (never followed).
        case link(String)
    }

    /// What is at `name` (a link is reported with its destination, never followed).
    package func kind(of name: String) throws -> Kind {
        guard let status = try status(of: name) else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK: return .link(destination(of: name))
        default: return .other
        }
    }

    /// The status of `name` (not followed when it is a link); nil when nothing is there.
    package func status(of name: String) throws -> stat? {
        var status = stat()
        guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw failure("inspect", name)
        }
        return status
    }

    /// The destination of the link `name` as stored (`?` when it cannot be read).
    package func destination(of name: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(descriptor, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return "?" }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The folder's own status (`st_dev`, `st_mode`…).
    package func status() throws -> stat {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FileSystemError.system(operation: "inspect", path: path, code: errno)
        }
        return status
    }

    /// True when the folder `name` is the root of a mount (another file system, or a bind
    /// mount), which nothing can be renamed into or out of.
    package func isMountRoot(_ name: String) -> Bool {
        clinux_is_mount_root(descriptor, name) == 1
    }

    /// The names in this folder (without `.` and `..`) and what they are: as `readdir` says,
    /// or, where the file system does not say, as `fstatat` does (links not followed, their
    /// destination read).
    package func entries() throws -> [(name: String, kind: Kind)] {
        // fdopendir takes over its descriptor, and reading moves the descriptor's offset: it gets
        // the folder opened anew, so that two threads may list one handle.
        let copy = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw FileSystemError.system(operation: "list", path: path, code: errno)
        }
        defer { closedir(stream) }
        var result: [(name: String, kind: Kind)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let kind: Kind
            switch entry.pointee.d_type {
            case UInt8(DT_REG): kind = .file
            case UInt8(DT_DIR): kind = .folder
            case UInt8(DT_LNK): kind = .link(destination(of: name))
            case UInt8(DT_UNKNOWN): kind = try self.kind(of: name)
            default: kind = .other
            }
            if kind != .missing { result.append((name, kind)) }
        }
        return result
    }

    /// The names in this folder (without `.` and `..`).
    package func names() throws -> [String] { try entries().map(\.name) }

    // MARK: - Folders

    /// The folder `name`, opened without following a link.
    package func folder(_ name: String) throws -> DirectoryHandle {
        let opened = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else {
            let code = errno
            if code == ELOOP || code == ENOTDIR {
                switch try kind(of: name) {
                case .link(let destination):
                    throw FileSystemError.link(path: child(name), destination: destination)
                case .other:
                    throw FileSystemError.inTheWay(path: child(name), found: "special file", needed: "folder")
                default: throw FileSystemError.inTheWay(path: child(name), found: "file", needed: "folder")
                }
            }
            throw failure("open the folder", name, code)
        }
        return DirectoryHandle(descriptor: opened, path: child(name))
    }

    /// Creates the folder `name` (`mode` less the umask) unless it exists; opens it. Returns
    /// whether it was created.
    package func makeFolder(_ name: String, mode: mode_t = 0o755) throws -> (DirectoryHandle, created: Bool) {
        var created = true
        if mkdirat(descriptor, name, mode) != 0 {
            guard errno == EEXIST else { throw failure("create the folder", name) }
            created = false
        }
        return (try folder(name), created)
    }

    /// The folder at `components` below this one, reached without following links; missing
    /// folders are created (`mode` less the umask) when `creating`, and `created` is told the
    /// number of components of each one made.
    package func walk(
        _ components: ArraySlice<String>, creating: Bool = false, mode: mode_t = 0o755,
        created: ((Int) -> Void)? = nil
    ) throws -> DirectoryHandle {
        // Not generic: this is on the hook path, where a generic collection costs runtime
        // conformance lookups (measured: a third of a million instructions per process).
        var current = self
        var count = 0
        for component in components {
            count += 1
            if creating {
                let (next, made) = try current.makeFolder(component, mode: mode)
                if made { created?(count) }
                current = next
            } else {
                current = try current.folder(component)
            }
        }
        return current
    }

    // MARK: - Files

    /// A new file `name` for writing, `mode` less the umask. `exclusive`: fails when anything
    /// is there; otherwise a file of that name is emptied (a link there is never followed).
    package func createFile(_ name: String, exclusive: Bool = false, mode: mode_t = 0o644) throws
        -> OutputFile
    {
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let opened = openat(descriptor, name, flags, mode)
        guard opened >= 0 else {
            let code = errno
            if code == ELOOP {
                throw FileSystemError.link(path: child(name), destination: destination(of: name))
            }
            throw failure("create", name, code)
        }
        return OutputFile(descriptor: opened, path: child(name))
    }

    /// `name` opened for reading without following a link (without blocking on a FIFO), or nil
    /// when nothing is there.
    package func open(_ name: String) throws -> OpenedFile? {
        let opened = openat(descriptor, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP {
                throw FileSystemError.link(path: child(name), destination: destination(of: name))
            }
            throw failure("open", name, code)
        }
        return try OpenedFile(taking: opened, path: child(name))
    }

    /// The content of the regular file `name`; nil when there is none (or a link or anything
    /// else is there). Throws past `limit` bytes.
    package func readFile(_ name: String, limit: Int) throws -> Data? {
        guard let file = try? open(name), file.kind == .file else { return nil }
        let data = try file.read(atMost: limit)
        guard data.count <= limit else {
            throw failure("read (larger than \(limit) bytes)", name, EFBIG)
        }
        return data
    }

    /// fsyncs the regular file `name`, so that its content survives a crash.
    package func syncFile(_ name: String) throws {
        let opened = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        defer { if opened >= 0 { close(opened) } }
        guard opened >= 0, fsync(opened) == 0 else { throw failure("flush", name) }
    }

    /// Replaces the file `name` with `data`: a new file (`mode` less the umask) written beside it,
    /// renamed over it, so that a reader sees the old content or the new, never half, and a link
    /// at `name` is replaced, not written through. With `syncing`, the bytes are flushed to disk
    /// before the rename: after a crash the file holds the old content or the new, never a
    /// truncated one.
    package func replaceFile(_ name: String, with data: Data, mode: mode_t = 0o644, syncing: Bool) throws {
        let temporary = ".\(name.prefix(64)).\(UUID().uuidString).tmp"
        let file = try createFile(temporary, exclusive: true, mode: mode)
        do {
            try file.write(data)
            try file.finish(syncing: syncing)
            try move(temporary, to: self, as: name)
        } catch {
            try? remove(temporary)
            throw error
        }
    }

    // MARK: - Renaming, linking, removing

    /// Renames `name` to `newName` in `folder` (replacing a file there, as rename(2) does; a
    /// link there is replaced, not followed).
    package func move(_ name: String, to folder: DirectoryHandle, as newName: String) throws {
        guard renameat(descriptor, name, folder.descriptor, newName) == 0 else {
            throw FileSystemError.system(
                operation: "move '\(child(name))' to", path: folder.child(newName), code: errno)
        }
    }

    /// Swaps `name` and `other` (both in this folder) in one step (`renameat2(RENAME_EXCHANGE)`).
    /// Fails with `EINVAL`, `ENOSYS` or `ENOTSUP` where the file system or kernel cannot.
    package func exchange(_ name: String, with other: String) throws {
        guard clinux_rename_exchange(descriptor, name, descriptor, other) == 0 else {
            throw FileSystemError.system(
                operation: "swap '\(child(name))' with", path: child(other), code: errno)
        }
    }

    /// Makes `newName` in `folder` a hard link to the file `name` (a link at `name` would be
    /// linked itself, never followed).
    package func hardLink(_ name: String, to folder: DirectoryHandle, as newName: String) throws {
        guard linkat(descriptor, name, folder.descriptor, newName, 0) == 0 else {
            throw FileSystemError.system(
                operation: "link '\(child(name))' as", path: folder.child(newName), code: errno)
        }
    }

    /// Removes the file (or link) `name`, or the empty folder `name` when `isFolder`.
    package func remove(_ name: String, isFolder: Bool = false) throws {
        guard unlinkat(descriptor, name, isFolder ? AT_REMOVEDIR : 0) == 0 else {
            throw failure("remove", name)
        }
    }

    /// Removes `name` and, if it is a folder, everything in it; nothing when it is missing.
    /// Links are removed, never followed. What can be removed is, even after a failure; the
    /// first failure is thrown at the end.
    package func removeTree(_ name: String) throws {
        if unlinkat(descriptor, name, 0) == 0 { return }
        let code = errno
        if code == ENOENT { return }
        // Linux says EISDIR for a folder, POSIX allows EPERM.
        guard code == EISDIR || code == EPERM else { throw failure("remove", name, code) }
        try folder(name).removeContents()
        guard unlinkat(descriptor, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
            throw failure("remove", name)
        }
    }

    /// The deepest a removal descends holding a descriptor a level; a folder below is first
    /// moved up into the folder being emptied, so that any depth costs a bounded number of
    /// descriptors and stack frames.
    static let removalDepth = 64

    /// Removes everything in this folder (not the folder itself); links are removed, never
    /// followed. Throws the first failure once all that can be removed is.
    package func removeContents() throws {
        var firstFailure: (any Error)?
        var movedUp = true
        // Rounds repeat while folders deeper than `removalDepth` were moved up into this one.
        while movedUp {
            movedUp = false
            do {
                try removeContents(top: self, depth: 0, movedUp: &movedUp)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
    }

    private func removeContents(top: DirectoryHandle, depth: Int, movedUp: inout Bool) throws {
        var firstFailure: (any Error)?
        for (name, kind) in try entries() {
            do {
                if kind != .folder {
                    if unlinkat(descriptor, name, 0) == 0 { continue }
                    let code = errno
                    if code == ENOENT { continue }
                    guard code == EISDIR || code == EPERM else { throw failure("remove", name, code) }
                }
                if depth >= Self.removalDepth {
                    try move(name, to: top, as: ".removing-\(UUID().uuidString)")
                    movedUp = true
                    continue
                }
                try folder(name).removeContents(top: top, depth: depth + 1, movedUp: &movedUp)
                try remove(name, isFolder: true)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
    }

    // MARK: - Locking and flushing

    /// Takes an exclusive `flock` on this folder: true when taken, false when another
    /// descriptor holds it (only without `waiting`). Throws where the file system has no locks.
    /// Released by `unlock()` or when the descriptor closes (deinit, or the process ending
    /// however it ends).
    package func lock(waiting: Bool) throws -> Bool {
        while flock(descriptor, LOCK_EX | (waiting ? 0 : LOCK_NB)) != 0 {
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK: return false
            default: throw FileSystemError.system(operation: "lock", path: path, code: errno)
            }
        }
        return true
    }

    /// Releases `lock(waiting:)`.
    package func unlock() { flock(descriptor, LOCK_UN) }

    /// fsyncs the folder, so that renames in it survive a crash.
    package func sync() { fsync(descriptor) }
}
