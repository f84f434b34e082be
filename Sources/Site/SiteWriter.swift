import CLinux
import FileSafety
import Foundation
import GitKit
import Pipeline

#if canImport(Glibc)
    import Glibc
#endif

/// What a build did.
public struct SiteSummary: Sendable, Equatable {
    /// Files the site consists of.
    public var files = 0
    /// Files rendered this time (the rest had unchanged inputs).
    public var rendered = 0
    /// Files whose content changed and were written.
    public var written = 0
    /// Files of an earlier build that are no longer part of the site and were removed.
    public var removed = 0
    /// Paths written, relative to the output folder.
    public var writtenPaths: [String] = []
}

/// Writes planned files into the output folder: only what changed, never half a site, never a
/// mix of two (see `SiteSwitch` for how).
///
/// A manifest (`.modelgate-site`) remembers each file's input key and content digest. Files
/// whose key is unchanged are not rendered; rendered files whose digest is unchanged are not
/// written. A build that changes no file touches no page.
package struct SiteWriter {
    static let manifestName = ".modelgate-site"
    static let manifestHeader = "modelgate-site-manifest 1"
    /// The largest manifest read (a site of about 300,000 files); a larger one is ignored, and
    /// every page rendered again.
    static let maxManifestBytes = 64 << 20
    /// Up to this many changed files are fsynced one by one; more get one syncfs.
    static let fsyncEachLimit = 256

    let output: URL
    /// Renders the planned Mustache pages.
    let templates: TemplateSet
    /// A digest of what the build read (see `Site.inputsDigest`), kept in the manifest so that
    /// the next build can tell early whether pages will likely change.
    var inputs: String?

    /// What the manifest remembers of one file.
    package struct ManifestEntry: Equatable, Sendable {
        /// The file's input key ("-" when it has none).
        package var key: String
        /// SHA-256 of its content.
        package var digest: String
    }

    /// Writes `data` to a new file of the build's own pages folder with plain POSIX calls (no
    /// fsync: one `syncfs` covers the whole folder before anything is renamed into place).
    static func writePlain(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SiteError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        do {
            try data.withUnsafeBytes { try OutputFile.writeAll($0, to: descriptor, path: path) }
        } catch let error as FileSystemError {
            throw SiteError(error)
        }
    }

    /// The entries of a manifest's bytes; empty when the header is not ours. Lines that are
    /// not three tab-separated fields are skipped, and so are paths that are not plain
    /// relative paths inside the site (absolute, `..`, `.` or empty parts), and paths starting
    /// with `.modelgate` (the build's own files and work folders, never pages): the output folder
    /// may come from elsewhere (a checked-out pages branch), and a dropped path is unlinked.
    /// The fuzzing entry point for site manifests.
    package static func parseManifest(_ data: Data) -> [String: ManifestEntry] {
        var result: [String: ManifestEntry] = [:]
        var first = true
        // Byte-level parsing: the manifest of a 10,000-commit site has 10,000 lines, read on every build.
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for line in bytes.split(separator: 0x0A) {
                if first {
                    first = false
                    guard String(decoding: line, as: UTF8.self) == Self.manifestHeader else { return }
                    continue
                }
                let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
                guard fields.count == 3, isPlainRelativePath(bytes: fields[0]) else { continue }
                let path = String(decoding: fields[0], as: UTF8.self)
                guard !path.hasPrefix(".modelgate") else { continue }
                result[path] = ManifestEntry(
                    key: String(decoding: fields[1], as: UTF8.self),
                    digest: String(decoding: fields[2], as: UTF8.self))
            }
        }
        return first ? [:] : result
    }

    /// True for `a/b.html`; false for `/a`, `a/../b`, `./a`, `a//b`, `a/`, or a NUL byte.
    static func isPlainRelativePath(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { isPlainRelativePath(bytes: UnsafeRawBufferPointer($0)[...]) }
    }

    /// `isPlainRelativePath` on a path's UTF-8 bytes, one pass without splitting: every
    /// manifest line's path is checked on every build (splitting into substrings was a sixth
    /// of a rebuild at 10,000 commits).
    static func isPlainRelativePath(bytes path: Slice<UnsafeRawBufferPointer>) -> Bool {
        guard !path.isEmpty else { return false }
        var partLength = 0
        var dots = 0  // leading dots of the part, while it is nothing but dots
        for byte in path {
            switch byte {
            case 0: return false
            case UInt8(ascii: "/"):
                guard partLength > 0, !(dots == partLength && dots <= 2) else { return false }
                partLength = 0
                dots = 0
            default:
                if byte == UInt8(ascii: "."), dots == partLength { dots += 1 }
                partLength += 1
            }
        }
        return partLength > 0 && !(dots == partLength && dots <= 2)
    }

    /// The inputs digest the manifest in `folder` records (its second line), nil when none. The
    /// manifest is read only when it is a regular file (not through a link, not a FIFO).
    static func recordedInputs(in folder: URL) -> String? {
        let descriptor = open(
            folder.appendingPathComponent(manifestName).path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return recordedInputs(inManifest: buffer[0..<count])
    }

    /// The inputs digest a manifest's bytes record (its second line), nil when none.
    static func recordedInputs(inManifest bytes: some Collection<UInt8>) -> String? {
        let lines = String(decoding: bytes.prefix(512), as: UTF8.self).split(separator: "\n", maxSplits: 2)
        guard lines.count > 1, lines[0] == manifestHeader, lines[1].hasPrefix(inputsPrefix) else {
            return nil
        }
        return String(lines[1].dropFirst(inputsPrefix.count))
    }

    /// The second line's start; older readers skip the line (it has two fields, not three).
    static let inputsPrefix = "inputs\t"

    /// The manifest file's bytes.
    static func manifestData(_ manifest: [String: ManifestEntry], inputs: String?) -> Data {
        // Bytes rather than string interpolation: ten thousand lines on every build that wrote something.
        var bytes = Array((Self.manifestHeader + "\n").utf8)
        if let inputs { bytes += Array((inputsPrefix + inputs + "\n").utf8) }
        bytes.reserveCapacity(manifest.count * 160)
        for path in manifest.keys.sorted() {
            let entry = manifest[path]!
            bytes.append(contentsOf: path.utf8)
            bytes.append(0x09)
            bytes.append(contentsOf: entry.key.utf8)
            bytes.append(0x09)
            bytes.append(contentsOf: entry.digest.utf8)
            bytes.append(0x0A)
        }
        return Data(bytes)
    }

    /// Renders `files` and puts the new site in place through `site` (prepared at the start of
    /// the build so that linking overlaps planning; made here when nil).
    func write(_ files: [PlannedFile], through site: SiteSwitch? = nil) throws -> SiteSummary {
        let clock = PhaseClock()
        let manager = FileManager.default
        let site = try site ?? SiteSwitch(output: output)
        let oldManifest = site.currentFile(Self.manifestName, limit: Self.maxManifestBytes)
        let old = oldManifest.map(Self.parseManifest) ?? [:]
        var manifest: [String: ManifestEntry] = [:]
        manifest.reserveCapacity(files.count)
        var summary = SiteSummary()
        summary.files = files.count
        var createdDirectories = Set<String>()
        func exists(_ path: String) -> Bool { site.holdsFile(path) }
        let stagingPath = try site.pagesFolder().url.path
        let stager = PageStager(templates: templates, stagingPath: stagingPath)
        var submitted: [(index: Int, key: String?)] = []
        for (index, file) in files.enumerated() {
            if let key = file.key, let previous = old[file.path], previous.key == key, exists(file.path) {
                manifest[file.path] = previous
                continue
            }
            if stager.hasFailed { break }
            let started = Date()
            let content: FileContent
            do {
                content = try file.make()
            } catch {
                _ = try? stager.finish()  // let the queued files finish before the staging folder goes
                throw error
            }
            clock.note(file.path, since: started)
            let directory = (stagingPath + "/" + file.path as NSString).deletingLastPathComponent
            do {
                if createdDirectories.insert(directory).inserted {
                    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
            } catch {
                _ = try? stager.finish()
                throw SiteError.cannotWrite(path: directory, reason: error.localizedDescription)
            }
            let previous = old[file.path].flatMap { exists(file.path) ? $0.digest : nil }
            stager.submit(index, path: file.path, content: content, unchangedDigest: previous)
            submitted.append((index, file.key))
        }
        let outcomes = try stager.finish()
        var staged: [String] = []
        for (index, key) in submitted {
            let path = files[index].path
            guard let outcome = outcomes[index] else { continue }
            manifest[path] = ManifestEntry(key: key ?? "-", digest: outcome.digest)
            if outcome.staged { staged.append(path) }
        }
        summary.rendered = submitted.count
        summary.written = staged.count
        summary.writtenPaths = staged
        // Files an earlier build made that this one does not (only ours, by the manifest).
        let dropped = old.keys.filter { manifest[$0] == nil && exists($0) }
        summary.removed = dropped.count
        clock.lap("  rendered and staged")
        if !site.isFirstBuild, staged.isEmpty, dropped.isEmpty {
            site.discard()
            // No page changes. Keys that changed without changing a page only need the
            // manifest, which no reader looks at, replaced.
            if manifest != old || inputs != oldManifest.flatMap(Self.recordedInputs(inManifest:)) {
                try site.replaceCurrentFile(
                    Self.manifestName, with: Self.manifestData(manifest, inputs: inputs))
                clock.lap("  manifest written")
            }
            return summary
        }
        Self.flush(staged, in: stagingPath, clock: clock)
        clock.lap("  flushed")
        try site.commit(
            staged: staged, dropped: dropped, manifest: Self.manifestData(manifest, inputs: inputs),
            clock: clock)
        return summary
    }

    /// Flushes the staged files before anything is renamed into place: a few are fsynced one
    /// by one (syncfs would also wait for every other process's writes to the disk); many are
    /// flushed with one syncfs, which is far cheaper than thousands of fsyncs.
    static func flush(_ staged: [String], in stagingPath: String, clock: PhaseClock) {
        if staged.count > fsyncEachLimit {
            let descriptor = open(stagingPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = clinux_syncfs(descriptor)
                close(descriptor)
            }
            return
        }
        for path in staged {
            let descriptor = open(stagingPath + "/" + path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            let started = Date()
            _ = fsync(descriptor)
            clock.note("fsync " + path, since: started)
            close(descriptor)
        }
    }
}

/// `modelgate site`: builds the static site of a branch's run records into a folder.
public enum Site {
    /// Renders the site of `repository` into `output`, writing only files whose content changed.
    public static func build(
        from repository: Repository, into output: URL, options: SiteOptions = SiteOptions()
    )
        throws -> SiteSummary
    {
        let clock = PhaseClock()
        // First, unless the inputs look as last time: the current site's files are linked into
        // the next one while the rest is read.
        let inputs = inputsDigest(of: repository, options: options)
        let site = try SiteSwitch(
            output: output,
            linkingEarly: inputs != SiteWriter.recordedInputs(in: output.resolvingSymlinksInPath()))
        let templates = try TemplateSet.load(overrides: options.templates)
        clock.lap("templates")
        let cache = RecordLoader.readCache(in: output)
        clock.lap("record cache")
        let history = try SiteHistory.load(from: repository, branch: options.branch, cachedSummaries: cache)
        clock.lap("history (\(history.entries.count) commits)")
        // Records whose summary is not cached are decoded now, on every core (all of them in a
        // first build); the rest are decoded only if a page that shows them is rendered.
        history.loader.preload(history.entries.compactMap(\.noteBlob).filter { cache[$0] == nil })
        clock.lap("records decoded")
        let builder = try SiteBuilder(
            repository: repository, history: history, templates: templates, options: options)
        let plan = builder.plan()
        clock.lap("plan (\(plan.count) files)")
        let summary = try SiteWriter(output: output, templates: templates, inputs: inputs).write(
            plan, through: site)
        clock.lap("render and write (\(summary.rendered) rendered, \(summary.written) written)")
        // The cache only speeds up the next build; failing to write it changes nothing else.
        if history.loader.learned {
            let blobs = history.entries.compactMap(\.noteBlob)
            try? AtomicFile.write(
                history.loader.cacheData(for: blobs),
                to: site.target.appendingPathComponent(RecordLoader.cacheName))
        }
        clock.lap("record cache written")
        return summary
    }
}

extension Site {
    /// A digest of the refs a site is read from: the branch's tip, the notes refs (records,
    /// deployments), the tags. When
    /// it equals the last build's, pages are unlikely to change (templates, options or pages
    /// may still differ), so the build does not start linking the site before it knows.
    static func inputsDigest(of repository: Repository, options: SiteOptions) -> String {
        var text = ""
        if let branch = options.branch {
            text += "branch \(branch) \((try? repository.reference("refs/heads/\(branch)"))??.hex ?? "-")\n"
        } else {
            text += "HEAD \((try? repository.head())??.id.hex ?? "-")\n"
        }
        text += "notes \((try? repository.reference(RecordNotes.ref))??.hex ?? "-")\n"
        for ref in (try? DeploymentLog(repository: repository).refs()) ?? [] {
            text += "\(ref) \((try? repository.reference(ref))??.hex ?? "-")\n"
        }
        for tag in (try? repository.references(withPrefix: "refs/tags/")) ?? [] {
            text += "\(tag.name) \(tag.id.hex)\n"
        }
        return SHA256Hex.of(Data(text.utf8))
    }
}

/// Prints how long each phase of a build took to stderr when `MODELGATE_SITE_TIMING` is set.
///
/// For tests of interrupted builds, `MODELGATE_SITE_STOP_AFTER=PHASE` stops the process
/// (SIGSTOP) right after the phase whose name contains PHASE, so a test can kill it there.
final class PhaseClock {
    private let enabled = ProcessInfo.processInfo.environment["MODELGATE_SITE_TIMING"] != nil
    private let stopAfter = ProcessInfo.processInfo.environment["MODELGATE_SITE_STOP_AFTER"].flatMap {
        $0.isEmpty ? nil : $0
    }
    private var last = Date()

    func lap(_ phase: String) {
        if let stopAfter, phase.contains(stopAfter) { raise(SIGSTOP) }
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(
            Data(String(format: "site: %6.1f ms  %@\n", now.timeIntervalSince(last) * 1000, phase).utf8))
        last = now
    }

    /// Reports one step that took longer than 20 ms.
    func note(_ what: String, since start: Date) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        if elapsed > 0.02 {
            FileHandle.standardError.write(
                Data(String(format: "site: %6.1f ms    %@\n", elapsed * 1000, what).utf8))
        }
    }
}
