import Pipeline
import Testing

@testable import Pipeline

/// When a baseline run measured another task: trainer kind, target, or metric names changed.
@Suite struct TaskChangeTests {
    static func stage(_ name: String, _ metrics: [String]) -> RunRecord.StageResult {
        RunRecord.StageResult(
            name: name, status: "pass", durationMilliseconds: 0, cached: false, fingerprint: "f",
            metrics: Dictionary(uniqueKeysWithValues: metrics.map { ($0, 0.5) }))
    }

    static func builtin(_ trainer: String, target: String) throws -> PipelineConfig {
        try ConfigLoader().parse(
            "stages:\n  - {name: train, builtin: \(trainer), data: d.csv, target: \(target)}\n")
    }

    static let command = "stages:\n  - {name: score, cmd: sh s.sh, deps: [s.sh], metrics: m.json}\n"

    @Test func aBuiltinStageChangesTaskWithItsTrainerOrTarget() throws {
        let linear = try Self.builtin("linear-regression", target: "y")
        let stages = [Self.stage("train", ["r2"])]
        #expect(
            BaselineComparability.taskChange(
                candidate: linear, stages: stages, baseline: linear, stages: stages) == nil)
        #expect(
            BaselineComparability.taskChange(
                candidate: try Self.builtin("linear-regression", target: "z"), stages: stages,
                baseline: linear, stages: stages) == "stage 'train' predicted 'y', now 'z'")
        #expect(
            BaselineComparability.taskChange(
                candidate: try Self.builtin("logistic-regression", target: "y"),
                stages: [Self.stage("train", ["accuracy"])], baseline: linear, stages: stages)
                == "stage 'train' was linear-regression, is now logistic-regression")
    }

    @Test func metricNamesChangeTheTaskOnlyWhenNeitherSetHoldsTheOther() throws {
        let config = try ConfigLoader().parse(Self.command)
        func change(_ before: [String], _ after: [String]) -> String? {
            BaselineComparability.taskChange(
                candidate: config, stages: [Self.stage("score", after)], baseline: config,
                stages: [Self.stage("score", before)])
        }
        #expect(change(["r2"], ["r2", "mae"]) == nil)  // a metric added
        #expect(change(["r2", "mae"], ["r2"]) == nil)  // a metric dropped
        #expect(
            change(["r2", "rmse"], ["accuracy", "f1"])
                == "stage 'score' reports other metrics (accuracy, f1 instead of r2, rmse)")
        #expect(change(["r2", "mae"], ["r2", "acc"]) != nil)  // a rename is another measurement
        #expect(change([], ["accuracy"]) == nil)  // nothing to compare with
    }
}
