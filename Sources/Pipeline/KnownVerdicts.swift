import Foundation
import GitKit

/// The verdicts known for a set of inputs: this machine's run cache, then every run record in
/// `refs/notes/modelgate`, wherever it was computed.
///
/// A verdict computed anywhere counts everywhere: a record that arrived by `modelgate sync` (or
/// a plain `git fetch` of the notes) is a cache hit for its fingerprint, on whichever commit it
/// sits, so a fresh clone does not retrain what CI or a teammate already judged, and a
/// README-only commit reuses its parent's verdict. The lookup is one function,
/// `record(for:)`; which synced records count is decided by `counts(_:on:)` alone (a trust
/// policy restricts it there).
///
/// Notes are found by fingerprint through an index file under the git common dir
/// (`modelgate/notes-index`), rebuilt only when the notes ref's tip has moved and only when the
/// local cache missed, so the everyday path (a cached verdict) reads no notes at all. A record
/// found in notes is read as every note is (`RecordDecoder` under `RecordLimits`), must carry
/// the fingerprint asked for, and must be a pass or a fail: an error verdict is never reused.
/// The index holds at most `maxIndexedNotes` notes, so a remote with millions cannot make a
/// lookup read them all.
public struct KnownVerdicts {
    let repository: Repository
    let store: RunStore
    let notes: RecordNotes

    /// Most notes read into the index.
    static let maxIndexedNotes = 50_000

    /// Makes the lookup for `repository`.
    public init(repository: Repository) {
        self.repository = repository
        store = RunStore(repository: repository)
        notes = RecordNotes(repository: repository)
    }

    /// The pass or fail record for inputs with `fingerprint`, from the run cache or from notes;
    /// nil when these inputs were never judged (or no record of them counts here).
    public func record(for fingerprint: String) throws -> RunRecord? {
        if let cached = store.cachedRecord(for: fingerprint) { return cached }
        for commit in try index().commits(for: fingerprint) {
            guard let record = try notes.record(on: commit), record.fingerprint == fingerprint,
                record.verdict != .error, counts(record, on: commit)
            else { continue }
            return record
        }
        return nil
    }

    /// Whether `record`, read from the note on `commit`, counts as a verdict here. Every record
    /// does today; the trust policy's signature check belongs here.
    func counts(_ record: RunRecord, on commit: ObjectID) -> Bool {
        true
    }

    /// Where the index lives.
    var indexURL: URL { store.root.appendingPathComponent("notes-index") }

    /// The index for the notes ref's current tip, read from disk or rebuilt.
    func index() throws -> NotesIndex {
        guard let tip = try repository.reference(RecordNotes.ref) else { return NotesIndex(tip: nil) }
        if let data = FileManager.default.contents(atPath: indexURL.path),
            let stored = NotesIndex(parsing: data), stored.tip == tip
        {
            return stored
        }
        var index = NotesIndex(tip: tip)
        for entry in try repository.notes(ref: RecordNotes.ref).prefix(Self.maxIndexedNotes) {
            guard let record = try notes.record(on: entry.target), record.verdict != .error else { continue }
            index.add(record.fingerprint, on: entry.target)
        }
        // A failure to write only costs the next lookup a rebuild.
        try? AtomicFile.write(index.encoded(), to: indexURL)
        return index
    }
}

/// Fingerprint → annotated commits, for one tip of the notes ref.
///
/// On disk: a first line `modelgate notes-index 1 TIP`, then `FINGERPRINT COMMIT` lines. A file
/// that does not read exactly so is ignored (rebuilt), so a damaged index is only a miss.
struct NotesIndex {
    static let header = "modelgate notes-index 1"

    var tip: ObjectID?
    var byFingerprint: [String: [ObjectID]] = [:]

    init(tip: ObjectID?) {
        self.tip = tip
    }

    init?(parsing data: Data) {
        guard let text = String(validating: data, as: UTF8.self) else { return nil }
        var lines = text.split(separator: "\n")
        guard let first = lines.first, first.hasPrefix(Self.header + " "),
            let tip = ObjectID(hex: String(first.dropFirst(Self.header.count + 1)))
        else { return nil }
        self.tip = tip
        lines.removeFirst()
        for line in lines {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let commit = ObjectID(hex: String(fields[1])) else { return nil }
            byFingerprint[String(fields[0]), default: []].append(commit)
        }
    }

    mutating func add(_ fingerprint: String, on commit: ObjectID) {
        // A fingerprint is hex; anything else in a hostile note could not be written as one field.
        guard !fingerprint.isEmpty, fingerprint.allSatisfy(\.isHexDigit) else { return }
        byFingerprint[fingerprint, default: []].append(commit)
    }

    func commits(for fingerprint: String) -> [ObjectID] {
        byFingerprint[fingerprint] ?? []
    }

    func encoded() -> Data {
        var text = "\(Self.header) \(tip?.hex ?? "")\n"
        for (fingerprint, commits) in byFingerprint.sorted(by: { $0.key < $1.key }) {
            for commit in commits { text += "\(fingerprint) \(commit.hex)\n" }
        }
        return Data(text.utf8)
    }
}
