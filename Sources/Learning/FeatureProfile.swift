/// How each feature was distributed in the training rows: what a server compares live inputs with
/// to measure drift (the population stability index, PSI).
///
/// Per feature, up to `binCount - 1` strictly increasing bin edges at the training deciles, and
/// the share of training rows in each bin. A value `v` falls in bin `i` = the number of edges
/// below it, so the bins are (-∞, e₁], (e₁, e₂], …, (eₖ, +∞); a column with few distinct values
/// gets fewer bins (repeated deciles collapse into one edge).
///
/// The profile is computed from at most `sampleLimit(width:)` training rows, so that it costs a
/// bounded read whatever the data's size (training already read every row once): a file of more
/// than `segmentedBytes` is sampled in `segmentCount` evenly spaced segments (each starting at a
/// line start, reading its share of the sample), a smaller one, or one whose segments cannot be
/// read on their own (a quoted newline at a segment start), by reservoir sampling with a fixed
/// seed over every row. Both depend on the file's bytes alone: the same data gives the same
/// profile on any machine and any thread count, and memory stays bounded.
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
        let (csv, table, kind, rule) = try TrainingRows.openTable(for: model, request: request)
        let width = model.features.count
        let limit = sampleLimit(width: width)
        if let sample = segmentSample(
            csv: csv, kind: kind, model: model, request: request, rule: rule, limit: limit)
        {
            return build(names: model.features, sample: sample, rows: sample.count / max(width, 1))
        }
        var sample: [Double] = []
        var seen = 0
        // A fixed seed: the reservoir's choices depend on nothing but the row order.
        var generator = SplitMixGenerator(seed: 0x9E37_79B9_7F4A_7C15)
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

    /// Segments a large file's sample is drawn from.
    static let segmentCount = 64
    /// Files with more bytes of records than this are sampled by segments; smaller ones are read
    /// whole (a few milliseconds).
    static let segmentedBytes: Int64 = 16 << 20

    /// The training rows of `segmentCount` evenly spaced segments of the file, `limit /
    /// segmentCount` from the start of each (row-major); nil when the file is small or a segment
    /// cannot be read on its own, so the caller reads every row instead.
    private static func segmentSample(
        csv: CSVReader, kind: TargetKind, model: ModelFile, request: TrainingRequest, rule: SplitRule?,
        limit: Int
    ) -> [Double]? {
        guard let total = csv.totalBytes else { return nil }
        let dataStart = csv.recordOffset
        guard total - dataStart > segmentedBytes else { return nil }
        let width = model.features.count
        let perSegment = max(1, limit / segmentCount)
        var sample: [Double] = []
        sample.reserveCapacity(perSegment * segmentCount * width)
        var row = [Double](repeating: 0, count: max(width, 1))
        do {
            var starts: [Int64] = [dataStart]
            for index in 1..<segmentCount {
                let nominal = dataStart + (total - dataStart) * Int64(index) / Int64(segmentCount)
                guard
                    let start = try ParallelRanges.lineStart(
                        atOrAfter: nominal, in: request.data, name: request.dataName),
                    start > starts[index - 1]
                else { return nil }
                starts.append(start)
            }
            for (index, start) in starts.enumerated() {
                let source = try FileByteSource(url: request.data, name: request.dataName, offset: start)
                let segment = CSVReader(
                    source: source, name: request.dataName, header: csv.header, offset: start,
                    chunkSize: 1 << 18)
                segment.stopOffset = index + 1 < starts.count ? starts[index + 1] : .max
                let table = try TableReader(
                    csv: segment, target: model.target, targetKind: kind, features: model.features,
                    policy: request.missing, allowEmpty: true)
                var taken = 0
                try row.withUnsafeMutableBufferPointer { buffer in
                    let x = buffer.baseAddress!
                    rowLoop: while taken < perSegment {
                        switch try table.nextRow(into: x) {
                        case .end: break rowLoop
                        case .dropped: continue rowLoop
                        case .row: break
                        }
                        if let rule, rule.isTest(segment) { continue }
                        sample.append(contentsOf: UnsafeBufferPointer(start: x, count: width))
                        taken += 1
                    }
                }
            }
        } catch {
            // A segment start inside a quoted field breaks its rows: read every row instead.
            return nil
        }
        return sample.isEmpty ? nil : sample
    }
}
