import Foundation
import GitKit

/// One source resolved for judging: its tree, config, baseline and fingerprint, read once.
///
/// Runs resolve it while holding the run lock, and the checkout is made from the same snapshot,
/// so the verdict cached under the fingerprint is the verdict of exactly those inputs.
struct Evaluation {
    let tree: EvaluatedTree
    let config: PipelineConfig
    /// The baseline commit and record, when a change bound or a drift check needs one.
    let baseline: (ObjectID, RunRecord)?
    let fingerprint: PipelineFingerprint

    /// Resolves `source`; the baseline is searched with `records` (which may adopt cached verdicts).
    init(_ source: EvaluationSource, in repository: Repository, records: inout CommitRecords) throws {
        tree = try EvaluatedTree(source, in: repository)
        config = try tree.loadConfig()
        baseline = try Self.findBaseline(
            config: config, tree: tree, repository: repository, records: &records)
        fingerprint = try PipelineFingerprint(
            config: config, tree: tree, configFile: PipelineConfig.fileName,
            driftBaselines: try Self.driftBaselines(
                config: config, baseline: baseline, repository: repository))
    }

    /// Each stage's fingerprint, by name.
    var stageFingerprints: [String: String] {
        Dictionary(
            fingerprint.stages.map { ($0.stage.name, $0.digest) }, uniquingKeysWith: { first, _ in first })
    }

    private static func findBaseline(
        config: PipelineConfig, tree: EvaluatedTree, repository: Repository, records: inout CommitRecords
    ) throws -> (ObjectID, RunRecord)? {
        let needsBaseline =
            config.gates.contains(where: \.needsBaseline)
            || config.stages.contains {
                if case .validate(let validate) = $0.kind { return validate.drift } else { return false }
            }
        guard needsBaseline else { return nil }
        // The candidate's own record never counts: start at its parent, or at the parent-to-be of
        // staged files (HEAD, or HEAD's first parent when amending, since HEAD is being replaced).
        let start: ObjectID?
        if let commit = tree.commit {
            start = try repository.commit(commit).parentIDs.first
        } else if tree.source == .amend, let head = try repository.head()?.id {
            start = try repository.commit(head).parentIDs.first
        } else {
            start = try repository.head()?.id
        }
        var finder = BaselineFinder(records: records)
        defer { records = finder.records }
        return try finder.find(config.baseline, from: start)
    }

    /// For validate stages that measure drift: the blob id of their data file in the baseline
    /// commit ("none" without one). Drift depends on it, so it is one of the stage's inputs.
    private static func driftBaselines(
        config: PipelineConfig, baseline: (ObjectID, RunRecord)?, repository: Repository
    ) throws -> [String: String] {
        var inputs: [String: String] = [:]
        for stage in config.stages {
            guard case .validate(let validate) = stage.kind, validate.drift else { continue }
            let entry = try baseline.flatMap { commit, _ in
                try repository.treeEntries(commit: commit, matching: [validate.data]).first {
                    $0.path == validate.data
                }
            }
            inputs[stage.name] = entry?.id.hex ?? "none"
        }
        return inputs
    }
}
