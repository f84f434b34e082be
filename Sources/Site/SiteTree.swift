import FileSafety
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Carries the unchanged files of the current site into the next one, through folder
/// descriptors (`DirectoryHandle`).
///
/// The output folder may come from elsewhere (a checked-out pages branch: git stores symbolic
/// links), so it is walked without following anything: a symbolic link, a device, a FIFO or a
/// socket anywhere in it refuses the build (`SiteError.refusedEntry`, exit 2) before anything
/// is written. A site never holds one, so carrying one over would only carry over a way out of
/// the folder; the user removes it, or builds into a new folder. Regular files are hard-linked
/// (copied where the file system cannot link), folders made with their modes.
enum SiteTree {
    /// Hard-links every file under `source` into the same place under `target` (only checks
    /// when `target` is nil), except the paths (relative, `/`-separated) `skip` names; a path
    /// already in `target` is left alone. `display` is `source`'s path, for messages. Stops
    /// early (without error) once `cancelled` says so.
    static func link(
        from source: DirectoryHandle, into target: DirectoryHandle?, display: String,
        cancelled: () -> Bool = { false }, skip: (String) -> Bool
    ) throws {
        do {
            if let target { fchmod(target.descriptor, try source.status().st_mode & 0o7777) }
            try link(source, target, prefix: "", display: display, cancelled: cancelled, skip: skip)
        } catch let error as FileSystemError {
            throw SiteError(error)
        }
    }

    private static func link(
        _ source: DirectoryHandle, _ target: DirectoryHandle?, prefix: String, display: String,
        cancelled: () -> Bool, skip: (String) -> Bool
    ) throws {
        for (name, kind) in try source.entries() {
            if cancelled() { return }
            let path = prefix + name
            if skip(path) { continue }
            switch kind {
            case .folder:
                let folder = try source.folder(name)
                let copy = try target?.makeFolder(name, mode: try folder.status().st_mode & 0o7777).0
                try link(
                    folder, copy, prefix: path + "/", display: display, cancelled: cancelled, skip: skip)
            case .file:
                guard let target else { continue }
                do {
                    try source.hardLink(name, to: target, as: name)
                } catch FileSystemError.system(_, _, let code) where code == EEXIST {
                    continue  // written by this build
                } catch FileSystemError.system(_, _, let code)
                    where [EXDEV, EPERM, EMLINK, ENOTSUP].contains(code)
                {
                    try copy(name, from: source, to: target)
                }
            case .link(let destination):
                throw SiteError.refusedEntry(
                    path: display + "/" + path, found: "a symbolic link (to '\(destination)')")
            case .other:
                throw SiteError.refusedEntry(path: display + "/" + path, found: "a device, FIFO or socket")
            case .missing:
                continue
            }
        }
    }

    /// Copies the regular file `name` where it cannot be linked.
    private static func copy(_ name: String, from source: DirectoryHandle, to target: DirectoryHandle) throws
    {
        guard let input = try source.open(name), input.kind == .file else { return }
        var status = stat()
        guard fstat(input.descriptor, &status) == 0 else {
            throw FileSystemError.system(operation: "read", path: source.child(name), code: errno)
        }
        let output = try target.createFile(name, exclusive: true, mode: status.st_mode & 0o7777)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(input.descriptor, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.system(operation: "read", path: source.child(name), code: errno)
            }
            try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        try output.finish(syncing: false)
    }
}
