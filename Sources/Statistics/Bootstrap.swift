import Foundation

/// The nonparametric bootstrap of a statistic of column sums, with a deterministic generator.
///
/// **Mechanism.** Resample r draws from its own SplitMix64 stream, seeded from (seed, r) alone.
/// For a table of few distinct rows it draws the multinomial counts of those rows (sequential
/// conditional binomials, each sampled exactly by inversion from the mode); otherwise it draws
/// `count` example indices (32 random bits each, by multiply-shift) and adds those rows into
/// column sums in draw order. The statistic is a function of the sums. Memory is the table plus
/// one value per resample (never resamples × examples).
///
/// **Guarantee.** The distribution depends only on the table, the statistic, the seed and the
/// number of resamples: resamples run in parallel in fixed chunks, but each one's sums are formed
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
        guard table.count > 0 else { return nil }
        var values = [Double](repeating: .nan, count: resamples)
        let resamples = resamples
        let seed = seed
        let chunkSize = 32
        let chunks = (resamples + chunkSize - 1) / chunkSize
        values.withUnsafeMutableBufferPointer { output in
            nonisolated(unsafe) let output = output
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var sums = [Double](repeating: 0, count: table.width)
                for resample in (chunk * chunkSize)..<min(resamples, (chunk + 1) * chunkSize) {
                    var generator = SplitMix64(seed: seed, stream: UInt64(resample))
                    Self.resample(table, into: &sums, using: &generator)
                    output[resample] = statistic(sums)
                }
            }
        }
        return values
    }

    /// One resample's column sums.
    static func resample(_ table: SumTable, into sums: inout [Double], using generator: inout SplitMix64) {
        let n = table.count
        if let categories = table.categories {
            for column in sums.indices { sums[column] = 0 }
            var remaining = n
            var remainingWeight = n
            for (row, weight) in zip(categories.rows, categories.counts) {
                guard remaining > 0 else { break }
                let drawn =
                    weight == remainingWeight
                    ? remaining
                    : binomial(remaining, Double(weight) / Double(remainingWeight), using: &generator)
                remaining -= drawn
                remainingWeight -= weight
                for column in sums.indices { sums[column] += row[column] * Double(drawn) }
            }
            return
        }
        let bound = UInt64(n)
        switch table.packed {
        case .none: break
        case .one(let rows):
            var total = 0.0
            rows.withUnsafeBufferPointer { rows in
                Self.draw(n, bound, &generator) { total += rows[$0] }
            }
            sums[0] = total
        case .two(let rows):
            var total = SIMD2<Double>.zero
            rows.withUnsafeBufferPointer { rows in
                Self.draw(n, bound, &generator) { total += rows[$0] }
            }
            sums[0] = total[0]
            sums[1] = total[1]
        case .four(let rows, let groups):
            if groups == 1 {
                var total = SIMD4<Double>.zero
                rows.withUnsafeBufferPointer { rows in
                    Self.draw(n, bound, &generator) { total += rows[$0] }
                }
                for column in sums.indices { sums[column] = total[column] }
            } else {
                var totals = [SIMD4<Double>](repeating: .zero, count: groups)
                rows.withUnsafeBufferPointer { rows in
                    Self.draw(n, bound, &generator) { index in
                        for group in 0..<groups { totals[group] += rows[index * groups + group] }
                    }
                }
                for column in sums.indices { sums[column] = totals[column / 4][column % 4] }
            }
        }
    }

    /// Calls `add` with `n` uniform indices below `bound`, two per 64 random bits
    /// ((32-bit value · bound) >> 32: off uniform by at most bound / 2³², under 3e-5 for 100,000
    /// examples — far below the Monte-Carlo error of any bootstrap).
    @inline(__always)
    static func draw(_ n: Int, _ bound: UInt64, _ generator: inout SplitMix64, _ add: (Int) -> Void) {
        var left = n
        while left >= 2 {
            let bits = generator.next()
            add(Int(((bits & 0xFFFF_FFFF) &* bound) >> 32))
            add(Int(((bits >> 32) &* bound) >> 32))
            left -= 2
        }
        if left == 1 { add(Int(((generator.next() & 0xFFFF_FFFF) &* bound) >> 32)) }
    }

    /// An exact Binomial(n, p) draw by inversion over the outcomes ordered outward from the mode
    /// (m, m+1, m−1, m+2, …), which takes O(√(n·p·(1−p))) steps on average. Inversion over any
    /// fixed order of the outcomes is exact; the loop is bounded by n + 1 steps.
    static func binomial(_ n: Int, _ p: Double, using generator: inout SplitMix64) -> Int {
        if n <= 0 || p <= 0 { return 0 }
        if p >= 1 { return n }
        let mode = min(n, Int((Double(n + 1) * p).rounded(.down)))
        let logMode =
            lgamma(Double(n + 1)) - lgamma(Double(mode + 1)) - lgamma(Double(n - mode + 1)) + Double(mode)
            * log(p)
            + Double(n - mode) * log1p(-p)
        let atMode = exp(logMode)
        var u = Double(generator.next() >> 11) * 0x1p-53 - atMode
        if u < 0 { return mode }
        let ratio = p / (1 - p)
        var up = mode
        var down = mode
        var upMass = atMode
        var downMass = atMode
        for _ in 0...n {
            if up < n {
                upMass *= Double(n - up) / Double(up + 1) * ratio
                up += 1
                u -= upMass
                if u < 0 { return up }
            }
            if down > 0 {
                downMass *= Double(down) / Double(n - down + 1) / ratio
                down -= 1
                u -= downMass
                if u < 0 { return down }
            }
            if (up >= n || upMass == 0) && (down <= 0 || downMass == 0) { break }
        }
        return mode
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
