#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The rows a model was trained on, known by content, so that re-scoring it on other test rows
/// can leave out the rows it has already seen.
///
/// A row is identified by a 64-bit hash of what the model reads from it: its feature values
/// (the model's feature columns, as numbers) and its target (the number, or the model's class).
/// Column order, extra columns, number spelling (`1` / `1.0`) and line position do not change the
/// identity; a different value in a used column does. Holding the set costs about 16 bytes per
/// training row (a `Set<UInt64>`); a hash collision between two different rows (odds about
/// n² / 2⁶⁵) would only leave one more row out of a comparison.
public struct TrainingRows: Sendable {
    /// Hashes of the training rows.
    let keys: Set<UInt64>

    /// How many distinct training rows are known.
    public var count: Int { keys.count }

    /// The data file of `request` opened as `model` reads it: the reader, its table, the kind of
    /// target, and the split rule whose test rows were held out (nil for a separate test file).
    static func openTable(for model: ModelFile, request: TrainingRequest) throws -> (
        csv: CSVReader, table: TableReader, kind: TargetKind, rule: SplitRule?
    ) {
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
        return (csv, table, kind, rule)
    }

    /// The training rows of `request` as `model` reads them: the data rows its split did not hold
    /// out, or every data row when the test rows came from a separate file.
    public static func read(for model: ModelFile, request: TrainingRequest) throws -> TrainingRows {
        let (csv, table, kind, rule) = try openTable(for: model, request: request)
        let width = model.features.count
        let classes = model.classes ?? []
        var classOfLabel: [Int?] = []
        var keys = Set<UInt64>()
        var row = [Double](repeating: 0, count: max(width, 1))
        try row.withUnsafeMutableBufferPointer { buffer in
            let x = buffer.baseAddress!
            rowLoop: while true {
                var target: Double
                switch try table.nextRow(into: x) {
                case .end: break rowLoop
                case .dropped: continue rowLoop
                case .row(let value): target = value
                }
                if let rule, rule.isTest(csv) { continue }
                if kind == .none { target = 0 }
                if kind == .label {
                    let names = table.labels.names
                    while classOfLabel.count < names.count {
                        classOfLabel.append(Evaluation.classIndex(of: names[classOfLabel.count], in: classes))
                    }
                    // A label the model does not know cannot be a row it was trained on.
                    guard let index = classOfLabel[Int(target)] else { continue }
                    target = Double(index)
                }
                keys.insert(key(features: x, width: width, target: target))
            }
        }
        return TrainingRows(keys: keys)
    }

    /// Whether a row with these (raw, unstandardised) features and target was trained on.
    @inline(__always)
    func contains(features: UnsafePointer<Double>, width: Int, target: Double) -> Bool {
        keys.contains(Self.key(features: features, width: width, target: target))
    }

    /// The identity of a row: its feature values and target, hashed. `-0` counts as `0`.
    @inline(__always)
    static func key(features: UnsafePointer<Double>, width: Int, target: Double) -> UInt64 {
        var hash: UInt64 = 0x5851_F42D_4C95_7F2D
        for index in 0..<width {
            hash = SplitRule.mix(hash ^ (features[index] + 0).bitPattern)
        }
        return SplitRule.mix(hash ^ (target + 0).bitPattern)
    }
}

/// A baseline model's metrics on a candidate's test rows.
public struct Rescoring: Sendable, Equatable, Codable {
    /// The metrics on the rows kept.
    public var metrics: [String: Double]
    /// Test rows scored.
    public var rows: Int
    /// Test rows left out because the model was trained on them.
    public var excludedRows: Int

    enum CodingKeys: String, CodingKey {
        case metrics, rows
        case excludedRows = "excluded_rows"
    }
}

extension ModelFile {
    /// Re-scores this model on the test rows `request` describes, leaving out the rows in
    /// `excluding` (the rows it was trained on). `metrics` is empty when no row is left.
    public func rescore(testOf request: TrainingRequest, excluding: TrainingRows?) throws -> Rescoring {
        let (table, rule) = try Evaluation.testTable(for: self, request: request)
        let result = try Evaluation.run(
            model: self, table: table, include: rule.map { rule in { rule.isTest($0) } }, meter: nil,
            excluding: excluding)
        return Rescoring(metrics: result.metrics, rows: result.rows, excludedRows: result.excludedRows)
    }
}
