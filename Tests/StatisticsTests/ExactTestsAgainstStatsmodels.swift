import Foundation
import Statistics
import Testing

/// McNemar, Clopper–Pearson, Wilson, the two-proportion test, Holm and BH against statsmodels.
@Suite struct ExactTestsAgainstStatsmodels {
    @Test func mcnemarExactPValuesEqualStatsmodels() throws {
        let cases = [
            [3, 9], [0, 0], [0, 7], [12, 12], [1, 30], [4000, 4100], [250, 180], [49_000, 50_200],
        ]
        let expected = try Reference.answers("mcnemar", cases, as: Double.self)
        for (pair, p) in zip(cases, expected) {
            let test = try #require(McNemar(candidateOnly: pair[0], baselineOnly: pair[1], total: 200_000))
            #expect(
                close(test.exactPValue, p, relative: 1e-9),
                "b=\(pair[0]) c=\(pair[1]): \(test.exactPValue) vs \(p)")
        }
    }

    @Test func proportionIntervalsEqualStatsmodels() throws {
        let cases: [[Double]] = [
            [0, 10, 0.95], [10, 10, 0.95], [7, 41, 0.95], [912, 1000, 0.95], [9120, 10_000, 0.99],
            [91_234, 100_000, 0.9], [1, 3, 0.8],
        ]
        let expected = try Reference.answers("proportion", cases, as: [String: [Double]].self)
        for (c, answer) in zip(cases, expected) {
            let (k, n, confidence) = (Int(c[0]), Int(c[1]), c[2])
            let exact = try #require(
                Proportions.clopperPearson(successes: k, trials: n, confidence: confidence))
            let wilson = try #require(Proportions.wilson(successes: k, trials: n, confidence: confidence))
            #expect(
                close(exact.lower, try #require(answer["beta"])[0], relative: 1e-8),
                "\(c) \(exact) vs \(answer)")
            #expect(
                close(exact.upper, try #require(answer["beta"])[1], relative: 1e-8),
                "\(c) \(exact) vs \(answer)")
            #expect(
                close(wilson.lower, try #require(answer["wilson"])[0], relative: 1e-9),
                "\(c) \(wilson) vs \(answer)")
            #expect(
                close(wilson.upper, try #require(answer["wilson"])[1], relative: 1e-9),
                "\(c) \(wilson) vs \(answer)")
        }
    }

    @Test func binomialTailsAndNormalQuantilesEqualScipy() throws {
        let binomial: [[Double]] = [
            [3, 10, 0.5], [480, 1000, 0.5], [9000, 10_000, 0.91], [0, 5, 0.3], [49_500, 100_000, 0.5],
        ]
        for (c, p) in zip(binomial, try Reference.answers("binom_cdf", binomial, as: Double.self)) {
            let mine = Distributions.binomialCDF(Int(c[0]), trials: Int(c[1]), probability: c[2])
            #expect(close(mine, p, relative: 1e-9, absolute: 0), "\(c): \(mine) vs \(p)")
        }
        let probabilities = [1e-12, 0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999_999]
        for (q, z) in zip(probabilities, try Reference.answers("norm_ppf", probabilities, as: Double.self)) {
            let mine = Distributions.normalQuantile(q)
            #expect(close(mine, z, relative: 1e-12, absolute: 1e-14), "\(q): \(mine) vs \(z)")
        }
    }

    @Test func twoProportionTestEqualsStatsmodels() throws {
        let cases: [[Double]] = [
            [912, 1000, 905, 1000, 0.95], [45, 50, 30, 41, 0.9], [9100, 10_000, 9180, 10_000, 0.99],
        ]
        for (c, answer) in zip(cases, try Reference.answers("two_sample", cases, as: [String: Double].self)) {
            let result = try #require(
                Proportions.twoSample(
                    successes: Int(c[0]), trials: Int(c[1]), versus: Int(c[2]), trials: Int(c[3]),
                    confidence: c[4]))
            #expect(
                close(result.pValue, try #require(answer["p"]), relative: 1e-9),
                "\(c): \(result) vs \(answer)")
            #expect(
                close(result.interval.lower, try #require(answer["low"]), relative: 1e-9),
                "\(c): \(result) vs \(answer)")
            #expect(
                close(result.interval.upper, try #require(answer["high"]), relative: 1e-9),
                "\(c): \(result) vs \(answer)")
        }
    }

    @Test func holmAndBenjaminiHochbergEqualStatsmodels() throws {
        let cases: [[Double]] = [[0.01, 0.04, 0.03, 0.005], [0.5], [0.02, 0.02, 0.9, 0.001, 0.04]]
        for (pValues, answer) in zip(
            cases, try Reference.answers("multitest", cases, as: [String: [Double]].self))
        {
            let holm = MultipleTesting.adjust(pValues, method: .holm)
            let bh = MultipleTesting.adjust(pValues, method: .bh)
            for i in pValues.indices {
                #expect(
                    close(holm[i], try #require(answer["holm"])[i]), "\(pValues) holm \(holm) vs \(answer)")
                #expect(close(bh[i], try #require(answer["bh"])[i]), "\(pValues) bh \(bh) vs \(answer)")
            }
            #expect(MultipleTesting.adjust(pValues, method: .none) == pValues)
        }
    }
}
