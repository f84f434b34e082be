import Foundation

/// The nonparametric bootstrap of a statistic of column sums, with a deterministic generator.
///
/// **Mechanism.** Resample r draws `count` example indices with replacement from its own
/// SplitMix64 stream, seeded from (seed, r) alone, and adds those rows' values into column sums
/// in draw order; the statistic is then a function of the sums. Memory is the table plus one
/// value per resample (never resamples × examples), time is O(count) per resample.
///
/// **Guarantee.** The distribution depends only on the table, the statistic, the seed and the
/// number of resamples: resamples run in parallel in fixed chunks, but each one's sum is formed
/// sequentially by one thread, so the result is bit-identical on any core count.
public struct Bootstrap: Sendable {
    /// How many resamples to draw.
    public let resamples: Int
    /// The seed all streams derive from.
    public let seed: UInt64

    /// A bootstrap of `resamples` draws seeded with `seed`.
    public init(resamples: Int, seed: UInt64) {
        self.resamples = max(1, resamples)
        self.seed = seed
    }

    /// The statistic's value on every resample of `table`, sorted; nil when the table is empty.
    /// Resamples on which the statistic is not finite (e.g. r² of constant truth) are left out.
    public func distribution(
        of table: SumTable, statistic: @escaping @Sendable ([Double]) -> Double
    ) -> BootstrapDistribution? {
        guard let values = values(of: table, statistic: statistic) else { return nil }
        return BootstrapDistribution(values: values.filter(\.isFinite))
    }

    /// The statistic's value on resample 0, 1, … in order (NaN where it is not finite); nil when
    /// the table is empty. Two tables bootstrapped with different seeds pair up by index for an
    /// unpaired comparison.
    public func values(
        of table: SumTable, statistic: @escaping @Sendable ([Double]) -> Double
    ) -> [Double]? {
        let count = table.count
        guard count > 0 else { return nil }
        let groups = table.groups
        let width = table.width
        var values = [Double](repeating: .nan, count: resamples)
        let resamples = resamples
        let seed = seed
        let chunkSize = 64
        let chunks = (resamples + chunkSize - 1) / chunkSize
        table.storage.withUnsafeBufferPointer { rows in
            values.withUnsafeMutableBufferPointer { output in
                nonisolated(unsafe) let rows = rows
                nonisolated(unsafe) let output = output
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var totals = [SIMD4<Double>](repeating: .zero, count: groups)
                    var sums = [Double](repeating: 0, count: width)
                    let upper = min(resamples, (chunk + 1) * chunkSize)
                    for resample in (chunk * chunkSize)..<upper {
                        var generator = SplitMix64(seed: seed, stream: UInt64(resample))
                        for group in 0..<groups { totals[group] = .zero }
                        let bound = UInt64(count)
                        if groups == 1 {
                            var total = SIMD4<Double>.zero
                            for _ in 0..<count {
                                total += rows[Int(generator.next().multipliedFullWidth(by: bound).high)]
                            }
                            totals[0] = total
                        } else {
                            for _ in 0..<count {
                                let row = Int(generator.next().multipliedFullWidth(by: bound).high) * groups
                                for group in 0..<groups { totals[group] += rows[row + group] }
                            }
                        }
                        for column in 0..<width { sums[column] = totals[column / 4][column % 4] }
                        output[resample] = statistic(sums)
                    }
                }
            }
        }
        return values
    }
}

/// The sorted bootstrap values of a statistic.
public struct BootstrapDistribution: Sendable, Equatable {
    /// The finite resampled values, ascending.
    public let sorted: [Double]

    /// A distribution of `values` (sorted here).
    public init(values: [Double]) { sorted = values.sorted() }

    /// The q-quantile with linear interpolation (NumPy's default, as `scipy.stats.bootstrap`).
    public func quantile(_ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * min(max(q, 0), 1)
        let low = Int(h.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (h - Double(low)) * (sorted[high] - sorted[low])
    }

    /// The percentile interval at `confidence`.
    public func percentileInterval(confidence: Double) -> Interval {
        let alpha = 1 - confidence
        return Interval(quantile(alpha / 2), quantile(1 - alpha / 2))
    }

    /// The fraction of resampled values above `limit` (a one-sided bootstrap p-value).
    public func fraction(above limit: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= limit { low = middle + 1 } else { high = middle }
        }
        return Double(sorted.count - low) / Double(sorted.count)
    }

    /// The standard deviation of the resampled values (the bootstrap standard error).
    public var standardError: Double {
        guard sorted.count > 1 else { return 0 }
        var mean = 0.0
        for value in sorted { mean += value }
        mean /= Double(sorted.count)
        var sum = 0.0
        for value in sorted { sum += (value - mean) * (value - mean) }
        return (sum / Double(sorted.count - 1)).squareRoot()
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny state, fast, and any (seed, stream) pair gives an
/// independent-looking sequence, which is what per-resample streams need.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// The generator for stream `stream` of `seed`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        state = seed
        state = Self.mix(seed ^ Self.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
