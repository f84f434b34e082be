import Foundation
import Statistics
import TestSupport
import Testing

/// DeLong's AUC variance and paired test against a pairwise (O(m·n)) implementation of the 1988
/// paper's definitions in NumPy/SciPy (Tests/Fixtures/statistics/reference.py).
@Suite struct DeLongTests {
    /// Labels and two correlated score vectors, with ties (scores rounded to two decimals).
    static func sample(count: Int, seed: UInt64) -> (labels: [Bool], a: [Double], b: [Double]) {
        var generator = SeededGenerator(seed: seed)
        var labels: [Bool] = []
        var a: [Double] = []
        var b: [Double] = []
        for _ in 0..<count {
            let positive = Bool.random(using: &generator)
            let signal = positive ? 0.6 : 0.4
            let shared = Double.random(in: -0.3...0.3, using: &generator)
            labels.append(positive)
            a.append(
                ((signal + shared + Double.random(in: -0.2...0.2, using: &generator)) * 100).rounded() / 100)
            b.append(
                ((signal + shared / 2 + Double.random(in: -0.35...0.35, using: &generator)) * 100).rounded()
                    / 100)
        }
        return (labels, a, b)
    }

    @Test func varianceAndPairedPValueEqualTheDefinition() throws {
        let samples = [
            Self.sample(count: 60, seed: 1), Self.sample(count: 400, seed: 2),
            Self.sample(count: 1500, seed: 3),
        ]
        let cases = samples.map { ["labels": $0.labels, "a": $0.a, "b": $0.b] as [String: Any] }
        for (sample, answer) in zip(
            samples, try Reference.answers("delong", cases, as: [String: Double].self))
        {
            let single = try #require(DeLong.estimate(positive: sample.labels, scores: sample.a))
            #expect(close(single.auc, try #require(answer["auc_a"]), relative: 1e-12))
            #expect(
                close(single.variance, try #require(answer["var_a"]), relative: 1e-9),
                "\(single) vs \(answer)")
            let paired = try #require(
                DeLong.compare(positive: sample.labels, candidate: sample.a, baseline: sample.b))
            #expect(close(paired.baseline, try #require(answer["auc_b"]), relative: 1e-12))
            #expect(
                close(paired.variance, try #require(answer["var_diff"]), relative: 1e-9),
                "\(paired) vs \(answer)")
            #expect(
                close(paired.pValue, try #require(answer["p"]), relative: 1e-7, absolute: 1e-15),
                "\(paired) vs \(answer)")
        }
    }

    @Test func refusesOneClassAndNonFiniteScores() {
        #expect(DeLong.estimate(positive: [true, true], scores: [0.1, 0.2]) == nil)
        #expect(DeLong.estimate(positive: [true, false], scores: [.nan, 0.2]) == nil)
        #expect(DeLong.compare(positive: [true, false], candidate: [0.1, 0.2], baseline: [0.3]) == nil)
    }
}
