import Foundation
import Statistics
import TestSupport
import Testing

/// Outcomes of gates with a confidence level: pass, fail, inconclusive, and the right method.
@Suite struct GateSignificanceTests {
    /// Classification results with `correct` of `count` right, the wrong ones first.
    static func classifier(correct: Int, count: Int, shift: Int = 0) -> ExampleResults {
        let truth = (0..<count).map { Double($0 % 2) }
        let predicted = (0..<count).map { i in
            let wrong = ((i + shift) % count) < count - correct
            return wrong ? 1 - truth[i] : truth[i]
        }
        return ExampleResults(task: .classification(classes: 2), truth: truth, predicted: predicted)
    }

    func judge(
        _ metric: String, _ bound: GateSignificance.Bound, _ limit: Double, candidate: ExampleResults,
        baseline: GateSignificance.Baseline? = nil
    ) throws -> GateSignificance.Result {
        try #require(
            GateSignificance.judge(
                .init(metric: metric, bound: bound, limit: limit, relative: false, confidence: 0.95),
                candidate: candidate, baseline: baseline, resamples: 2000, seed: 1))
    }

    @Test func accuracyThresholdUsesClopperPearson() throws {
        let model = Self.classifier(correct: 912, count: 1000)
        let clearPass = try judge("accuracy", .min, 0.88, candidate: model)
        #expect(clearPass.outcome == .pass && clearPass.method == "clopper-pearson" && !clearPass.paired)
        let expected = try #require(
            Proportions.clopperPearson(successes: 912, trials: 1000, confidence: 0.95))
        #expect(clearPass.interval == expected)
        #expect(try judge("accuracy", .min, 0.91, candidate: model).outcome == .inconclusive)
        #expect(try judge("accuracy", .min, 0.94, candidate: model).outcome == .fail)
        // The MDE of an accuracy near 0.91 on 1,000 examples: (1.96 + 0.84)·√(0.912·0.088/1000) ≈ 0.025.
        #expect(abs(clearPass.minimumDetectableEffect - 0.0251) < 0.0005)
    }

    @Test func pairedAccuracyDropUsesMcNemar() throws {
        let candidate = Self.classifier(correct: 900, count: 1000)
        let same = try judge(
            "accuracy", .maxDrop, 0.0, candidate: candidate, baseline: .results(candidate, paired: true))
        #expect(same.method == "mcnemar" && same.paired)
        // Identical predictions: drop 0 with a tiny interval around it; max_drop 0 cannot be shown.
        #expect(same.interval.lower < 0 && same.interval.upper > 0)
        let better = Self.classifier(correct: 960, count: 1000)
        let worse = try judge(
            "accuracy", .maxDrop, 0.01, candidate: candidate, baseline: .results(better, paired: true))
        #expect(worse.outcome == .fail, "\(worse)")
        #expect(worse.interval.lower > 0.01 && worse.interval.lower < 0.06 && worse.interval.upper > 0.06)
        let tolerated = try judge(
            "accuracy", .maxDrop, 0.2, candidate: candidate, baseline: .results(better, paired: true))
        #expect(tolerated.outcome == .pass)
        let unpaired = try judge(
            "accuracy", .maxDrop, 0.01, candidate: candidate, baseline: .results(better, paired: false))
        #expect(unpaired.method == "two-proportion" && !unpaired.paired)
    }

    @Test func rmseRiseUsesThePairedBootstrapAndConstantBaselines() throws {
        let data = BootstrapTests.regression(count: 2000, seed: 9)
        let candidate = ExampleResults(task: .regression, truth: data.truth, predicted: data.a)
        let baseline = ExampleResults(task: .regression, truth: data.truth, predicted: data.b)
        // The candidate's errors are smaller: its rmse does not rise.
        let rise = try judge(
            "rmse", .maxRise, 0.0, candidate: candidate, baseline: .results(baseline, paired: true))
        #expect(rise.method == "bootstrap-percentile" && rise.paired && rise.outcome == .pass, "\(rise)")
        #expect(rise.interval.upper < 0)
        let reversed = try judge(
            "rmse", .maxRise, 0.0, candidate: baseline, baseline: .results(candidate, paired: true))
        #expect(reversed.outcome == .fail && reversed.pValue < 0.025, "\(reversed)")
        let constant = try judge("r2", .maxDrop, 0.5, candidate: candidate, baseline: .value(0.99))
        #expect(constant.method == "bootstrap-percentile" && !constant.paired && constant.outcome == .pass)
        #expect(try judge("r2", .min, 0.999, candidate: candidate).outcome == .fail)
    }

    @Test func aucUsesDeLong() throws {
        let sample = DeLongTests.sample(count: 500, seed: 4)
        func results(_ scores: [Double]) -> ExampleResults {
            ExampleResults(
                task: .classification(classes: 2), truth: sample.labels.map { $0 ? 1 : 0 },
                predicted: scores.map { $0 >= 0.5 ? 1 : 0 }, probabilities: scores.flatMap { [1 - $0, $0] })
        }
        let paired = try judge(
            "roc_auc", .maxDrop, 0.0, candidate: results(sample.a),
            baseline: .results(results(sample.b), paired: true))
        let reference = try #require(
            DeLong.compare(positive: sample.labels, candidate: sample.a, baseline: sample.b))
        #expect(paired.method == "delong" && paired.paired)
        let drop = reference.interval(confidence: 0.95)
        #expect(close(paired.interval.lower, -drop.upper) && close(paired.interval.upper, -drop.lower))
    }

    @Test func holmTurnsAWeakFailIntoInconclusive() throws {
        let weak = GateSignificance.Result(
            outcome: .fail, interval: Interval(0.011, 0.03), pValue: 0.02, method: "mcnemar", paired: true,
            count: 100,
            minimumDetectableEffect: 0.05)
        let strong = GateSignificance.Result(
            outcome: .fail, interval: Interval(0.05, 0.09), pValue: 0.0001, method: "mcnemar", paired: true,
            count: 100,
            minimumDetectableEffect: 0.05)
        let passing = GateSignificance.Result(
            outcome: .pass, interval: Interval(-0.05, -0.01), pValue: 0.9, method: "mcnemar", paired: true,
            count: 100,
            minimumDetectableEffect: 0.05)
        // Holm multiplies the second-smallest of three p-values by 2: 0.04 > 0.025.
        let confidences = [0.95, 0.95, 0.95]
        let corrected = GateSignificance.correct(
            [weak, strong, passing], confidences: confidences, method: .holm)
        #expect(corrected.map(\.outcome) == [GateSignificance.Outcome.inconclusive, .fail, .pass])
        let uncorrected = GateSignificance.correct(
            [weak, strong, passing], confidences: confidences, method: .none)
        #expect(uncorrected.map(\.outcome) == [GateSignificance.Outcome.fail, .fail, .pass])
    }

    @Test func unsupportedMetricsAndMissingBaselinesGiveNoJudgement() {
        let model = Self.classifier(correct: 90, count: 100)
        let question = GateSignificance.Question(
            metric: "silhouette", bound: .min, limit: 0.5, relative: false, confidence: 0.95)
        #expect(
            GateSignificance.judge(question, candidate: model, baseline: nil, resamples: 100, seed: 1) == nil)
        let drop = GateSignificance.Question(
            metric: "accuracy", bound: .maxDrop, limit: 0, relative: false, confidence: 0.95)
        #expect(GateSignificance.judge(drop, candidate: model, baseline: nil, resamples: 100, seed: 1) == nil)
    }
}
