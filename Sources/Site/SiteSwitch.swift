import Dispatch
import FileSafety
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The folders a site build works in, and the step that puts the new site in place.
///
/// The guarantee: a reader of the output folder sees the previous site or the new one, whole,
/// never a mix (except inside a mount point, below), and a build that fails or is killed at any
/// point leaves the previous site as it was. Nothing is ever written, removed or carried over
/// through a symbolic link in the output folder: it is reached only through folder descriptors
/// with `O_NOFOLLOW` (`DirectoryHandle`), and a build that changes the site refuses an output
/// folder holding a link (`SiteTree`), which may come from a checked-out pages branch.
///
/// The mechanism: the changed files are rendered into `pages`; meanwhile (from the start of the
/// build, on another thread, since the history is read and planned on this one) every file of
/// the current site is hard-linked, not copied, into `next` (or, when the build's inputs look
/// unchanged and no page is expected to change, only once one did). Once both are done, each
/// changed file is renamed from `pages` into `next` (over its link), the files the new site
/// drops are unlinked there, the manifest is written there, and `next` is swapped with the
/// output folder by one `renameat2(RENAME_EXCHANGE)`; the previous site, now under `next`'s
/// name, is removed. Both work folders are `OwnedDirectory`s beside the output: a killed build
/// leaves them unlocked, and the next build sweeps them. A first build renames `pages` into
/// place.
///
/// Where the kernel or file system cannot exchange, the output is renamed aside to
/// `.NAME.modelgate-previous` and `next` renamed into place: for a moment there is no folder,
/// never a mix. A build killed between the two renames leaves no site, but the aside folder
/// does not carry the work folders' prefix, so no sweep takes it: the next build renames it
/// back first (or removes it, once a site is in place again).
///
/// Inside a mount point (`docker run -v out:/site`), nothing can be renamed in or out of the
/// output folder, nor the folder swapped: the work folder is made inside it, the linking step
/// only checks the current site for links, and each changed file is renamed into place one by
/// one, the manifest last. There a reader may briefly see a mix of old and new pages; a build
/// killed half-way leaves one, which the next build completes.
///
/// Why an exchange and not a symbolic link flipped to a new folder: the output stays a real
/// folder, as users (and `git add`, and static hosts that upload the folder) expect, and no
/// versioned folders pile up beside it.
final class SiteSwitch {
    /// The output folder (symbolic links resolved: the site replaces what a link points to).
    let target: URL
    /// True when there is no site yet.
    let isFirstBuild: Bool
    /// True when the output folder is a mount point: changed files are placed one by one.
    let isMountPoint: Bool
    /// The output folder's parent; nil until needed when it does not exist yet.
    private var parent: DirectoryHandle?
    /// The output folder as it was when the build started; nil for a first build.
    private let output: DirectoryHandle?
    /// Where the changed files are rendered; made by `pagesFolder()` once the build gets there,
    /// so that a build failing earlier (an unknown branch) creates nothing.
    private var pages: OwnedDirectory?
    /// The next site: links to the current one's files, then the changes; nil for a first build,
    /// inside a mount point, and until linking starts.
    private var next: OwnedDirectory?
    private var isLinking = false
    private let mirror = Mirror()
    /// False to take the two-rename path even where the kernel can exchange (for tests).
    private let canExchange: Bool
    /// The regular files of each folder of the current site `holdsFile` looked in, by the
    /// folder's path (nil: not a plain folder): one listing per folder instead of one `fstatat`
    /// per page.
    private var listedFolders: [Substring: Set<String>?] = [:]

    /// The linking thread's state (not the switch itself, whose deinit must not wait for it).
    private final class Mirror: Sendable {
        let done = DispatchGroup()
        let failure = Mutex<SiteError?>(nil)
        let cancelled = Atomic<Bool>(false)
    }

    /// Names of a site's work folders (beside the target) begin with this.
    static func prefix(of target: URL) -> String { ".\(target.lastPathComponent).modelgate-staging-" }
    /// Names of work folders inside the target (a mount point) begin with this.
    static let insidePrefix = ".modelgate-staging-"
    /// Where the previous site waits while a build without `RENAME_EXCHANGE` switches.
    static func asideName(of target: URL) -> String { ".\(target.lastPathComponent).modelgate-previous" }

    /// Checks `output`, puts back a site a killed build left aside, sweeps what killed builds
    /// left, and (when `linkingEarly`) starts linking the current site into `next`.
    init(output: URL, linkingEarly: Bool = true, canExchange: Bool = true) throws {
        target = output.resolvingSymlinksInPath()
        self.canExchange = canExchange
        let name = target.lastPathComponent
        let parent = try? DirectoryHandle(opening: target.deletingLastPathComponent().path)
        self.parent = parent
        if let parent { Self.restorePrevious(in: parent, of: target) }
        let current: DirectoryHandle?
        switch try Self.translating({ try parent?.kind(of: name) }) ?? .missing {
        case .folder: current = try Self.translating { try parent?.folder(name) }
        case .missing, .link: current = nil  // a dangling link: the first build replaces it
        case .file, .other: throw SiteError.notAFolder(output.path)
        }
        self.output = current
        isFirstBuild = current == nil
        isMountPoint = current != nil && parent?.isMountRoot(name) == true
        if let parent { OwnedDirectory.sweep(in: parent, prefix: Self.prefix(of: target)) }
        if let current { OwnedDirectory.sweep(in: current, prefix: Self.insidePrefix) }
        if !isFirstBuild, linkingEarly { try startLinking() }
    }

    /// A build killed between the two renames of `switchIn` left the previous site aside: it is
    /// renamed back when there is no site, else (it was killed while removing it) removed.
    private static func restorePrevious(in parent: DirectoryHandle, of target: URL) {
        let aside = asideName(of: target)
        guard (try? parent.kind(of: aside)) == .folder else { return }
        if (try? parent.kind(of: target.lastPathComponent)) == .missing,
            (try? parent.move(aside, to: parent, as: target.lastPathComponent)) != nil
        {
            return
        }
        try? parent.removeTree(aside)
    }

    // MARK: - Reading the current site

    /// The regular file `name` at the top of the current site (not through a link), nil when
    /// there is none or it is larger than `limit` bytes.
    func currentFile(_ name: String, limit: Int) -> Data? {
        (try? output?.readFile(name, limit: limit)) ?? nil
    }

    /// Replaces the file `name` at the top of the current site (the manifest, which no reader
    /// looks at), by a rename: a link there is replaced, not written through.
    func replaceCurrentFile(_ name: String, with data: Data) throws {
        guard let output else { return }
        try Self.translating { try output.replaceFile(name, with: data, syncing: true) }
    }

    /// True when the current site holds a regular file at `path`, reached without links.
    func holdsFile(_ path: String) -> Bool {
        guard let output else { return false }
        // Split at the last "/" by bytes: a Character-wise split was most of this call, which
        // runs for every page of every build.
        let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        let folderPath = slash.map { path[..<$0] } ?? ""
        let name = slash.map { String(path[path.utf8.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { return false }
        let files: Set<String>?
        if let known = listedFolders[folderPath] {
            files = known
        } else {
            let components = folderPath.split(separator: "/").map(String.init)
            files = (try? output.walk(components[...]).entries()).map {
                Set($0.lazy.filter { $0.kind == .file }.map(\.name))
            }
            listedFolders[folderPath] = files
        }
        return files?.contains(name) ?? false
    }

    // MARK: - Work folders

    /// The folder the changed files are rendered into.
    func pagesFolder() throws -> OwnedDirectory {
        if let pages { return pages }
        let made = try makeWorkFolder()
        pages = made
        return made
    }

    /// A new work folder: beside the output, or inside it when it is a mount point.
    private func makeWorkFolder() throws -> OwnedDirectory {
        do {
            if isMountPoint, let output {
                return try OwnedDirectory(in: output, name: Self.insidePrefix + UUID().uuidString)
            }
            return try OwnedDirectory(in: parentFolder(), name: Self.prefix(of: target) + UUID().uuidString)
        } catch let error as FileSystemError {
            throw SiteError.cannotWrite(
                path: target.path, reason: "cannot create a work folder (\(error.summary))")
        }
    }

    /// The output folder's parent, created (with its parents) if needed.
    private func parentFolder() throws -> DirectoryHandle {
        if let parent { return parent }
        let made = try DirectoryHandle(creating: target.deletingLastPathComponent())
        parent = made
        return made
    }

    /// Makes `next` and links the current site's files into it on another thread (inside a
    /// mount point, only checks them).
    private func startLinking() throws {
        guard let output, !isLinking else { return }
        isLinking = true
        if !isMountPoint { next = try makeWorkFolder() }
        let (into, display, mirror) = (next?.folder, target.path, mirror)
        DispatchQueue.global().async(group: mirror.done) {
            do {
                try SiteTree.link(
                    from: output, into: into, display: display,
                    cancelled: { mirror.cancelled.load(ordering: .relaxed) }
                ) { $0 == SiteWriter.manifestName || $0.hasPrefix(Self.insidePrefix) }
            } catch let error as SiteError {
                mirror.failure.withLock { $0 = error }
            } catch {
                mirror.failure.withLock { $0 = .cannotWrite(path: display, reason: "\(error)") }
            }
        }
    }

    deinit { discard() }

    /// Removes the work folders (after a failure, or when nothing changed).
    func discard() {
        mirror.cancelled.store(true, ordering: .relaxed)
        mirror.done.wait()
        next?.remove()
        next = nil
        pages?.remove()
        pages = nil
    }

    // MARK: - Switching

    /// Puts the new site in place: `staged` are the paths rendered into `pages` (flushed),
    /// `dropped` the paths of the current site the new one no longer has, `manifest` the new
    /// manifest's bytes.
    func commit(staged: [String], dropped: [String], manifest: Data, clock: PhaseClock) throws {
        let pages = try pagesFolder()
        try Self.translating {
            if isFirstBuild {
                let parent = try parentFolder()
                try pages.folder.replaceFile(SiteWriter.manifestName, with: manifest, syncing: true)
                try parent.move(pages.name, to: parent, as: target.lastPathComponent)
                pages.release()
                parent.sync()
                clock.lap("  switched")
                return
            }
            try startLinking()
            mirror.done.wait()
            if let error = mirror.failure.withLock({ $0 }) { throw error }
            clock.lap("  unchanged files linked")
            guard let site = next?.folder ?? (isMountPoint ? output : nil) else { return }
            try Self.place(staged, from: pages.folder, into: site)
            for path in dropped {
                let components = path.split(separator: "/").map(String.init)
                try? site.walk(components.dropLast()).remove(components[components.count - 1])
            }
            try site.replaceFile(SiteWriter.manifestName, with: manifest, syncing: true)
            site.sync()
            clock.lap("  changes placed")
            if let next, let parent {
                let previous = try switchIn(next, in: parent, clock: clock)
                parent.sync()
                clock.lap("  switched")
                next.release()
                self.next = nil
                try? parent.removeTree(previous)
                clock.lap("  previous site removed")
            }
            pages.remove()
        }
    }

    /// Renames each of `staged` from `source` to the same place in `site`, making folders as
    /// needed; folders are opened once each.
    private static func place(_ staged: [String], from source: DirectoryHandle, into site: DirectoryHandle)
        throws
    {
        var sources: [ArraySlice<String>: DirectoryHandle] = [:]
        var destinations: [ArraySlice<String>: DirectoryHandle] = [:]
        for path in staged {
            let components = path.split(separator: "/").map(String.init)
            let folder = components.dropLast()
            let from = try sources[folder] ?? source.walk(folder)
            let to = try destinations[folder] ?? site.walk(folder, creating: true)
            (sources[folder], destinations[folder]) = (from, to)
            try from.move(components[components.count - 1], to: to, as: components[components.count - 1])
        }
    }

    /// Swaps `next` with the output folder; returns the name the previous site now has in
    /// `parent`. Without `RENAME_EXCHANGE`, two renames through the aside name.
    private func switchIn(_ next: OwnedDirectory, in parent: DirectoryHandle, clock: PhaseClock) throws
        -> String
    {
        let name = target.lastPathComponent
        if canExchange {
            do {
                try parent.exchange(next.name, with: name)
                return next.name
            } catch FileSystemError.system(_, _, let code) where [EINVAL, ENOSYS, ENOTSUP].contains(code) {}
        }
        let aside = Self.asideName(of: target)
        try? parent.removeTree(aside)
        try parent.move(name, to: parent, as: aside)
        clock.lap("  set aside")
        do {
            try parent.move(next.name, to: parent, as: name)
        } catch {
            try? parent.move(aside, to: parent, as: name)
            throw error
        }
        return aside
    }

    /// `body`, its `FileSystemError`s as `SiteError`s.
    private static func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FileSystemError {
            throw SiteError(error)
        }
    }
}
