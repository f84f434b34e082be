import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private folder (`.modelgate-pull-<uuid>`, mode 0700) where a pull downloads and unpacks,
/// on the file system where the pulled files end up: inside the target when it exists (even
/// when the target is a mount point), beside it otherwise. Released or `remove()`d, it is
/// deleted with all it holds.
///
/// A pull killed outright (`kill -9`, a power cut) cannot delete it, so every staging folder
/// holds an exclusive `flock` for as long as its process lives; creating one first removes the
/// staging folders beside it whose lock nobody holds. Creation and sweeping happen under a lock
/// on the containing folder, so a sweep never takes a folder that is being created.
final class PullStaging {
    /// The name every staging folder starts with.
    static let prefix = ".modelgate-pull-"

    /// The folder holding the staging folder: the target, or the target's parent.
    let container: DirectoryHandle
    /// The staging folder itself (locked).
    let folder: DirectoryHandle
    /// Its name in `container`.
    let name: String
    /// True when the target existed (and so holds the staging folder).
    let isInsideTarget: Bool
    /// Folders created on the way to the target's parent, deepest first, removed again if empty.
    private let createdAncestors: [URL]
    private var isRemoved = false

    /// The staging folder's path (for code that writes by path: downloads).
    var url: URL { URL(fileURLWithPath: folder.path, isDirectory: true) }

    /// Creates a staging folder for a pull into `target` (a path with its links resolved,
    /// `resolve(_:)`), creating the target's missing parents.
    init(for target: URL) throws {
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        let exists = fileManager.fileExists(atPath: target.path, isDirectory: &isFolder)
        if exists && !isFolder.boolValue {
            throw UnpackError.inTheWay(target.path, found: "file", needed: "folder")
        }
        isInsideTarget = exists
        let containerURL = exists ? target : target.deletingLastPathComponent()
        var missing: [URL] = []
        var ancestor = containerURL
        while !fileManager.fileExists(atPath: ancestor.path), ancestor.path != "/" {
            missing.append(ancestor)
            ancestor = ancestor.deletingLastPathComponent()
        }
        createdAncestors = missing
        for folder in missing.reversed() where mkdir(folder.path, 0o755) != 0 && errno != EEXIST {
            let code = errno
            for created in missing { rmdir(created.path) }
            throw UnpackError.system(operation: "create the folder", path: folder.path, code: code)
        }
        do {
            (container, name, folder) = try Self.makeFolder(in: containerURL)
        } catch {
            for created in missing { rmdir(created.path) }
            throw error
        }
    }

    /// Opens `containerURL`, sweeps it and creates a locked staging folder in it, all under a
    /// lock on the container.
    private static func makeFolder(in containerURL: URL) throws -> (DirectoryHandle, String, DirectoryHandle)
    {
        let container = try DirectoryHandle(opening: containerURL.path)
        // Best effort: a file system without flock (some network ones) still gets its pull.
        let containerLocked = container.lock(waiting: true)
        defer { if containerLocked { container.unlock() } }
        sweep(container)
        let name = prefix + UUID().uuidString.lowercased()
        let folder = try container.makeFolder(name, mode: 0o700).0
        _ = folder.lock(waiting: false)
        return (container, name, folder)
    }

    deinit { remove() }

    /// Deletes the staging folder and what it holds, and the target's parents this pull created
    /// when they are empty again. Errors are ignored: there is nothing more to do about them.
    func remove() {
        guard !isRemoved else { return }
        isRemoved = true
        try? container.removeTree(name)
        for ancestor in createdAncestors { rmdir(ancestor.path) }
    }

    /// Removes the staging folders in `container` that no live pull holds.
    private static func sweep(_ container: DirectoryHandle) {
        for name in (try? container.names()) ?? [] where name.hasPrefix(prefix) {
            guard let stale = try? container.folder(name), stale.lock(waiting: false) else { continue }
            try? container.removeTree(name)
        }
    }

    /// `target` with the links in its path resolved: the folder a user names may be a link,
    /// nothing inside it is ever followed.
    static func resolve(_ target: URL) -> URL {
        let path = target.standardizedFileURL.path
        if let real = realpath(path, nil) {
            defer { free(real) }
            return URL(fileURLWithPath: String(cString: real), isDirectory: true)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if let real = realpath(parent, nil) {
            defer { free(real) }
            return URL(fileURLWithPath: String(cString: real), isDirectory: true)
                .appendingPathComponent((path as NSString).lastPathComponent, isDirectory: true)
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}
