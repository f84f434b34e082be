import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A work folder that belongs to one live process, and can be told apart from one whose owner
/// died: a run's checkout, a pull's staging folder, a site build's work folders. The one
/// owned-folder mechanism of modelgate.
///
/// The folder is created under a temporary name (`NAME.creating`), opened, locked with
/// `flock(LOCK_EX)` on that descriptor, and only then renamed to `NAME`. So a folder under its
/// final name is locked for as long as its owner lives; the kernel drops the lock when the
/// owner's descriptor closes, whichever way the owner ends (even SIGKILL). The descriptor is
/// close-on-exec, so no child process inherits the lock and keeps a dead owner looking alive.
/// `sweep` takes the lock of each folder without waiting: when it gets it, the owner is gone,
/// and the folder is removed while the lock is held, so a concurrent sweep or a live owner
/// never races it. A `NAME.creating` left by an owner killed between `mkdir` and `rename` is
/// removed once it is an hour old (it cannot be told apart from one being created this
/// instant). On a file system without `flock` (some network ones) the folder is made all the
/// same, unlocked; a sweep cannot take its lock either, so it is never removed by mistake —
/// only left behind when its owner is killed.
///
/// Everything is reached through the parent's descriptor (`DirectoryHandle`): a sweep never
/// follows a link planted under a swept name, and removal (`remove()`, `sweep`) walks with
/// descriptors and never follows a link inside. `remove()` removes only the folder this owner
/// made: when its name now holds another folder (a site build swaps its folder with the
/// output), it lets go without removing anything.
package final class OwnedDirectory {
    /// The folder holding this one.
    package let parent: DirectoryHandle
    /// The folder's name in `parent`.
    package let name: String
    /// The folder itself (its descriptor holds the lock).
    package let folder: DirectoryHandle
    private var isOwned = true

    static let creatingSuffix = ".creating"

    /// Where the folder is (for code that works by path: stage commands, downloads).
    package var url: URL { URL(fileURLWithPath: parent.child(name), isDirectory: true) }

    /// Creates `name` in `parent` (`mode` less the umask), owned by this process until
    /// `remove()`, `release()` or deinit.
    package init(in parent: DirectoryHandle, name: String, mode: mode_t = 0o755) throws {
        let creating = name + Self.creatingSuffix
        let (opened, created) = try parent.makeFolder(creating, mode: mode)
        guard created else {
            throw FileSystemError.system(
                operation: "create the folder", path: parent.child(creating), code: EEXIST)
        }
        do {
            // false only if another process holds it, which a folder made this instant cannot be;
            // a throw says the file system has no locks (see above).
            guard (try? opened.lock(waiting: false)) != false else {
                throw FileSystemError.system(operation: "lock", path: opened.path, code: EWOULDBLOCK)
            }
            try parent.move(creating, to: parent, as: name)
        } catch {
            try? parent.remove(creating, isFolder: true)
            throw error
        }
        self.parent = parent
        self.name = name
        folder = try DirectoryHandle(renamed: opened, path: parent.child(name))
    }

    /// Creates `parent/name` (and `parent`, with its missing parents), owned by this process.
    package convenience init(in parent: URL, name: String, mode: mode_t = 0o755) throws {
        try self.init(in: DirectoryHandle(creating: parent), name: name, mode: mode)
    }

    deinit { remove() }

    /// Removes the folder with everything in it (when its name still holds it), then lets go.
    package func remove() {
        guard isOwned else { return }
        if let own = try? folder.status(), let named = try? parent.status(of: name),
            own.st_dev == named.st_dev, own.st_ino == named.st_ino
        {
            try? parent.removeTree(name)
        }
        release()
    }

    /// Lets go of the folder without removing it (it was renamed into place).
    package func release() {
        guard isOwned else { return }
        isOwned = false
        folder.unlock()
    }

    /// Removes the folders in `parent` whose name starts with `prefix` and whose owner is
    /// gone, calling `beforeRemoving` with each one's name first (its lock held); returns their
    /// names. Anything else there (a file, a link, a live folder) is left alone.
    @discardableResult
    package static func sweep(
        in parent: DirectoryHandle, prefix: String, beforeRemoving: (String) -> Void = { _ in }
    ) -> [String] {
        let hourAgo = time(nil) - 3600
        var removed: [String] = []
        for (name, kind) in (try? parent.entries()) ?? [] where name.hasPrefix(prefix) {
            guard kind == .folder else { continue }
            if name.hasSuffix(creatingSuffix) {
                guard let status = try? parent.status(of: name), status.st_mode & S_IFMT == S_IFDIR,
                    status.st_mtim.tv_sec < hourAgo
                else { continue }
                if (try? parent.removeTree(name)) != nil { removed.append(name) }
                continue
            }
            // Opened without following a link: a link planted here does not lead the sweep elsewhere.
            guard let stale = try? parent.folder(name), (try? stale.lock(waiting: false)) == true else {
                continue  // its owner is alive (or the file system has no locks)
            }
            beforeRemoving(name)
            if (try? parent.removeTree(name)) != nil { removed.append(name) }
        }
        return removed
    }

    /// `sweep(in:prefix:beforeRemoving:)` in the folder at `parent` (nothing when it is missing).
    @discardableResult
    package static func sweep(
        in parent: URL, prefix: String = "", beforeRemoving: (URL) -> Void = { _ in }
    ) -> [String] {
        guard let handle = try? DirectoryHandle(opening: parent.path) else { return [] }
        return sweep(in: handle, prefix: prefix) {
            beforeRemoving(parent.appendingPathComponent($0, isDirectory: true))
        }
    }
}
