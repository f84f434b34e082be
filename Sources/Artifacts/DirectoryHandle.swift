import Checksum
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An open folder: the one owner of its descriptor (opened `O_CLOEXEC`, closed on deinit).
///
/// Everything below the folder is reached one name at a time relative to the descriptor
/// (`openat`, `mkdirat`, `renameat`, `unlinkat`), with `O_NOFOLLOW` and `AT_SYMLINK_NOFOLLOW`:
/// a symbolic link is never followed, and renaming or replacing a folder on the way after it
/// was opened changes nothing, because its descriptor still names the same folder. Names are
/// single path components; the callers split and check paths.
final class DirectoryHandle {
    let descriptor: Int32
    /// The folder's path, for messages only: nothing is reached through it again.
    let path: String

    /// Opens the folder at `path`, following links in `path` itself (the user named it).
    init(opening path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOTDIR { throw UnpackError.inTheWay(path, found: "file", needed: "folder") }
            throw UnpackError.system(operation: "open the folder", path: path, code: code)
        }
        self.descriptor = descriptor
        self.path = path
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    private func child(_ name: String) -> String { path.hasSuffix("/") ? path + name : "\(path)/\(name)" }

    /// What is at `name`, without following a link.
    enum Kind: Equatable {
        case missing, file, folder, other
        case link(String)
    }

    /// What is at `name` (a link is reported with its destination, never followed).
    func kind(of name: String) throws -> Kind {
        var status = stat()
        guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            let code = errno
            if code == ENOENT { return .missing }
            throw UnpackError.system(operation: "inspect", path: child(name), code: code)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(descriptor, name, &buffer, buffer.count - 1)
            let destination =
                count >= 0
                ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            return .link(destination)
        default: return .other
        }
    }

    /// The folder `name`, opened without following a link.
    func folder(_ name: String) throws -> DirectoryHandle {
        let opened = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else {
            let code = errno
            if code == ELOOP || code == ENOTDIR {
                if case .link(let destination) = try kind(of: name) {
                    throw UnpackError.linkInTarget(child(name), destination: destination)
                }
                throw UnpackError.inTheWay(child(name), found: "file", needed: "folder")
            }
            throw UnpackError.system(operation: "open the folder", path: child(name), code: code)
        }
        return DirectoryHandle(descriptor: opened, path: child(name))
    }

    /// Creates the folder `name` (mode 0755 less the umask) unless it exists; opens it.
    /// Returns whether it was created.
    func makeFolder(_ name: String, mode: mode_t = 0o755) throws -> (DirectoryHandle, created: Bool) {
        var created = true
        if mkdirat(descriptor, name, mode) != 0 {
            guard errno == EEXIST else {
                throw UnpackError.system(operation: "create the folder", path: child(name), code: errno)
            }
            created = false
        }
        return (try folder(name), created)
    }

    /// A new file `name` (replacing a file of that name), mode 0644 less the umask.
    func createFile(_ name: String) throws -> OutputFile {
        let opened = openat(descriptor, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw UnpackError.system(operation: "create", path: child(name), code: errno)
        }
        return OutputFile(descriptor: opened, path: child(name))
    }

    /// The content of the regular file `name`; nil when there is none. Throws past `limit` bytes.
    func readFile(_ name: String, limit: Int) throws -> Data? {
        let opened = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else {
            if errno == ENOENT || errno == ELOOP { return nil }
            throw UnpackError.system(operation: "read", path: child(name), code: errno)
        }
        defer { close(opened) }
        var status = stat()
        guard fstat(opened, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        guard status.st_size <= limit else {
            throw UnpackError.system(
                operation: "read (larger than \(limit) bytes)", path: child(name), code: EFBIG)
        }
        var data = Data(count: Int(status.st_size))
        var offset = 0
        while offset < data.count {
            let count = data.withUnsafeMutableBytes {
                pread(opened, $0.baseAddress! + offset, $0.count - offset, off_t(offset))
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw UnpackError.system(operation: "read", path: child(name), code: count < 0 ? errno : EIO)
            }
            offset += count
        }
        return data
    }

    /// fsyncs the regular file `name`, so that its content survives a crash.
    func syncFile(_ name: String) throws {
        let opened = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        defer { if opened >= 0 { close(opened) } }
        guard opened >= 0, fsync(opened) == 0 else {
            throw UnpackError.system(operation: "flush", path: child(name), code: errno)
        }
    }

    /// Renames `name` to `newName` in `folder` (replacing a file there, as rename(2) does).
    func move(_ name: String, to folder: DirectoryHandle, as newName: String) throws {
        guard renameat(descriptor, name, folder.descriptor, newName) == 0 else {
            throw UnpackError.system(
                operation: "move '\(child(name))' to", path: folder.child(newName), code: errno)
        }
    }

    /// Removes the file `name`, or the empty folder `name` when `isFolder`.
    func remove(_ name: String, isFolder: Bool = false) throws {
        guard unlinkat(descriptor, name, isFolder ? AT_REMOVEDIR : 0) == 0 else {
            throw UnpackError.system(operation: "remove", path: child(name), code: errno)
        }
    }

    /// Removes `name` and, if it is a folder, everything in it; links are removed, never followed.
    func removeTree(_ name: String) throws {
        if case .folder = try kind(of: name) {
            let folder = try self.folder(name)
            for entry in try folder.names() { try folder.removeTree(entry) }
            try remove(name, isFolder: true)
        } else if try kind(of: name) != .missing {
            try remove(name)
        }
    }

    /// The names in this folder (without `.` and `..`).
    func names() throws -> [String] {
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw UnpackError.system(operation: "list", path: path, code: errno)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result
    }

    /// Takes an exclusive `flock` on this folder: true when taken. Released when the descriptor
    /// closes (deinit, or the process ending however it ends).
    func lock(waiting: Bool) -> Bool {
        while flock(descriptor, LOCK_EX | (waiting ? 0 : LOCK_NB)) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    /// The folder's status (`st_dev`, `st_mtim`…).
    func status() throws -> stat {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw UnpackError.system(operation: "inspect", path: path, code: errno)
        }
        return status
    }

    /// fsyncs the folder, so that renames in it survive a crash.
    func sync() { fsync(descriptor) }

    /// Releases `lock(waiting:)`.
    func unlock() { flock(descriptor, LOCK_UN) }
}

/// A file being written once, front to back, while its SHA-256 is computed: the one owner of
/// its descriptor.
final class OutputFile {
    private let descriptor: Int32
    private let hasher = SHA256()
    private var isOpen = true
    let path: String
    /// Bytes written so far.
    private(set) var size: Int64 = 0

    fileprivate init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { if isOpen { close(descriptor) } }

    /// Appends bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw UnpackError.system(operation: "write", path: path, code: errno)
            }
            offset += written
        }
        size += Int64(bytes.count)
    }

    /// Closes the file; returns its lowercase hex SHA-256. (Not flushed: the unpacker flushes
    /// only the files it keeps, so that a layer of a million empty files costs no million fsyncs.)
    func finish() throws -> String {
        isOpen = false
        guard close(descriptor) == 0 else {
            throw UnpackError.system(operation: "write", path: path, code: errno)
        }
        return hasher.finalize()
    }
}
