import Foundation
import GitKit
import Pipeline

#if canImport(Glibc)
    import Glibc
#endif

/// glibc's `syncfs(2)` (flush one file system), which the Glibc module does not import because
/// it is declared only under `_GNU_SOURCE`; `int syncfs(int)` has a plain C ABI.
@_silgen_name("syncfs")
private func linuxSyncfs(_ descriptor: Int32) -> Int32

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

/// Writes planned files into the output folder: only what changed, never half a site.
///
/// A manifest (`.modelgate-site`) remembers each file's input key and content digest. Files
/// whose key is unchanged are not rendered; rendered files whose digest is unchanged are not
/// written. Everything that changed is first written to a staging folder inside the output
/// folder; only when every file rendered does one `syncfs` flush them and each is renamed over
/// its old version (atomic per file). A first build stages the whole site beside the output
/// folder, which does not exist yet, and renames it into place. A failed render leaves the
/// previous site (or no folder) as it was.
struct SiteWriter {
    static let manifestName = ".modelgate-site"
    static let manifestHeader = "modelgate-site-manifest 1"
    /// Up to this many changed files are fsynced one by one; more get one syncfs.
    static let fsyncEachLimit = 256

    let output: URL
    /// Renders the planned Mustache pages.
    let templates: TemplateSet

    struct ManifestEntry: Equatable {
        var key: String
        var digest: String
    }

    /// Writes `data` to a new file with plain POSIX calls (no fsync: one `syncfs` covers the
    /// whole staging folder before anything is renamed into place).
    static func writePlain(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SiteError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SiteError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
                }
                offset += count
            }
        }
    }

    /// Removes staging folders a build left when it was killed (Ctrl-C, SIGKILL, power loss):
    /// beside the output folder for a first build, inside it for later ones. Only those older
    /// than an hour, so a build running at the same moment keeps its own.
    func sweepAbandonedStaging() {
        let manager = FileManager.default
        let cutoff = Date().addingTimeInterval(-3600)
        let places = [
            (output.deletingLastPathComponent(), ".\(output.lastPathComponent).modelgate-staging-"),
            (output, ".modelgate-staging-"),
        ]
        for (folder, prefix) in places {
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
            where name.hasPrefix(prefix) {
                let url = folder.appendingPathComponent(name)
                let modified = (try? manager.attributesOfItem(atPath: url.path)[.modificationDate]) as? Date
                if let modified, modified < cutoff { try? manager.removeItem(at: url) }
            }
        }
    }

    /// The manifest of the site in `output` (empty when there is none or it is unreadable).
    func readManifest() -> [String: ManifestEntry] {
        guard
            let data = FileManager.default.contents(
                atPath: output.appendingPathComponent(Self.manifestName).path)
        else { return [:] }
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
                guard fields.count == 3 else { continue }
                result[String(decoding: fields[0], as: UTF8.self)] = ManifestEntry(
                    key: String(decoding: fields[1], as: UTF8.self),
                    digest: String(decoding: fields[2], as: UTF8.self))
            }
        }
        return first ? [:] : result
    }

    func write(_ files: [PlannedFile]) throws -> SiteSummary {
        let clock = PhaseClock()
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: output.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SiteError.notAFolder(output.path)
        }
        sweepAbandonedStaging()
        // A first build stages the whole site beside the output folder and renames it into
        // place at once; later builds stage inside it and rename file by file.
        let firstBuild = !manager.fileExists(atPath: output.path)
        let staging =
            firstBuild
            ? output.deletingLastPathComponent().appendingPathComponent(
                ".\(output.lastPathComponent).modelgate-staging-\(UUID().uuidString)", isDirectory: true)
            : output.appendingPathComponent(".modelgate-staging-\(UUID().uuidString)", isDirectory: true)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw SiteError.cannotWrite(
                path: output.path, reason: "cannot create the folder (\(error.localizedDescription))")
        }
        let old = readManifest()
        var manifest: [String: ManifestEntry] = [:]
        manifest.reserveCapacity(files.count)
        var summary = SiteSummary()
        summary.files = files.count
        var createdDirectories = Set<String>()
        defer { try? manager.removeItem(at: staging) }
        let outputPath = output.path
        func exists(_ path: String) -> Bool { access(outputPath + "/" + path, F_OK) == 0 }
        let stager = PageStager(templates: templates, stagingPath: staging.path)
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
            let directory = (staging.path + "/" + file.path as NSString).deletingLastPathComponent
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
        clock.lap("  rendered and staged")
        // Flush the staged files before any is renamed into place: a few are fsynced one by one
        // (syncfs would also wait for every other process's writes to the disk); many are
        // flushed with one syncfs, which is far cheaper than thousands of fsyncs.
        if staged.count > Self.fsyncEachLimit {
            let descriptor = open(staging.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = linuxSyncfs(descriptor)
                close(descriptor)
            }
        } else {
            for path in staged {
                let descriptor = open(staging.path + "/" + path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { continue }
                let started = Date()
                _ = fsync(descriptor)
                clock.note("fsync " + path, since: started)
                close(descriptor)
            }
        }
        clock.lap("  flushed")
        if firstBuild, rename(staging.path, output.path) != 0 {
            throw SiteError.cannotWrite(path: output.path, reason: String(cString: strerror(errno)))
        }
        var placedDirectories = Set<String>()
        for path in staged where !firstBuild {
            let target = output.appendingPathComponent(path)
            let directory = target.deletingLastPathComponent().path
            do {
                if placedDirectories.insert(directory).inserted {
                    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
            } catch {
                throw SiteError.cannotWrite(path: directory, reason: error.localizedDescription)
            }
            if rename(staging.appendingPathComponent(path).path, target.path) != 0 {
                throw SiteError.cannotWrite(path: target.path, reason: String(cString: strerror(errno)))
            }
        }
        clock.lap("  renamed")
        summary.written = staged.count
        summary.writtenPaths = staged
        // Files an earlier build made that this one does not: remove them (only ours, by the manifest).
        for path in old.keys where manifest[path] == nil {
            let url = output.appendingPathComponent(path)
            if url.standardizedFileURL.path.hasPrefix(output.standardizedFileURL.path + "/") {
                if (try? manager.removeItem(at: url)) != nil { summary.removed += 1 }
            }
        }
        clock.lap("  stale files removed")
        if manifest == old {
            return summary  // nothing to remember that the manifest does not already say
        }
        // Bytes rather than string interpolation: ten thousand lines on every build that wrote something.
        var bytes = Array((Self.manifestHeader + "\n").utf8)
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
        do {
            try AtomicFile.write(Data(bytes), to: output.appendingPathComponent(Self.manifestName))
        } catch {
            throw SiteError.cannotWrite(
                path: output.path, reason: "cannot write the manifest (\(error.localizedDescription))")
        }
        clock.lap("  manifest written")
        return summary
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
        let summary = try SiteWriter(output: output, templates: templates).write(plan)
        clock.lap("render and write (\(summary.rendered) rendered, \(summary.written) written)")
        // The cache only speeds up the next build; failing to write it changes nothing else.
        if history.loader.learned {
            let blobs = history.entries.compactMap(\.noteBlob)
            try? AtomicFile.write(
                history.loader.cacheData(for: blobs),
                to: output.appendingPathComponent(RecordLoader.cacheName))
        }
        clock.lap("record cache written")
        return summary
    }
}

/// Prints how long each phase of a build took to stderr when `MODELGATE_SITE_TIMING` is set.
final class PhaseClock {
    private let enabled = ProcessInfo.processInfo.environment["MODELGATE_SITE_TIMING"] != nil
    private var last = Date()

    func lap(_ phase: String) {
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
