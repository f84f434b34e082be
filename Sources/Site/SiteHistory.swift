import Dispatch
import FileSafety
import Foundation
import GitKit
import Pipeline
import Synchronization

/// Reads run records from their note blobs only when a page needs them, and remembers them.
///
/// A rebuild after one new commit renders a handful of pages, so decoding all ten thousand
/// records (most of a rebuild's time) is avoided; the metric names of every record, which the
/// site needs as a whole, come from a small cache kept beside the site (`.modelgate-site-metrics`).
final class RecordLoader {
    /// What the site needs of every record without decoding it: its metric names and baseline.
    struct Summary {
        var names: [String]
        var baseline: ObjectID?
        var artifact: String?
        /// The run's report (`report:`) and the fingerprint of the run that keeps it.
        var report: ReportKey? = nil
    }

    /// Where a record's run report is: the run's fingerprint and the record's reference.
    struct ReportKey: Equatable {
        var fingerprint: String
        var reference: RunRecord.Report
    }

    let repository: Repository
    private var records: [ObjectID: RunRecord?] = [:]
    private let decoder = RecordDecoder()
    /// Note blob → summary, from the cache file and from records decoded this run.
    private(set) var summaries: [ObjectID: Summary] = [:]
    /// True once a record was decoded whose summary the cache did not have.
    private(set) var learned = false
    /// Blobs that could not be read as records, with the reason.
    private(set) var unreadable: [ObjectID: String] = [:]

    init(repository: Repository, cachedSummaries: [ObjectID: Summary] = [:]) {
        self.repository = repository
        summaries = cachedSummaries
    }

    /// Notes read by `preload`, kept for `history.json`.
    private var rawNotes: [ObjectID: Data] = [:]

    /// The note's bytes as stored; nil when it is over the size limit (left unread) or its blob
    /// cannot be read, which `reason` then says.
    func raw(_ blob: ObjectID) -> Data? {
        if let kept = rawNotes[blob] { return kept }
        if case .success(let data) = read(blob) { return data }
        return nil
    }

    /// Reads note blob `blob`, its size checked from the object header first.
    private func read(_ blob: ObjectID) -> Result<Data, UnreadableReason> {
        do {
            let size = try repository.objectSize(blob)
            guard size <= RecordLimits.noteBytes else {
                return .failure(UnreadableReason(RecordDecoder.sizeProblem(size)))
            }
            return .success(try repository.blob(blob))
        } catch {
            return .failure(UnreadableReason("its blob \(blob.short) cannot be read"))
        }
    }

    /// The record in note blob `blob`, or nil when it is not a readable run record (`unreadable`
    /// then holds the reason).
    func record(_ blob: ObjectID) -> RunRecord? {
        if let cached = records[blob] { return cached }
        remember(read(blob).flatMap { decoder.decode($0) }, from: blob)
        return records[blob] ?? nil
    }

    /// Keeps what decoding `blob` gave: the record and its summary, or why it is not one.
    private func remember(_ result: Result<RunRecord, UnreadableReason>, from blob: ObjectID) {
        switch result {
        case .failure(let reason):
            records[blob] = .some(nil)
            unreadable[blob] = reason.text
        case .success(let record):
            records[blob] = .some(record)
            if summaries[blob] == nil { learned = true }
            summaries[blob] = Summary(
                names: record.metrics.keys.sorted(),
                baseline: record.baseline?.commit.flatMap { ObjectID(hex: $0) },
                artifact: record.artifact,
                report: record.report.map { ReportKey(fingerprint: record.fingerprint, reference: $0) })
        }
    }

    /// Decodes the records of `blobs` not decoded yet, on every core: a first build needs
    /// all of them, and JSON decoding is most of the work that is not rendering. The blobs are
    /// read here, on the caller's thread, because libgit2 wants one thread per repository.
    func preload(_ blobs: [ObjectID]) {
        let pending = Array(Set(blobs.filter { records[$0] == nil }))
        let raws = pending.map { read($0) }
        for (blob, data) in zip(pending, raws) {
            if case .success(let data) = data { rawNotes[blob] = data }
        }
        let decoded = Mutex([Int: Result<RunRecord, UnreadableReason>]())
        let chunk = 64
        DispatchQueue.concurrentPerform(iterations: (pending.count + chunk - 1) / chunk) { part in
            let decoder = RecordDecoder()
            var results: [Int: Result<RunRecord, UnreadableReason>] = [:]
            for index in part * chunk..<min(pending.count, (part + 1) * chunk) {
                results[index] = raws[index].flatMap { decoder.decode($0) }
            }
            decoded.withLock { $0.merge(results) { first, _ in first } }
        }
        let results = decoded.withLock { $0 }
        for (index, blob) in pending.enumerated() {
            if let result = results[index] { remember(result, from: blob) }
        }
    }

    /// True when `blob` holds a readable record (known from the cache, else decoded now).
    func isRecord(_ blob: ObjectID) -> Bool { summaries[blob] != nil || record(blob) != nil }

    /// The metric names and baseline of the record in `blob`, from the cache when known.
    func summary(_ blob: ObjectID) -> Summary {
        if let known = summaries[blob] { return known }
        _ = record(blob)
        return summaries[blob] ?? Summary(names: [], baseline: nil, artifact: nil)
    }

    static let cacheName = ".modelgate-site-records"
    static let cacheHeader = "modelgate-site-records 2"

    /// Reads the summary cache from `folder` (empty when missing, unreadable, over 64 MiB, or
    /// not a regular file: a link there is not followed, a FIFO not read).
    static func readCache(in folder: URL) -> [ObjectID: Summary] {
        guard let handle = try? DirectoryHandle(opening: folder.path),
            let data = (try? handle.readFile(cacheName, limit: 64 << 20)) ?? nil
        else {
            return [:]
        }
        var result: [ObjectID: Summary] = [:]
        var first = true
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for line in bytes.split(separator: 0x0A) {
                if first {
                    first = false
                    guard String(decoding: line, as: UTF8.self) == cacheHeader else { return }
                    continue
                }
                let fields = line.split(separator: 0x09, maxSplits: 4, omittingEmptySubsequences: false)
                guard fields.count == 5, let blob = ObjectID(hex: String(decoding: fields[0], as: UTF8.self))
                else { continue }
                let names =
                    fields[4].isEmpty
                    ? []
                    : fields[4].split(separator: 0x01, omittingEmptySubsequences: false)
                        .map { String(decoding: $0, as: UTF8.self) }
                // fingerprint U+0001 sha256 U+0001 path, or empty.
                let report = fields[3].split(separator: 0x01, maxSplits: 2).map {
                    String(decoding: $0, as: UTF8.self)
                }
                result[blob] = Summary(
                    names: names, baseline: ObjectID(hex: String(decoding: fields[1], as: UTF8.self)),
                    artifact: fields[2].isEmpty ? nil : String(decoding: fields[2], as: UTF8.self),
                    report: report.count == 3
                        ? ReportKey(
                            fingerprint: report[0], reference: .init(path: report[2], sha256: report[1]))
                        : nil)
            }
        }
        return first ? [:] : result
    }

    /// The cache's bytes for `blobs` (records with tabs, newlines or U+0001 in a metric name are not cached).
    func cacheData(for blobs: [ObjectID]) -> Data {
        func plain(_ text: String) -> Bool {
            !text.utf8.contains { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x01 }
        }
        var bytes = Array((Self.cacheHeader + "\n").utf8)
        bytes.reserveCapacity(blobs.count * 200)
        for blob in blobs {
            guard let summary = summaries[blob], summary.names.allSatisfy(plain),
                plain(summary.artifact ?? ""), plain(summary.report?.reference.path ?? ""),
                plain(summary.report?.fingerprint ?? ""), plain(summary.report?.reference.sha256 ?? "")
            else { continue }
            bytes.append(contentsOf: blob.hex.utf8)
            bytes.append(0x09)
            bytes.append(contentsOf: (summary.baseline?.hex ?? "-").utf8)
            bytes.append(0x09)
            bytes.append(contentsOf: (summary.artifact ?? "").utf8)
            bytes.append(0x09)
            if let report = summary.report {
                bytes.append(contentsOf: report.fingerprint.utf8)
                bytes.append(0x01)
                bytes.append(contentsOf: report.reference.sha256.utf8)
                bytes.append(0x01)
                bytes.append(contentsOf: report.reference.path.utf8)
            }
            bytes.append(0x09)
            for (index, name) in summary.names.enumerated() {
                if index > 0 { bytes.append(0x01) }
                bytes.append(contentsOf: name.utf8)
            }
            bytes.append(0x0A)
        }
        return Data(bytes)
    }
}

/// One commit of the first-parent history, with its run record when it was evaluated.
///
/// A class: pages look entries up by position tens of thousands of times, and copying a commit
/// (strings, signatures, parents) each time was a tenth of a rebuild.
public final class SiteEntry {
    /// The commit.
    public let commit: Commit
    /// The blob holding the commit's note in `refs/notes/modelgate`, which changes whenever the record does.
    public let noteBlob: ObjectID?
    /// Position from the oldest commit of the history (0 is the root).
    public let position: Int
    let loader: RecordLoader
    /// "commit:note-blob", the part of every page key that says this entry is unchanged.
    let key: String

    init(commit: Commit, noteBlob: ObjectID?, position: Int, loader: RecordLoader) {
        self.commit = commit
        self.noteBlob = noteBlob
        self.position = position
        self.loader = loader
        key = "\(commit.id.hex):\(noteBlob?.hex ?? "-")"
    }

    /// Its run record, or nil when it was not evaluated (or the note is unreadable); decoded on first use.
    public var record: RunRecord? { noteBlob.flatMap { loader.record($0) } }
    /// Why the commit's note cannot be read as a run record, nil when it can (or there is none).
    public var unreadable: String? {
        guard let blob = noteBlob, loader.record(blob) == nil else { return nil }
        return loader.unreadable[blob] ?? "the note could not be read"
    }
    /// True when the commit has a note (a run record).
    public var isEvaluated: Bool { noteBlob != nil }
    /// The note's bytes as stored (the record's JSON), for `history.json`.
    var rawNote: Data? { noteBlob.flatMap { loader.raw($0) } }
}

/// The records of one branch's first-parent history and the repository's releases.
public struct SiteHistory {
    /// The model's name (from `modelgate.yml` at the tip, else the repository's folder name).
    public let model: String
    /// The branch shown ("main"), or "HEAD" when HEAD is detached.
    public let branch: String
    /// Oldest first.
    public let entries: [SiteEntry]
    /// Every tag that marks a commit, newest first.
    public let releases: [Release]
    let loader: RecordLoader

    /// The newest entry (the branch tip).
    public var tip: SiteEntry? { entries.last }

    /// Reads the history of `branch` (nil: the branch HEAD is on) from `repository`.
    static func load(
        from repository: Repository, branch: String?, cachedSummaries: [ObjectID: RecordLoader.Summary] = [:]
    ) throws -> SiteHistory {
        let branchName: String
        let tipID: ObjectID
        if let branch {
            do {
                tipID = try repository.resolveCommit("refs/heads/\(branch)")
            } catch {
                throw SiteError.unknownBranch(branch)
            }
            branchName = branch
        } else {
            branchName = (try repository.headBranch) ?? "HEAD"
            guard let head = try repository.head() else { throw SiteError.noCommits }
            tipID = head.id
        }
        var blobs: [ObjectID: ObjectID] = [:]
        for note in try repository.notes(ref: RecordNotes.ref) { blobs[note.target] = note.blob }
        let loader = RecordLoader(repository: repository, cachedSummaries: cachedSummaries)
        let commits = try repository.firstParentHistory(from: tipID).reversed()
        var entries: [SiteEntry] = []
        entries.reserveCapacity(commits.count)
        for (position, commit) in commits.enumerated() {
            entries.append(
                SiteEntry(commit: commit, noteBlob: blobs[commit.id], position: position, loader: loader))
        }
        return SiteHistory(
            model: modelName(repository: repository, tip: tipID), branch: branchName, entries: entries,
            releases: try Release.all(in: repository), loader: loader)
    }

    /// The `name:` of `modelgate.yml` in the tip's tree, else the work tree's folder name.
    static func modelName(repository: Repository, tip: ObjectID) -> String {
        if let entry = try? repository.treeEntries(commit: tip, matching: [PipelineConfig.fileName])
            .first(where: { $0.path == PipelineConfig.fileName }),
            let config = try? ConfigLoader().load(blob: entry.id, in: repository)
        {
            return config.name
        }
        let folder = repository.workingDirectory ?? repository.gitDirectory
        return folder.lastPathComponent
    }
}
