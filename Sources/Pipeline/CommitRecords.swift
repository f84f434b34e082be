import Foundation
import GitKit

/// A commit's run record: its note, or the cached run with the same inputs.
///
/// A commit made after a staged run (the pre-commit hook) has no note yet, but its inputs were
/// evaluated: the cache holds that verdict under the same fingerprint. Looking there lets the
/// next commit compare against it without retraining anything.
struct CommitRecords {
    let repository: Repository
    let notes: RecordNotes
    let store: RunStore
    /// Write an adopted cached record as the commit's note (runs do; read-only commands don't).
    let persist: Bool
    /// How many commits without a note may be fingerprinted in one search; each costs a tree
    /// walk and a config parse, so a long unevaluated history stays cheap.
    var fingerprintBudget = 20

    init(repository: Repository, persist: Bool) {
        self.repository = repository
        self.persist = persist
        notes = RecordNotes(repository: repository)
        store = RunStore(repository: repository)
    }

    /// The record of `commit`, if it has a note or its inputs' verdict is cached.
    mutating func record(on commit: ObjectID) throws -> RunRecord? {
        if let record = try notes.record(on: commit) { return record }
        guard fingerprintBudget > 0 else { return nil }
        fingerprintBudget -= 1
        let tree = try EvaluatedTree(.revision(commit.hex), in: repository)
        guard let config = try? tree.loadConfig(),
            let fingerprint = try? PipelineFingerprint(
                config: config, tree: tree, configFile: PipelineConfig.fileName),
            var record = store.cachedRecord(for: fingerprint.digest)
        else { return nil }
        record.commit = commit.hex
        record.tree = tree.tree?.hex
        record.source = EvaluationSource.revision(commit.hex).label
        if persist { try notes.write(record, on: commit) }
        return record
    }
}
