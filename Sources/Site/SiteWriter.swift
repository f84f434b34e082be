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
/// its old version (atomic per file). A failed render leaves the previous site as it was.
struct SiteWriter {
    static let manifestName = ".modelgate-site"
    static let manifestHeader = "modelgate-site-manifest 1"

    let output: URL

    struct ManifestEntry {
        var key: String
        var digest: String
    }

    /// Writes `data` to a new file with plain POSIX calls (no fsync: one `syncfs` covers the
    /// whole staging folder before anything is renamed into place).
    static func writePlain(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SiteError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
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

    func readManifest() -> [String: ManifestEntry] {
        guard let data = FileManager.default.contents(atPath: output.appendingPathComponent(Self.manifestName).path)
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
                    key: String(decoding: fields[1], as: UTF8.self), digest: String(decoding: fields[2], as: UTF8.self))
            }
        }
        return first ? [:] : result
    }

    func write(_ files: [PlannedFile]) throws -> SiteSummary {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: output, withIntermediateDirectories: true)
        } catch {
            throw SiteError.cannotWrite(path: output.path, reason: "cannot create the folder (\(error.localizedDescription))")
        }
        let old = readManifest()
        var manifest: [String: ManifestEntry] = [:]
        manifest.reserveCapacity(files.count)
        var summary = SiteSummary()
        summary.files = files.count
        let staging = output.appendingPathComponent(".modelgate-staging-\(UUID().uuidString)", isDirectory: true)
        var staged: [String] = []
        var createdDirectories = Set<String>()
        defer { try? manager.removeItem(at: staging) }
        let outputPath = output.path
        func exists(_ path: String) -> Bool { access(outputPath + "/" + path, F_OK) == 0 }
        for file in files {
            if let key = file.key, let previous = old[file.path], previous.key == key, exists(file.path) {
                manifest[file.path] = previous
                continue
            }
            let data = try file.make()
            summary.rendered += 1
            let digest = SHA256Hex.of(data)
            manifest[file.path] = ManifestEntry(key: file.key ?? "-", digest: digest)
            if let previous = old[file.path], previous.digest == digest, exists(file.path) {
                continue
            }
            let stagedURL = staging.appendingPathComponent(file.path)
            let directory = stagedURL.deletingLastPathComponent().path
            do {
                if createdDirectories.insert(directory).inserted {
                    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
                try Self.writePlain(data, to: stagedURL.path)
            } catch {
                throw SiteError.cannotWrite(path: stagedURL.path, reason: error.localizedDescription)
            }
            staged.append(file.path)
        }
        // One flush for all staged files instead of an fsync each; then rename them into place.
        if !staged.isEmpty {
            let descriptor = open(staging.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = linuxSyncfs(descriptor)
                close(descriptor)
            }
        }
        var placedDirectories = Set<String>()
        for path in staged {
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
        summary.written = staged.count
        summary.writtenPaths = staged
        // Files an earlier build made that this one does not: remove them (only ours, by the manifest).
        for path in old.keys where manifest[path] == nil {
            let url = output.appendingPathComponent(path)
            if url.standardizedFileURL.path.hasPrefix(output.standardizedFileURL.path + "/") {
                if (try? manager.removeItem(at: url)) != nil { summary.removed += 1 }
            }
        }
        var text = Self.manifestHeader + "\n"
        for path in manifest.keys.sorted() {
            let entry = manifest[path]!
            text += "\(path)\t\(entry.key)\t\(entry.digest)\n"
        }
        do {
            try AtomicFile.write(Data(text.utf8), to: output.appendingPathComponent(Self.manifestName))
        } catch {
            throw SiteError.cannotWrite(path: output.path, reason: "cannot write the manifest (\(error.localizedDescription))")
        }
        return summary
    }
}

/// `modelgate site`: builds the static site of a branch's run records into a folder.
public enum Site {
    /// Renders the site of `repository` into `output`, writing only files whose content changed.
    public static func build(from repository: Repository, into output: URL, options: SiteOptions = SiteOptions())
        throws -> SiteSummary
    {
        let templates = try TemplateSet.load(overrides: options.templates)
        let history = try SiteHistory.load(
            from: repository, branch: options.branch, cachedSummaries: RecordLoader.readCache(in: output))
        let builder = try SiteBuilder(repository: repository, history: history, templates: templates, options: options)
        let summary = try SiteWriter(output: output).write(builder.plan())
        // The cache only speeds up the next build; failing to write it changes nothing else.
        let blobs = history.entries.compactMap(\.noteBlob)
        try? AtomicFile.write(
            Data(history.loader.cacheText(for: blobs).utf8), to: output.appendingPathComponent(RecordLoader.cacheName))
        return summary
    }
}
