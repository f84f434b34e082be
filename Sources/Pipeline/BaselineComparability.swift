import Diagnostics
import Foundation
import GitKit
import Learning

/// Whether a baseline run measured the same task as the candidate, and which rows its built-in
/// models were trained on: the two things a like-with-like comparison needs besides the model.
///
/// Both are read from the baseline commit itself (its `modelgate.yml` and data blobs in the
/// object database), so they hold for a baseline whose record came from a collaborator's note
/// and cost nothing until a baseline gate is judged after a run that trained.
///
/// The task changed, and the baseline is **not comparable**, when for a stage present in both
/// runs (matched by name):
/// - the built-in trainer is of another kind (regression, classification, clustering), or
/// - its target column changed, or
/// - its metric names changed (the baseline reported metrics the candidate no longer does and
///   the candidate reports new ones: neither set holds the other).
/// Baseline gates are then `no-baseline` with that reason in `baseline.comparison`; thresholds
/// (`min`, `max`) still apply.
struct BaselineComparability {
    let repository: Repository
    /// The baseline commit.
    let commit: ObjectID

    /// The baseline commit's `modelgate.yml`; nil when it has none or it no longer loads.
    func config() -> PipelineConfig? {
        guard
            let entry = try? repository.treeEntries(commit: commit, matching: [PipelineConfig.fileName])
                .first(where: { $0.path == PipelineConfig.fileName })
        else { return nil }
        return try? ConfigLoader().load(blob: entry.id, in: repository)
    }

    /// Why the candidate's task differs from the baseline's, or nil when it is the same task.
    static func taskChange(
        candidate: PipelineConfig, stages candidateStages: [RunRecord.StageResult],
        baseline: PipelineConfig?, stages baselineStages: [RunRecord.StageResult]
    ) -> String? {
        for stage in candidate.stages {
            let name = NameRules.quoted(stage.name)
            if case .builtin(let now) = stage.kind,
                let before = baseline?.stages.first(where: { $0.name == stage.name }),
                case .builtin(let then) = before.kind
            {
                if then.trainer != now.trainer {
                    return "stage \(name) was \(then.trainer), is now \(now.trainer)"
                }
                if then.target != now.target {
                    return "stage \(name) predicted '\(then.target ?? "")', now '\(now.target ?? "")'"
                }
            }
            guard let old = baselineStages.first(where: { $0.name == stage.name }),
                let new = candidateStages.first(where: { $0.name == stage.name }),
                !old.metrics.isEmpty, !new.metrics.isEmpty
            else { continue }
            let (before, after) = (Set(old.metrics.keys), Set(new.metrics.keys))
            if !before.isSubset(of: after), !after.isSubset(of: before) {
                return
                    "stage \(name) reports other metrics (\(Self.sample(after.subtracting(before))) instead of \(Self.sample(before.subtracting(after))))"
            }
        }
        return nil
    }

    /// "a, b and 3 more".
    private static func sample(_ names: Set<String>) -> String {
        let sorted = names.sorted()
        let shown = sorted.prefix(3).map { TerminalText.cell($0, limit: 48) }.joined(separator: ", ")
        return sorted.count > 3 ? shown + " and \(sorted.count - 3) more" : shown
    }

    /// The rows `stage` of the baseline commit trained its model on, read from `data` (the
    /// stage's data file as the baseline commit has it, `RunContext.baselineFile`) with the
    /// baseline's split; nil when they cannot be read.
    func trainingRows(of model: ModelFile, stage: BuiltinStage, data: URL) -> TrainingRows? {
        let test: TestSource =
            stage.testFile.map { .file(data, name: $0) } ?? .split(fraction: stage.split, seed: stage.seed)
        let request = TrainingRequest(
            data: data, test: test, target: stage.target, features: stage.features,
            dataName: "\(stage.data)@\(commit.short)", missing: stage.missing)
        return try? TrainingRows.read(for: model, request: request)
    }
}
