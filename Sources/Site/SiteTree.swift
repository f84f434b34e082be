import CLinux
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Folder-tree operations of a site switch: hard-linking the unchanged files of the current
/// site into the new one, and swapping the two folders.
enum SiteTree {
    /// Hard-links every file (and symbolic link) under `source` into the same place under
    /// `target`, creating folders as needed, except the paths (relative, `/`-separated)
    /// `skip` names; a path already in `target` is left alone. Where the file system cannot
    /// link (another device, no hard links), the file is copied. Stops early (without error)
    /// once `cancelled` says so.
    static func link(
        from source: String, into target: String, cancelled: () -> Bool = { false }, skip: (String) -> Bool
    ) throws {
        let sourceDescriptor = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard sourceDescriptor >= 0 else { throw failure(source, errno) }
        defer { close(sourceDescriptor) }
        let targetDescriptor = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard targetDescriptor >= 0 else { throw failure(target, errno) }
        defer { close(targetDescriptor) }
        var info = stat()
        if fstat(sourceDescriptor, &info) == 0 { fchmod(targetDescriptor, info.st_mode & 0o7777) }
        try link(
            sourceDescriptor, targetDescriptor, prefix: "", cancelled: cancelled, skip: skip, target: target)
    }

    private static func link(
        _ source: Int32, _ target: Int32, prefix: String, cancelled: () -> Bool, skip: (String) -> Bool,
        target targetPath: String
    ) throws {
        // fdopendir takes over its descriptor: give it a copy.
        let listed = fcntl(source, F_DUPFD_CLOEXEC, 0)
        guard listed >= 0, let directory = fdopendir(listed) else {
            if listed >= 0 { close(listed) }
            throw failure(targetPath + "/" + prefix, errno)
        }
        defer { closedir(directory) }
        while let entry = readdir(directory), !cancelled() {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = prefix + name
            if skip(path) { continue }
            var type = entry.pointee.d_type
            var info = stat()
            if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_DIR) {
                guard fstatat(source, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw failure(targetPath + "/" + path, errno)
                }
                type = (info.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG)
            }
            if type == UInt8(DT_DIR) {
                if mkdirat(target, name, info.st_mode & 0o7777) != 0, errno != EEXIST {
                    throw failure(targetPath + "/" + path, errno)
                }
                let subsource = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard subsource >= 0 else { throw failure(targetPath + "/" + path, errno) }
                defer { close(subsource) }
                let subtarget = openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard subtarget >= 0 else { throw failure(targetPath + "/" + path, errno) }
                defer { close(subtarget) }
                try link(
                    subsource, subtarget, prefix: path + "/", cancelled: cancelled, skip: skip,
                    target: targetPath)
            } else if linkat(source, name, target, name, 0) != 0 {
                switch errno {
                case EEXIST: continue  // written by this build
                case EXDEV, EPERM, EMLINK, ENOTSUP:
                    try copy(source, name, to: target, path: targetPath + "/" + path)
                default: throw failure(targetPath + "/" + path, errno)
                }
            }
        }
    }

    /// Copies one regular file (or symbolic link) where it cannot be linked.
    private static func copy(_ source: Int32, _ name: String, to target: Int32, path: String) throws {
        var info = stat()
        guard fstatat(source, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw failure(path, errno) }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(source, name, &buffer, buffer.count - 1)
            guard count >= 0, symlinkat(buffer, target, name) == 0 else { throw failure(path, errno) }
            return
        }
        let input = openat(source, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw failure(path, errno) }
        defer { close(input) }
        let output = openat(target, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, info.st_mode & 0o7777)
        guard output >= 0 else { throw failure(path, errno) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno)
            }
            var written = 0
            while written < count {
                let step = buffer.withUnsafeBytes {
                    write(output, $0.baseAddress! + written, count - written)
                }
                if step < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, errno)
                }
                written += step
            }
        }
    }

    /// Removes `path` and everything under it (a folder tree of the site: no symbolic link is
    /// followed). Quicker than `FileManager.removeItem`, which stats every entry it removes:
    /// this walks with descriptors and `unlinkat`, using the entry types `readdir` reports.
    static func remove(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 {
            unlink(path)
            return
        }
        removeContents(of: descriptor)
        close(descriptor)
        rmdir(path)
    }

    private static func removeContents(of folder: Int32) {
        let listed = fcntl(folder, F_DUPFD_CLOEXEC, 0)
        guard listed >= 0, let directory = fdopendir(listed) else {
            if listed >= 0 { close(listed) }
            return
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let type = entry.pointee.d_type
            if type != UInt8(DT_DIR), unlinkat(folder, name, 0) == 0 { continue }
            // A folder (or a type readdir did not tell): empty it, then remove it.
            if type == UInt8(DT_DIR) || errno == EISDIR {
                let child = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    removeContents(of: child)
                    close(child)
                }
                unlinkat(folder, name, AT_REMOVEDIR)
            }
        }
    }

    /// Swaps the folders `first` and `second` in one step. Where the file system or kernel
    /// cannot (`RENAME_EXCHANGE` unsupported), `second` is renamed aside under `first`'s name
    /// plus `-previous` and `first` renamed to `second`: for a moment there is no folder,
    /// never a mix; the aside folder is swept like a staging folder if the build dies there.
    static func exchange(_ first: String, with second: String) throws {
        if clinux_rename_exchange(first, second) == 0 { return }
        let code = errno
        guard code == EINVAL || code == ENOSYS || code == ENOTSUP else { throw failure(second, code) }
        let aside = first + "-previous"
        guard rename(second, aside) == 0 else { throw failure(second, errno) }
        guard rename(first, second) == 0 else {
            let code = errno
            rename(aside, second)
            throw failure(second, code)
        }
        // `first` no longer exists; its owner removes it (a no-op), the previous site goes here.
        remove(aside)
    }

    private static func failure(_ path: String, _ code: Int32) -> SiteError {
        SiteError.cannotWrite(path: path, reason: String(cString: strerror(code)))
    }
}
