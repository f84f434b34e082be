import Foundation

/// ROC AUC with DeLong, DeLong & Clarke-Pearson's (1988) variance, computed with Sun & Xu's (2014)
/// midrank algorithm in O(n log n): the placement values of each positive and negative example
/// come from three sorts instead of the O(m·n) pairwise comparison.
public enum DeLong {
    /// One model's AUC and its DeLong variance.
    public struct Estimate: Sendable, Equatable {
        /// The area under the ROC curve (ties count one half).
        public let auc: Double
        /// The DeLong variance of `auc`.
        public let variance: Double
    }

    /// A paired comparison of two models' AUCs on the same examples.
    public struct Comparison: Sendable, Equatable {
        /// The candidate's AUC.
        public let candidate: Double
        /// The baseline's AUC.
        public let baseline: Double
        /// The variance of candidate − baseline (covariance included).
        public let variance: Double

        /// candidate − baseline.
        public var difference: Double { candidate - baseline }
        /// The standard error of the difference.
        public var standardError: Double { max(variance, 0).squareRoot() }
        /// The two-sided p-value of the z-test of equal AUCs.
        public var pValue: Double {
            guard standardError > 0 else { return difference == 0 ? 1 : 0 }
            return min(1, 2 * Distributions.normalCDF(-abs(difference) / standardError))
        }
        /// The normal interval of the difference.
        public func interval(confidence: Double) -> Interval {
            let z = Distributions.normalQuantile(1 - (1 - confidence) / 2)
            return Interval(difference - z * standardError, difference + z * standardError)
        }
    }

    /// The AUC of `scores` for `positive` labels and its variance; nil unless both classes are
    /// present and every score is finite.
    public static func estimate(positive: [Bool], scores: [Double]) -> Estimate? {
        guard let components = placements(positive: positive, scores: [scores]) else { return nil }
        let c = components.covariance
        return Estimate(auc: components.aucs[0], variance: c[0][0])
    }

    /// The paired DeLong comparison of two score vectors on the same labelled examples.
    public static func compare(positive: [Bool], candidate: [Double], baseline: [Double]) -> Comparison? {
        guard candidate.count == baseline.count,
            let components = placements(positive: positive, scores: [candidate, baseline])
        else { return nil }
        let c = components.covariance
        return Comparison(
            candidate: components.aucs[0], baseline: components.aucs[1],
            variance: c[0][0] + c[1][1] - 2 * c[0][1])
    }

    /// AUCs and the covariance matrix S10/m + S01/n of the models' AUCs.
    private static func placements(
        positive: [Bool], scores models: [[Double]]
    ) -> (aucs: [Double], covariance: [[Double]])? {
        let positives = positive.indices.filter { positive[$0] }
        let negatives = positive.indices.filter { !positive[$0] }
        let m = positives.count
        let n = negatives.count
        guard m > 0, n > 0, models.allSatisfy({ $0.count == positive.count && $0.allSatisfy(\.isFinite) })
        else { return nil }
        var aucs: [Double] = []
        var v10: [[Double]] = []  // per model, one placement value per positive
        var v01: [[Double]] = []  // per model, one per negative
        for scores in models {
            let x = positives.map { scores[$0] }
            let y = negatives.map { scores[$0] }
            let tx = midranks(x)
            let ty = midranks(y)
            let tz = midranks(x + y)
            var rankSum = 0.0
            for i in 0..<m { rankSum += tz[i] }
            aucs.append((rankSum - Double(m) * Double(m + 1) / 2) / (Double(m) * Double(n)))
            v10.append((0..<m).map { (tz[$0] - tx[$0]) / Double(n) })
            v01.append((0..<n).map { 1 - (tz[m + $0] - ty[$0]) / Double(m) })
        }
        let k = models.count
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k {
            for b in a..<k {
                let value =
                    sampleCovariance(v10[a], v10[b]) / Double(m) + sampleCovariance(v01[a], v01[b])
                    / Double(n)
                covariance[a][b] = value
                covariance[b][a] = value
            }
        }
        return (aucs, covariance)
    }

    /// The covariance with n − 1 in the denominator (0 for a single value).
    private static func sampleCovariance(_ a: [Double], _ b: [Double]) -> Double {
        let count = a.count
        guard count > 1 else { return 0 }
        var meanA = 0.0
        var meanB = 0.0
        for i in 0..<count {
            meanA += a[i]
            meanB += b[i]
        }
        meanA /= Double(count)
        meanB /= Double(count)
        var sum = 0.0
        for i in 0..<count { sum += (a[i] - meanA) * (b[i] - meanB) }
        return sum / Double(count - 1)
    }

    /// 1-based ranks with ties given their average rank.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { (values[$0], $0) < (values[$1], $1) }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + end - 1) / 2 + 1
            for position in start..<end { ranks[order[position]] = rank }
            start = end
        }
        return ranks
    }
}
