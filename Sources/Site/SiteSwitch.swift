import Dispatch
import Foundation
import Pipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The folders a site build works in, beside the output folder, and the one step that puts
/// the new site in place.
///
/// The guarantee: a reader of the output folder sees the previous site or the new one, whole,
/// never a mix, and a build that fails or is killed at any point leaves the previous site as
/// it was. The mechanism: the changed files are rendered into `pages`; meanwhile (from the
/// start of the build, on another thread, since the history is read and planned on this one)
/// every file of the current site is hard-linked, not copied, into `next` (or, when the build's
/// inputs look unchanged and no page is expected to change, only once one did). Once both are done,
/// each changed file is renamed from `pages` into `next` (over its link), the files the new
/// site drops are unlinked there, the manifest is written there, and `next` is swapped with
/// the output folder by one `renameat2(RENAME_EXCHANGE)`; the previous site, now under
/// `next`'s name, is removed. Both folders are `OwnedDirectory`s: a killed build leaves them
/// unlocked, and the next build sweeps them. A first build renames `pages` into place.
///
/// Why an exchange and not a symbolic link flipped to a new folder: the output stays a real
/// folder, as users (and `git add`, and static hosts that upload the folder) expect, and no
/// versioned folders pile up beside it.
final class SiteSwitch {
    /// The output folder (symbolic links resolved: the site replaces what a link points to).
    let target: URL
    /// True when there is no site yet.
    let isFirstBuild: Bool
    /// Where the changed files are rendered; made by `pagesFolder()` once the build gets there,
    /// so that a build failing earlier (an unknown branch) creates nothing.
    private var pages: OwnedDirectory?
    /// The next site: links to the current one's files, then the changes; nil for a first build,
    /// and until linking starts.
    private var next: OwnedDirectory?
    private let mirror = Mirror()

    /// The linking thread's state (not the switch itself, whose deinit must not wait for it).
    private final class Mirror: Sendable {
        let done = DispatchGroup()
        let failure = Mutex<SiteError?>(nil)
        let cancelled = Atomic<Bool>(false)
    }

    /// Names of a site's work folders (beside the target) begin with this.
    static func prefix(of target: URL) -> String { ".\(target.lastPathComponent).modelgate-staging-" }

    /// Checks `output`, sweeps what killed builds left, makes the work folders, and (when
    /// `linkingEarly`) starts linking the current site into `next`.
    init(output: URL, linkingEarly: Bool = true) throws {
        let manager = FileManager.default
        target = output.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        isFirstBuild = !manager.fileExists(atPath: target.path, isDirectory: &isDirectory)
        if !isFirstBuild, !isDirectory.boolValue { throw SiteError.notAFolder(output.path) }
        if !isFirstBuild, Self.isMountPoint(target) { throw SiteError.mountPoint(output.path) }
        let parent = target.deletingLastPathComponent()
        let prefix = Self.prefix(of: target)
        OwnedDirectory.sweep(in: parent, prefix: prefix)
        if !isFirstBuild {
            OwnedDirectory.sweep(in: target, prefix: ".modelgate-staging-")  // left by older versions
        }
        if !isFirstBuild, linkingEarly { try startLinking() }
    }

    /// The folder the changed files are rendered into.
    func pagesFolder() throws -> OwnedDirectory {
        if let pages { return pages }
        let made = try Self.makeFolder(beside: target)
        pages = made
        return made
    }

    private static func makeFolder(beside target: URL) throws -> OwnedDirectory {
        do {
            return try OwnedDirectory(
                in: target.deletingLastPathComponent(), name: prefix(of: target) + UUID().uuidString)
        } catch {
            throw SiteError.cannotWrite(
                path: target.path, reason: "cannot create a staging folder (\(error.localizedDescription))")
        }
    }

    /// Makes `next` and links the current site's files into it on another thread.
    private func startLinking() throws {
        let next = try Self.makeFolder(beside: target)
        self.next = next
        let (source, destination, mirror) = (target.path, next.url.path, mirror)
        DispatchQueue.global().async(group: mirror.done) {
            do {
                try SiteTree.link(
                    from: source, into: destination, cancelled: { mirror.cancelled.load(ordering: .relaxed) }
                ) { $0 == SiteWriter.manifestName || $0.hasPrefix(".modelgate-staging-") }
            } catch let error as SiteError {
                mirror.failure.withLock { $0 = error }
            } catch {}
        }
    }

    deinit { discard() }

    /// Removes the work folders (after a failure, or when nothing changed).
    func discard() {
        mirror.cancelled.store(true, ordering: .relaxed)
        mirror.done.wait()
        if let next {
            SiteTree.remove(next.url.path)
            next.remove()
        }
        if let pages {
            SiteTree.remove(pages.url.path)
            pages.remove()
        }
    }

    /// Puts the new site in place: `staged` are the paths rendered into `pages` (flushed),
    /// `dropped` the paths of the current site the new one no longer has, `manifest` the new
    /// manifest's bytes.
    func commit(staged: [String], dropped: [String], manifest: Data, clock: PhaseClock) throws {
        let pages = try pagesFolder()
        if isFirstBuild {
            try SiteWriter.writeManifest(manifest, to: pages.url)
            guard rename(pages.url.path, target.path) == 0 else { throw failure(target.path, errno) }
            pages.release()
            clock.lap("  switched")
            return
        }
        if next == nil { try startLinking() }
        mirror.done.wait()
        if let error = mirror.failure.withLock({ $0 }) { throw error }
        clock.lap("  unchanged files linked")
        guard let next else { return }
        let nextPath = next.url.path
        var made = Set<String>()
        for path in staged {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty, made.insert(folder).inserted {
                try FileManager.default.createDirectory(
                    atPath: nextPath + "/" + folder, withIntermediateDirectories: true)
            }
            guard rename(pages.url.path + "/" + path, nextPath + "/" + path) == 0 else {
                throw failure(nextPath + "/" + path, errno)
            }
        }
        for path in dropped { unlink(nextPath + "/" + path) }
        try SiteWriter.writeManifest(manifest, to: next.url)
        clock.lap("  changes placed")
        try SiteTree.exchange(nextPath, with: target.path)
        clock.lap("  switched")
        // `next`'s name now holds the previous site.
        SiteTree.remove(nextPath)
        next.remove()
        clock.lap("  previous site removed")
    }

    /// True when `folder` is on another file system than its parent (a mount point).
    static func isMountPoint(_ folder: URL) -> Bool {
        var own = stat()
        var parent = stat()
        guard stat(folder.path, &own) == 0, stat(folder.deletingLastPathComponent().path, &parent) == 0 else {
            return false
        }
        return own.st_dev != parent.st_dev
    }

    private func failure(_ path: String, _ code: Int32) -> SiteError {
        SiteError.cannotWrite(path: path, reason: String(cString: strerror(code)))
    }
}
