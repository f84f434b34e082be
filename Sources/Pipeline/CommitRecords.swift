import Foundation
import GitKit

/// A commit's run record: its note, or the cached run with the same inputs, judged afresh.
///
/// A commit made after a staged run (the pre-commit hook) has no note yet, but its inputs were
/// evaluated: the cache holds those measurements under the same fingerprint. They are judged
/// with the commit's own gates and baseline before they count, because the fingerprint covers
/// what determines the metrics, not the gates. Measurements of the commit's own tree (the
/// pre-commit hook's staged run) are its own run; those taken from another tree are marked
/// reused (`PipelineRunner.reusing`).
struct CommitRecords {
    let repository: Repository
    let notes: RecordNotes
    let store: RunStore
    /// Write an adopted record as the commit's note (runs do; read-only commands don't).
    let persist: Bool
    /// How many commits without a note may be fingerprinted in one search; each costs a tree
    /// walk and a config parse, so a long unevaluated history stays cheap. 0 reads notes only.
    var fingerprintBudget = 20

    init(repository: Repository, persist: Bool) {
        self.repository = repository
        self.persist = persist
        notes = RecordNotes(repository: repository)
        store = RunStore(repository: repository)
    }

    /// Records from notes alone: for baseline searches inside an adoption, which must not recurse.
    static func notesOnly(_ repository: Repository) -> CommitRecords {
        var records = CommitRecords(repository: repository, persist: false)
        records.fingerprintBudget = 0
        return records
    }

    /// The record of `commit`, if it has a note or its inputs' measurements are cached.
    ///
    /// A note that cannot be read is returned as such: the cache is consulted only for a commit
    /// with no note at all, so a corrupt shared record is never hidden behind a local one.
    mutating func record(on commit: ObjectID) throws -> NoteRecord? {
        if let note = try notes.read(on: commit) { return note }
        guard fingerprintBudget > 0 else { return nil }
        fingerprintBudget -= 1
        guard let record = try Self.adopt(.revision(commit.hex), in: repository) else { return nil }
        if persist { try notes.write(record, on: commit) }
        return .record(record)
    }

    /// The readable record of `commit`; nil when there is none or its note is unreadable (a
    /// baseline search passes over such a commit as it does over an unevaluated one).
    mutating func readableRecord(on commit: ObjectID) throws -> RunRecord? {
        try record(on: commit)?.record
    }

    /// The cached measurements of `source`'s inputs, judged with its own config and baseline
    /// (found from notes); nil when the inputs were never evaluated or the config is unusable.
    static func adopt(_ source: EvaluationSource, in repository: Repository) throws -> RunRecord? {
        var notesOnly = notesOnly(repository)
        guard let evaluation = try? Evaluation(source, in: repository, records: &notesOnly) else {
            return nil
        }
        let store = RunStore(repository: repository)
        guard
            let cached = try KnownVerdicts(repository: repository).record(for: evaluation.fingerprint.digest)
        else { return nil }
        // The cached run of this very tree (the pre-commit hook's run of what became the commit)
        // is the commit's own run, with its stages as they ran; any other is a reuse.
        var record =
            cached.tree != nil && cached.tree == evaluation.tree.tree?.hex
            ? cached : PipelineRunner.reusing(cached)
        let owned = try store.makeScratchDirectory()
        defer { owned.remove() }
        let scratch = owned.url
        let context = RunContext(
            evaluation: evaluation, repository: repository, store: store, scratch: scratch)
        try PipelineRunner(repository: repository).conclude(
            &record, context: context, started: cached.started)
        return record
    }
}
