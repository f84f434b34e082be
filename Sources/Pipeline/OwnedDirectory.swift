import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A working directory that belongs to one live process, and can be told apart from one
/// whose owner died (a run's checkout, a site build's staging folder).
///
/// The directory is created under a temporary name (`NAME.creating`), opened, locked with
/// `flock(LOCK_EX)` on that descriptor, and only then renamed to `NAME`. So a directory under
/// its final name is locked for as long as its owner lives; the kernel drops the lock when the
/// owner's descriptor closes, whichever way the owner ends (even SIGKILL). The descriptor is
/// close-on-exec, so no child process inherits the lock and keeps a dead run looking alive.
/// `sweep` takes the lock of each directory without waiting: when it gets it, the owner is
/// gone, and the directory is removed while the lock is held, so a concurrent sweep or a live
/// owner never races it. A `NAME.creating` left by an owner killed between `mkdir` and
/// `rename` is removed once it is an hour old (it cannot be told apart from one being created
/// this instant).
public final class OwnedDirectory {
    /// Where the directory is.
    public let url: URL
    private var descriptor: Int32

    static let creatingSuffix = ".creating"

    /// Creates `parent/name` (and `parent`), owned by this process until `remove()`,
    /// `release()` or deinit.
    public init(in parent: URL, name: String) throws {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let final = parent.appendingPathComponent(name, isDirectory: true)
        let creating = parent.appendingPathComponent(name + Self.creatingSuffix).path
        guard mkdir(creating, 0o755) == 0 else { throw Self.failure("create", creating, errno) }
        let descriptor = open(creating, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0, rename(creating, final.path) == 0
        else {
            let code = errno
            if descriptor >= 0 { close(descriptor) }
            rmdir(creating)
            throw Self.failure("create", final.path, code)
        }
        url = final
        self.descriptor = descriptor
    }

    deinit { remove() }

    /// Removes the directory with everything in it, then lets go of it.
    public func remove() {
        guard descriptor >= 0 else { return }
        try? FileManager.default.removeItem(at: url)
        release()
    }

    /// Lets go of the directory without removing it (it was renamed into place).
    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    /// Removes the directories in `parent` whose name starts with `prefix` and whose owner is
    /// gone, calling `beforeRemoving` on each first (with its lock held); returns their names.
    @discardableResult
    public static func sweep(in parent: URL, prefix: String = "", beforeRemoving: (URL) -> Void = { _ in })
        -> [String]
    {
        let manager = FileManager.default
        let hourAgo = Date().addingTimeInterval(-3600)
        var removed: [String] = []
        for name in (try? manager.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(prefix)
        {
            let url = parent.appendingPathComponent(name, isDirectory: true)
            if name.hasSuffix(creatingSuffix) {
                let modified = (try? manager.attributesOfItem(atPath: url.path)[.modificationDate]) as? Date
                if let modified, modified < hourAgo, (try? manager.removeItem(at: url)) != nil {
                    removed.append(name)
                }
                continue
            }
            // Not following symbolic links: a link planted here must not lead the sweep elsewhere.
            let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }  // its owner is alive
            beforeRemoving(url)
            if (try? manager.removeItem(at: url)) != nil { removed.append(name) }
        }
        return removed
    }

    private static func failure(_ operation: String, _ path: String, _ code: Int32) -> StageFailure {
        StageFailure.system("\(operation) \(path)", code)
    }
}
