import Foundation

/// Intervals and tests for proportions: a model's accuracy on n examples is k successes in n
/// Bernoulli trials, so the exact binomial machinery applies without resampling.
public enum Proportions {
    /// The Clopper–Pearson ("exact") interval for `successes` out of `trials`, as statsmodels'
    /// `proportion_confint(method="beta")`. Nil when there are no trials.
    public static func clopperPearson(successes k: Int, trials n: Int, confidence: Double) -> Interval? {
        guard n > 0, k >= 0, k <= n else { return nil }
        let alpha = 1 - confidence
        let lower = k == 0 ? 0 : Distributions.betaQuantile(alpha / 2, a: Double(k), b: Double(n - k + 1))
        let upper = k == n ? 1 : Distributions.betaQuantile(1 - alpha / 2, a: Double(k + 1), b: Double(n - k))
        return Interval(lower, upper)
    }

    /// The Wilson score interval, as statsmodels' `proportion_confint(method="wilson")`.
    public static func wilson(successes k: Int, trials n: Int, confidence: Double) -> Interval? {
        guard n > 0, k >= 0, k <= n else { return nil }
        let z = Distributions.normalQuantile(1 - (1 - confidence) / 2)
        let count = Double(n)
        let p = Double(k) / count
        let z2 = z * z
        let denominator = 1 + z2 / count
        let center = (p + z2 / (2 * count)) / denominator
        let half = z * (p * (1 - p) / count + z2 / (4 * count * count)).squareRoot() / denominator
        return Interval(center - half, center + half)
    }

    /// The one-sided exact binomial p-value P(X ≤ k) at proportion `p0`: the evidence that the
    /// true proportion is below `p0`.
    public static func exactLowerTail(successes k: Int, trials n: Int, at p0: Double) -> Double {
        Distributions.binomialCDF(k, trials: n, probability: min(max(p0, 0), 1))
    }

    /// The result of comparing two independent proportions.
    public struct TwoSampleResult: Sendable, Equatable {
        /// p1 - p2.
        public let difference: Double
        /// The Wald interval of the difference (unpooled standard error).
        public let interval: Interval
        /// The unpooled standard error of the difference.
        public let standardError: Double
        /// The two-sided p-value of the pooled z-test of p1 = p2.
        public let pValue: Double
    }

    /// Compares k1/n1 with k2/n2 (unpaired): the pooled z-test of statsmodels'
    /// `proportions_ztest` and the Wald interval of `confint_proportions_2indep(method="wald")`.
    public static func twoSample(
        successes k1: Int, trials n1: Int, versus k2: Int, trials n2: Int, confidence: Double
    ) -> TwoSampleResult? {
        guard n1 > 0, n2 > 0, (0...n1).contains(k1), (0...n2).contains(k2) else { return nil }
        let p1 = Double(k1) / Double(n1)
        let p2 = Double(k2) / Double(n2)
        let pooled = Double(k1 + k2) / Double(n1 + n2)
        let pooledSE = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))).squareRoot()
        let difference = p1 - p2
        let pValue: Double
        if pooledSE > 0 {
            pValue = 2 * Distributions.normalCDF(-abs(difference) / pooledSE)
        } else {
            pValue = difference == 0 ? 1 : 0
        }
        let se = (p1 * (1 - p1) / Double(n1) + p2 * (1 - p2) / Double(n2)).squareRoot()
        let z = Distributions.normalQuantile(1 - (1 - confidence) / 2)
        return TwoSampleResult(
            difference: difference, interval: Interval(difference - z * se, difference + z * se),
            standardError: se, pValue: min(1, pValue))
    }
}
