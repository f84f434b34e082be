import Foundation
import Statistics
import TestSupport
import Testing

/// The paired bootstrap against `scipy.stats.bootstrap(paired=True, method="percentile")`, and
/// its determinism.
@Suite struct BootstrapTests {
    static func regression(count: Int, seed: UInt64) -> (truth: [Double], a: [Double], b: [Double]) {
        var generator = SeededGenerator(seed: seed)
        var truth: [Double] = []
        var a: [Double] = []
        var b: [Double] = []
        for _ in 0..<count {
            let y = Double.random(in: 0...10, using: &generator)
            let shared = Double.random(in: -1...1, using: &generator)
            truth.append(y)
            a.append(y + shared + Double.random(in: -0.8...0.8, using: &generator))
            b.append(y + shared + Double.random(in: -1...1, using: &generator))
        }
        return (truth, a, b)
    }

    struct Answer: Decodable {
        let low: Double
        let high: Double
        let se: Double
    }

    /// Both intervals are Monte-Carlo estimates from 10,000 resamples: each end's error is about
    /// 0.03 standard errors, so 0.25 standard errors is far outside chance yet catches a wrong
    /// statistic, a wrong quantile or an unpaired resample.
    @Test(arguments: ["rmse", "mae", "r2"])
    func pairedRegressionIntervalsAgreeWithScipy(metric: String) throws {
        let data = Self.regression(count: 400, seed: 7)
        let cases: [[String: Any]] = [
            [
                "metric": metric, "truth": data.truth, "candidate": data.a, "baseline": data.b,
                "paired": true,
                "resamples": 10_000, "confidence": 0.95,
            ],
            [
                "metric": metric, "truth": data.truth, "candidate": data.a, "baseline": data.b,
                "paired": false,
                "resamples": 10_000, "confidence": 0.9,
            ],
        ]
        let answers = try Reference.answers("bootstrap", cases, as: Answer.self)
        let candidate = ExampleResults(task: .regression, truth: data.truth, predicted: data.a)
        let baseline = ExampleResults(task: .regression, truth: data.truth, predicted: data.b)
        let paired = try #require(
            MetricBootstrap.distribution(
                of: metric, candidate: candidate, baseline: baseline, paired: true, resamples: 10_000,
                seed: 99))
        let single = try #require(
            MetricBootstrap.distribution(of: metric, candidate: candidate, resamples: 10_000, seed: 99))
        for (distribution, answer, confidence) in [
            (paired.distribution, answers[0], 0.95), (single.distribution, answers[1], 0.9),
        ] {
            let interval = distribution.percentileInterval(confidence: confidence)
            let tolerance = 0.25 * answer.se
            #expect(abs(interval.lower - answer.low) < tolerance, "\(metric): \(interval) vs scipy \(answer)")
            #expect(
                abs(interval.upper - answer.high) < tolerance, "\(metric): \(interval) vs scipy \(answer)")
            #expect(abs(distribution.standardError - answer.se) < 0.05 * answer.se, "\(metric)")
        }
    }

    @Test func pairedF1IntervalAgreesWithScipy() throws {
        var generator = SeededGenerator(seed: 11)
        var truth: [Double] = []
        var a: [Double] = []
        var b: [Double] = []
        for _ in 0..<600 {
            let y = Double(Int.random(in: 0...1, using: &generator))
            truth.append(y)
            a.append(Double.random(in: 0..<1, using: &generator) < 0.85 ? y : 1 - y)
            b.append(Double.random(in: 0..<1, using: &generator) < 0.8 ? y : 1 - y)
        }
        let cases: [[String: Any]] = [
            [
                "metric": "f1", "truth": truth, "candidate": a, "baseline": b, "paired": true,
                "resamples": 10_000, "confidence": 0.95,
            ]
        ]
        let answer = try #require(try Reference.answers("bootstrap", cases, as: Answer.self).first)
        let result = try #require(
            MetricBootstrap.distribution(
                of: "f1",
                candidate: ExampleResults(task: .classification(classes: 2), truth: truth, predicted: a),
                baseline: ExampleResults(task: .classification(classes: 2), truth: truth, predicted: b),
                paired: true,
                resamples: 10_000, seed: 5))
        let interval = result.distribution.percentileInterval(confidence: 0.95)
        #expect(abs(interval.lower - answer.low) < 0.25 * answer.se, "\(interval) vs scipy \(answer)")
        #expect(abs(interval.upper - answer.high) < 0.25 * answer.se, "\(interval) vs scipy \(answer)")
    }

    /// Each resample's value is a function of (seed, resample index) alone: replaying resample r's
    /// SplitMix64 stream on one thread gives exactly the value the parallel run stored.
    @Test func resamplesAreIndependentOfScheduling() throws {
        let data = Self.regression(count: 257, seed: 3)
        let values = zip(data.truth, data.a).map { ($0 - $1) * ($0 - $1) }
        let table = try #require(SumTable(width: 1, values: values))
        let bootstrap = Bootstrap(resamples: 300, seed: 42)
        let parallel = try #require(bootstrap.values(of: table) { $0[0] / 257 })
        for resample in [0, 1, 63, 64, 200, 299] {
            var generator = SplitMix64(seed: 42, stream: UInt64(resample))
            var sum = 0.0
            // Two 32-bit indices per 64 random bits, low half first: (bits · 257) >> 32.
            for _ in 0..<128 {
                let bits = generator.next()
                sum += values[Int(((bits & 0xFFFF_FFFF) * 257) >> 32)]
                sum += values[Int(((bits >> 32) * 257) >> 32)]
            }
            sum += values[Int(((generator.next() & 0xFFFF_FFFF) * 257) >> 32)]
            #expect(parallel[resample] == sum / 257, "resample \(resample)")
        }
        #expect(try #require(bootstrap.values(of: table) { $0[0] / 257 }) == parallel)
        #expect(
            try #require(Bootstrap(resamples: 300, seed: 43).values(of: table) { $0[0] / 257 }) != parallel)
    }

    @Test func tablesRefuseNonFiniteValues() throws {
        #expect(SumTable(width: 1, values: [1, .nan]) == nil)
        #expect(SumTable(width: 2, values: [1, 2, 3]) == nil)
        #expect(
            Bootstrap(resamples: 10, seed: 1).values(
                of: try #require(SumTable(width: 1, values: [])), statistic: { $0[0] }) == nil)
    }
}
