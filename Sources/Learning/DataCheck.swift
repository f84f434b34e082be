#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a `validate` stage expects of a CSV file; every field is optional.
public struct DataExpectations: Sendable, Equatable {
    /// A column's kind of values.
    public enum ColumnType: String, Sendable, Equatable, Codable {
        case number, text
    }

    /// Columns that must be present (others are allowed).
    public var columns: [String]?
    /// Declared kinds of values per column.
    public var types: [String: ColumnType]
    /// Allowed numeric ranges per column (inclusive).
    public var ranges: [String: ClosedRange<Double>]
    /// The fewest data rows acceptable.
    public var minimumRows: Int?
    /// A baseline CSV to measure drift against (e.g. the baseline commit's data), with its name.
    public var baseline: URL?
    /// The baseline file as shown in messages.
    public var baselineName: String?

    /// Expectations; see the properties.
    public init(
        columns: [String]? = nil, types: [String: ColumnType] = [:],
        ranges: [String: ClosedRange<Double>] = [:],
        minimumRows: Int? = nil, baseline: URL? = nil, baselineName: String? = nil
    ) {
        self.columns = columns
        self.types = types
        self.ranges = ranges
        self.minimumRows = minimumRows
        self.baseline = baseline
        self.baselineName = baselineName
    }
}

/// One expectation the data does not meet.
public struct DataProblem: Sendable, Equatable, Codable {
    /// What is wrong, in the user's words.
    public var summary: String
    /// `file:line:column` of the first offending cell, or the file.
    public var location: String?
    /// The column concerned, if one.
    public var column: String?
}

/// Summary of one column.
public struct ColumnSummary: Sendable, Equatable, Codable {
    /// The column name.
    public var name: String
    /// "number" when every present value is a number, else "text".
    public var type: DataExpectations.ColumnType
    /// How many values are missing.
    public var missing: Int
    /// The smallest numeric value, if any.
    public var minimum: Double?
    /// The largest numeric value, if any.
    public var maximum: Double?
}

/// The outcome of data checks: flat metrics for gates, plus problems and per-column summaries.
public struct DataCheckReport: Sendable, Equatable {
    /// `rows`, `missing.<col>` (share of rows), `out_of_range.<col>` (count), and with a baseline
    /// `drift.psi.<col>` and `drift.ks.<col>` for numeric columns present in both.
    public var metrics: [String: Double]
    /// Expectations the data does not meet.
    public var problems: [DataProblem]
    /// One summary per column, in file order.
    public var columns: [ColumnSummary]
}

/// Schema, missing values, ranges, row count and drift of a CSV file.
public enum DataCheck {
    /// Values kept per column for drift (a uniform seeded reservoir sample beyond this).
    public static let sampleLimit = 100_000

    /// Reads `data` once (memory bounded by the sample limit) and checks it against `expectations`.
    public static func validate(data: URL, name: String, expectations: DataExpectations) throws
        -> DataCheckReport
    {
        let current = try ColumnScan(url: data, name: name, ranges: expectations.ranges)
        var metrics: [String: Double] = ["rows": Double(current.rows)]
        var problems: [DataProblem] = []
        let rows = max(current.rows, 1)
        for (index, column) in current.header.enumerated() {
            metrics["missing.\(column)"] = Double(current.missing[index]) / Double(rows)
        }
        for column in expectations.columns ?? [] where !current.header.contains(column) {
            problems.append(
                DataProblem(
                    summary:
                        "column '\(column)' is missing; the header has \(current.header.map { "'\($0)'" }.joined(separator: ", "))",
                    location: "\(name):1:1", column: column))
        }
        for (column, type) in expectations.types.sorted(by: { $0.key < $1.key }) {
            guard let index = current.header.firstIndex(of: column) else {
                problems.append(
                    DataProblem(
                        summary: "column '\(column)' is missing", location: "\(name):1:1", column: column))
                continue
            }
            if type == .number, let location = current.firstText[index] {
                problems.append(
                    DataProblem(
                        summary:
                            "column '\(column)' should hold numbers but has text ('\(current.firstTextValue[index] ?? "")')",
                        location: location, column: column))
            }
        }
        for (column, range) in expectations.ranges.sorted(by: { $0.key < $1.key }) {
            guard let index = current.header.firstIndex(of: column) else {
                problems.append(
                    DataProblem(
                        summary: "column '\(column)' is missing", location: "\(name):1:1", column: column))
                continue
            }
            metrics["out_of_range.\(column)"] = Double(current.outOfRange[index])
            if let location = current.firstOutOfRange[index] {
                problems.append(
                    DataProblem(
                        summary:
                            "\(current.outOfRange[index]) value(s) of '\(column)' outside \(range.lowerBound)…\(range.upperBound)",
                        location: location, column: column))
            }
        }
        if let minimum = expectations.minimumRows, current.rows < minimum {
            problems.append(
                DataProblem(
                    summary: "\(current.rows) rows; expected at least \(minimum)", location: name, column: nil
                ))
        }
        if let baselineURL = expectations.baseline {
            let baseline = try ColumnScan(
                url: baselineURL, name: expectations.baselineName ?? baselineURL.path, ranges: [:])
            for (index, column) in current.header.enumerated() {
                guard current.firstText[index] == nil, let other = baseline.header.firstIndex(of: column),
                    baseline.firstText[other] == nil, !current.samples[index].isEmpty,
                    !baseline.samples[other].isEmpty
                else { continue }
                let expected = baseline.samples[other].sorted()
                let actual = current.samples[index].sorted()
                metrics["drift.psi.\(column)"] = populationStabilityIndex(baseline: expected, current: actual)
                metrics["drift.ks.\(column)"] = kolmogorovSmirnov(expected, actual)
            }
        }
        let summaries = current.header.indices.map { index in
            ColumnSummary(
                name: current.header[index], type: current.firstText[index] == nil ? .number : .text,
                missing: current.missing[index], minimum: current.minimum[index],
                maximum: current.maximum[index])
        }
        return DataCheckReport(metrics: metrics, problems: problems, columns: summaries)
    }

    /// Two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs of
    /// two sorted samples (scipy's `ks_2samp(...).statistic`).
    public static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> Double {
        var i = 0
        var j = 0
        var largest = 0.0
        let n = Double(a.count)
        let m = Double(b.count)
        while i < a.count && j < b.count {
            let value = min(a[i], b[j])
            while i < a.count && a[i] == value { i += 1 }
            while j < b.count && b[j] == value { j += 1 }
            largest = max(largest, abs(Double(i) / n - Double(j) / m))
        }
        return largest
    }

    /// Population stability index over ten bins cut at the baseline's deciles (numpy's linear
    /// quantiles; a value equal to an edge goes to the bin above), empty bins floored at 1e-4:
    /// Σ (current − baseline) · ln(current / baseline).
    public static func populationStabilityIndex(baseline: [Double], current: [Double]) -> Double {
        let edges = (1..<10).map { quantile(baseline, Double($0) / 10) }
        func shares(_ sorted: [Double]) -> [Double] {
            var counts = [Double](repeating: 0, count: 10)
            for value in sorted {
                var bin = 0
                while bin < 9 && edges[bin] <= value { bin += 1 }
                counts[bin] += 1
            }
            return counts.map { max($0 / Double(sorted.count), 1e-4) }
        }
        let expected = shares(baseline)
        let actual = shares(current)
        var index = 0.0
        for bin in 0..<10 { index += (actual[bin] - expected[bin]) * log(actual[bin] / expected[bin]) }
        return index
    }

    /// numpy's default (linear) quantile of a sorted sample.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}

/// One pass over a CSV collecting per-column counts, extremes and a numeric sample.
private struct ColumnScan {
    var header: [String]
    var rows = 0
    var missing: [Int]
    var minimum: [Double?]
    var maximum: [Double?]
    var firstText: [String?]
    var firstTextValue: [String?]
    var outOfRange: [Int]
    var firstOutOfRange: [String?]
    var samples: [[Double]]
    var seen: [Int]

    init(url: URL, name: String, ranges: [String: ClosedRange<Double>]) throws {
        let csv = try CSVReader(url: url, name: name)
        header = csv.header
        let width = header.count
        missing = [Int](repeating: 0, count: width)
        minimum = [Double?](repeating: nil, count: width)
        maximum = [Double?](repeating: nil, count: width)
        firstText = [String?](repeating: nil, count: width)
        firstTextValue = [String?](repeating: nil, count: width)
        outOfRange = [Int](repeating: 0, count: width)
        firstOutOfRange = [String?](repeating: nil, count: width)
        samples = [[Double]](repeating: [], count: width)
        seen = [Int](repeating: 0, count: width)
        let bounds = header.map { ranges[$0] }
        var generator = SplitMixGenerator(seed: 0xD21F7)
        while try csv.next() {
            rows += 1
            for column in 0..<width {
                switch csv.cell(column) {
                case .missing: missing[column] += 1
                case .text, .nonFinite:
                    if firstText[column] == nil {
                        firstText[column] = csv.location(ofField: column)
                        firstTextValue[column] = String(csv.string(column).prefix(40))
                    }
                case .number(let value):
                    minimum[column] = min(minimum[column] ?? value, value)
                    maximum[column] = max(maximum[column] ?? value, value)
                    if let range = bounds[column], !range.contains(value) {
                        outOfRange[column] += 1
                        if firstOutOfRange[column] == nil {
                            firstOutOfRange[column] = csv.location(ofField: column)
                        }
                    }
                    seen[column] += 1
                    if samples[column].count < DataCheck.sampleLimit {
                        samples[column].append(value)
                    } else {
                        let slot = Int(generator.next() % UInt64(seen[column]))
                        if slot < DataCheck.sampleLimit { samples[column][slot] = value }
                    }
                }
            }
        }
        if rows == 0 {
            throw DataError(
                .headerOnly, "'\(name)' has a header but no data rows; expected at least one row",
                location: "\(name):2:1", hint: "add data rows below the header")
        }
    }
}
