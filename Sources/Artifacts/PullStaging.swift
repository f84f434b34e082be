import FileSafety
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The one private folder (`.modelgate-pull-<uuid>`, mode 0700) where a pull downloads and
/// unpacks, on the file system where the pulled files end up: inside the target when it exists
/// (even when the target is a mount point), beside it otherwise. Released or `remove()`d, it
/// is deleted with all it holds.
///
/// It is an `OwnedDirectory`: locked with `flock` for as long as its process lives, so a pull
/// killed outright (`kill -9`, a power cut), which cannot delete it, leaves it unlocked, and
/// the next pull there sweeps it; a live pull's folder is never swept.
final class PullStaging {
    /// The name every staging folder starts with.
    static let prefix = ".modelgate-pull-"

    /// The target, with the links in its path resolved (`resolve(_:)`).
    let target: URL
    /// The folder holding the staging folder: the target, or the target's parent.
    var container: DirectoryHandle { owned.parent }
    /// The staging folder itself.
    var folder: DirectoryHandle { owned.folder }
    /// True when the target existed (and so holds the staging folder).
    let isInsideTarget: Bool
    private let owned: OwnedDirectory
    /// Folders created on the way to the target's parent, deepest first, removed again if empty.
    private let createdAncestors: [URL]
    private var isRemoved = false

    /// The staging folder's path (for code that writes by path: downloads).
    var url: URL { owned.url }

    /// Creates a staging folder for a pull into `directory`, creating the target's missing
    /// parents, after sweeping the staging folders of killed pulls there.
    init(for directory: URL) throws {
        target = Self.resolve(directory)
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
        do {
            for folder in missing.reversed() where mkdir(folder.path, 0o755) != 0 && errno != EEXIST {
                throw UnpackError.system(operation: "create the folder", path: folder.path, code: errno)
            }
            let container = try UnpackError.translating { try DirectoryHandle(opening: containerURL.path) }
            OwnedDirectory.sweep(in: container, prefix: Self.prefix)
            owned = try UnpackError.translating {
                try OwnedDirectory(
                    in: container, name: Self.prefix + UUID().uuidString.lowercased(), mode: 0o700)
            }
        } catch {
            for created in missing { rmdir(created.path) }
            throw error
        }
    }

    deinit { remove() }

    /// Deletes the staging folder and what it holds, and the target's parents this pull created
    /// when they are empty again. Errors are ignored: there is nothing more to do about them.
    func remove() {
        guard !isRemoved else { return }
        isRemoved = true
        owned.remove()
        for ancestor in createdAncestors { rmdir(ancestor.path) }
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
