/// How each feature was distributed in the training rows: what a server compares live inputs with
/// to measure drift (the population stability index, PSI).
///
/// Per feature, up to `binCount - 1` strictly increasing bin edges at the training deciles, and
/// the share of training rows in each bin. A value `v` falls in bin `i` = the number of edges
/// below it, so the bins are (-∞, e₁], (e₁, e₂], …, (eₖ, +∞); a column with few distinct values
/// gets fewer bins (repeated deciles collapse into one edge).
///
/// The profile is computed from at most `sampleLimit(width:)` training rows, chosen by reservoir
/// sampling with a fixed seed over the rows in file order: the same data gives the same profile
/// on any machine and any thread count, and memory stays bounded whatever the data's size.
public struct FeatureProfile: Codable, Sendable, Equatable {
    /// Deciles: at most ten bins per feature.
    public static let binCount = 10

    /// One feature's bins.
    public struct Feature: Codable, Sendable, Equatable {
        /// The column name.
        public var name: String
        /// Strictly increasing upper edges of every bin but the last.
        public var edges: [Double]
        /// Share of the training rows in each bin (`edges.count + 1` values summing to 1).
        public var proportions: [Double]

        /// The bin of `value`: how many edges lie below it (binary search).
        public func bin(of value: Double) -> Int {
            var low = 0
            var high = edges.count
            while low < high {
                let middle = (low + high) / 2
                if edges[middle] < value { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// One entry per model feature, in the model's feature order.
    public var features: [Feature]
    /// Training rows the profile was computed from (the sample, when the data was larger).
    public var rows: Int

    /// The most rows sampled: about four million values in all, never more than 100,000 rows.
    static func sampleLimit(width: Int) -> Int { max(1, min(100_000, 4_000_000 / max(width, 1))) }

    /// Builds the profile from sampled rows (row-major, `width` values each).
    static func build(names: [String], sample: [Double], rows: Int) -> FeatureProfile {
        let width = names.count
        var features: [Feature] = []
        for column in 0..<width {
            var values = (0..<rows).map { sample[$0 * width + column] }
            values.sort()
            var edges: [Double] = []
            if rows > 0 {
                for decile in 1..<binCount {
                    let edge = values[(decile * (rows - 1)) / binCount]
                    if edges.last.map({ $0 < edge }) ?? true { edges.append(edge) }
                }
            }
            var feature = Feature(name: names[column], edges: edges, proportions: [])
            var counts = [Int](repeating: 0, count: edges.count + 1)
            for value in values { counts[feature.bin(of: value)] += 1 }
            feature.proportions = counts.map { rows > 0 ? Double($0) / Double(rows) : 0 }
            features.append(feature)
        }
        return FeatureProfile(features: features, rows: rows)
    }

    /// The profile of the rows `model` was trained on: the data rows of `request` its split did
    /// not hold out (every row when the test rows came from another file), read once more.
    public static func read(for model: ModelFile, request: TrainingRequest) throws -> FeatureProfile {
        let kind: TargetKind =
            model.kind == LogisticRegressionTrainer.kind ? .label : model.target == nil ? .none : .numeric
        let csv = try CSVReader(url: request.data, name: request.dataName)
        let table = try TableReader(
            csv: csv, target: model.target, targetKind: kind, features: model.features,
            policy: request.missing)
        var rule: SplitRule?
        if case .split(let fraction, let seed) = request.test {
            rule = SplitRule(fraction: fraction, seed: seed)
        }
        let width = model.features.count
        let limit = sampleLimit(width: width)
        var sample: [Double] = []
        var seen = 0
        var generator = ReservoirGenerator()
        var row = [Double](repeating: 0, count: max(width, 1))
        try row.withUnsafeMutableBufferPointer { buffer in
            let x = buffer.baseAddress!
            rowLoop: while true {
                switch try table.nextRow(into: x) {
                case .end: break rowLoop
                case .dropped: continue rowLoop
                case .row: break
                }
                if let rule, rule.isTest(csv) { continue }
                seen += 1
                if seen <= limit {
                    sample.append(contentsOf: UnsafeBufferPointer(start: x, count: width))
                } else {
                    // Algorithm R: row `seen` replaces a kept row with probability limit / seen.
                    let slot = Int(generator.next() % UInt64(seen))
                    if slot < limit {
                        for column in 0..<width { sample[slot * width + column] = x[column] }
                    }
                }
            }
        }
        return build(names: model.features, sample: sample, rows: min(seen, limit))
    }
}

/// SplitMix64 with a fixed seed: the reservoir's choices depend on nothing but the row order.
private struct ReservoirGenerator {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
