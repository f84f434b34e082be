import Foundation

/// Paired comparison of two classifiers' 0/1 results on the same examples.
///
/// Only the discordant pairs carry information: `candidateOnly` examples the candidate got right
/// and the baseline wrong, `baselineOnly` the reverse. Everything here is O(1) in the number of
/// examples once those two counts are known, so no resampling is needed for accuracy.
public struct McNemar: Sendable, Equatable {
    /// Examples the candidate got right and the baseline wrong.
    public let candidateOnly: Int
    /// Examples the baseline got right and the candidate wrong.
    public let baselineOnly: Int
    /// All paired examples.
    public let total: Int

    /// The counts of one paired comparison; nil when they are inconsistent.
    public init?(candidateOnly: Int, baselineOnly: Int, total: Int) {
        guard candidateOnly >= 0, baselineOnly >= 0, total > 0, candidateOnly + baselineOnly <= total else {
            return nil
        }
        self.candidateOnly = candidateOnly
        self.baselineOnly = baselineOnly
        self.total = total
    }

    /// candidate accuracy − baseline accuracy.
    public var difference: Double { Double(candidateOnly - baselineOnly) / Double(total) }

    /// The exact (binomial) two-sided McNemar p-value, as statsmodels'
    /// `mcnemar(table, exact=True)`: 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, ½), at most 1.
    public var exactPValue: Double {
        let discordant = candidateOnly + baselineOnly
        let smaller = min(candidateOnly, baselineOnly)
        return min(1, 2 * Distributions.binomialCDF(smaller, trials: discordant, probability: 0.5))
    }

    /// The Wald interval of the paired difference with Agresti & Min's (2005) adjustment: ½ added
    /// to each cell of the 2×2 table, which keeps coverage near nominal for small and zero counts.
    public func interval(confidence: Double) -> Interval {
        let (estimate, se) = adjustedEstimate()
        let z = Distributions.normalQuantile(1 - (1 - confidence) / 2)
        return Interval(estimate - z * se, estimate + z * se)
    }

    /// The standard error of the (adjusted) paired difference.
    public var standardError: Double { adjustedEstimate().se }

    private func adjustedEstimate() -> (estimate: Double, se: Double) {
        let b = Double(candidateOnly) + 0.5
        let c = Double(baselineOnly) + 0.5
        let n = Double(total) + 2
        let estimate = (b - c) / n
        let variance = ((b + c) - (b - c) * (b - c) / n) / (n * n)
        return (estimate, max(variance, 0).squareRoot())
    }
}
