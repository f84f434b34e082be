import FileSafety
import Foundation
import GitKit
import Processes

#if canImport(Glibc)
    import Glibc
#endif

/// modelgate's files under the git common dir: the run cache, logs, scratch space, the lock.
///
/// Shared by all worktrees of a repository and never committed.
struct RunStore {
    /// `<common dir>/modelgate`.
    let root: URL

    init(repository: Repository) {
        root = repository.commonDirectory.appendingPathComponent("modelgate", isDirectory: true)
    }

    /// Where the cached record for `fingerprint` lives (fanned out like git's objects).
    func cacheURL(for fingerprint: String) -> URL {
        root.appendingPathComponent("cache/\(fingerprint.prefix(2))/\(fingerprint).json")
    }

    /// The cached record for `fingerprint`, if a pass or fail verdict was reached with these inputs.
    func cachedRecord(for fingerprint: String) -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: cacheURL(for: fingerprint).path) else {
            return nil
        }
        // An unreadable cache entry (older schema, disk trouble) is a miss, not an error.
        return try? RecordDecoder().decode(data).get()
    }

    /// Stores `record` by its fingerprint, atomically.
    func cache(_ record: RunRecord) throws {
        try AtomicFile.write(try record.encoded(), to: cacheURL(for: record.fingerprint))
    }

    /// Where the model a built-in stage trained is kept, by the stage's fingerprint, so a later
    /// run can re-score it on its own test data.
    func modelURL(for stageFingerprint: String) -> URL {
        root.appendingPathComponent("models/\(stageFingerprint.prefix(2))/\(stageFingerprint).json")
    }

    /// Where a baseline model's metrics on a candidate stage's test rows are kept.
    func rescoredURL(candidate: String, baseline: String) -> URL {
        root.appendingPathComponent(
            "rescored/\(candidate.prefix(2))/\(candidate)-\(baseline.prefix(16)).json")
    }

    /// The log file of one stage of one run.
    func logURL(fingerprint: String, stage: String) -> URL {
        root.appendingPathComponent("logs/\(fingerprint.prefix(12))-\(stage).log")
    }

    /// Where runs keep their scratch directories (isolated checkouts).
    var runsDirectory: URL { root.appendingPathComponent("runs", isDirectory: true) }

    /// The variable every stage command gets, naming its run's scratch directory, so a later
    /// run can find the processes of one that was killed.
    static let runVariable = "MODELGATE_RUN"

    /// A fresh scratch directory for an isolated checkout, owned by this process until it is
    /// removed (or the process ends, when a later sweep removes it).
    func makeScratchDirectory() throws -> OwnedDirectory {
        try OwnedDirectory(in: runsDirectory, name: UUID().uuidString)
    }

    /// Removes the scratch directories of runs whose process is gone (killed, crashed), after
    /// stopping the stage processes they left running; returns how many.
    @discardableResult
    func sweepAbandonedRuns() -> Int {
        OwnedDirectory.sweep(in: runsDirectory) { run in
            LeftoverProcesses.kill(marked: "\(Self.runVariable)=\(run.lastPathComponent)")
        }.count
    }

    /// Runs `body` holding the repository's run lock, so concurrent runs serialise.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent("run.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StageFailure.system("open the run lock \(path)", errno) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StageFailure.system("lock \(path)", errno) }
        }
        defer { flock(descriptor, LOCK_UN) }
        sweepAbandonedRuns()
        return try body()
    }
}

/// The checkouts of runs whose process was killed, under `<common dir>/modelgate/runs/`.
public enum AbandonedRuns {
    /// Removes them (each run's own lock says whether its process is alive; see
    /// `OwnedDirectory`) after stopping the stage processes they left; returns how many.
    @discardableResult
    public static func sweep(in repository: Repository) -> Int {
        RunStore(repository: repository).sweepAbandonedRuns()
    }
}

/// Run records as git notes on commits, under `refs/notes/modelgate`.
public struct RecordNotes {
    /// The notes ref every record lives under.
    public static let ref = "refs/notes/modelgate"

    let repository: Repository

    /// Makes a reader/writer for `repository`'s records.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The note on `commit` read as a run record (or as an unreadable one), nil when there is none.
    ///
    /// Every reader of notes goes through here or through `RecordDecoder`: the blob's size is
    /// checked from its header before its bytes are read, so a note of any size costs nothing
    /// beyond `RecordLimits.noteBytes`. A note whose blob cannot be read is unreadable too, so
    /// one damaged note never stops a command that looks at many.
    public func read(on commit: ObjectID) throws -> NoteRecord? {
        guard let blob = try repository.noteBlob(on: commit, ref: Self.ref) else { return nil }
        do {
            let size = try repository.objectSize(blob)
            guard size <= RecordLimits.noteBytes else {
                return .unreadable(
                    UnreadableRecord(commit: commit.hex, reason: RecordDecoder.sizeProblem(size)))
            }
            return RecordDecoder().decode(try repository.blob(blob), commit: commit.hex)
        } catch let error as GitError {
            return .unreadable(
                UnreadableRecord(
                    commit: commit.hex, reason: "its blob \(blob.short) cannot be read: \(error.summary)"))
        }
    }

    /// The readable record on `commit`; nil when it has no note or an unreadable one.
    public func record(on commit: ObjectID) throws -> RunRecord? {
        try read(on: commit)?.record
    }

    /// True when `commit` already has a note with the same inputs and the same judgement, so
    /// rewriting it would only add a notes commit that changes timestamps.
    public func hasEquivalentRecord(_ record: RunRecord, on commit: ObjectID) throws -> Bool {
        guard let existing = try self.record(on: commit) else { return false }
        return existing.fingerprint == record.fingerprint && existing.verdict == record.verdict
            && existing.metrics == record.metrics && existing.gates == record.gates
            && existing.artifact == record.artifact && existing.baseline == record.baseline
    }

    /// Writes `record` as the note on `commit`, replacing an older one; `RecordError.overLimit`
    /// when the record breaks a limit (nobody could read it back).
    public func write(_ record: RunRecord, on commit: ObjectID) throws {
        let data = try RecordLimits.requireWritable(record, subject: commit.short)
        let text = String(decoding: data, as: UTF8.self) + "\n"
        try repository.setNote(text, on: commit, ref: Self.ref)
    }
}
