#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A command stage's per-example results (`predictions:` in modelgate.yml): a CSV with the
/// columns `id`, `y_true`, `y_pred`, and optionally `score` (the probability of the positive
/// class, the second label in sorted order) or one probability column per class named
/// `p_<label>`.
///
/// The file comes from a stage of a repository that may have been cloned from anyone, so it is
/// read as hostile input: through `CSVReader` (bounded records), at most `rowLimit` rows, every
/// error a `DataError` at `file:line:column` (exit 2) — a repeated id, a missing or unknown
/// column, a number that is not finite or not a number.
public struct PredictionsFile: Codable, Sendable, Equatable {
    /// The row ids, unique, in file order.
    public var ids: [String] = []
    /// `y_true` of each row, as written.
    public var truth: [String] = []
    /// `y_pred` of each row, as written.
    public var predicted: [String] = []
    /// `score` of each row, or empty.
    public var scores: [Double] = []
    /// The labels of the `p_<label>` columns, in column order, or empty.
    public var probabilityLabels: [String] = []
    /// The `p_<label>` values, rows × labels, row-major, or empty.
    public var probabilities: [Double] = []
    /// The line each row starts on.
    public var lines: [Int] = []

    /// The most rows a predictions file may have.
    public static let rowLimit = 10_000_000

    /// The number of rows.
    public var count: Int { ids.count }

    /// Whether the columns have matching lengths (a copy read back from the run store is checked
    /// before use).
    public var isConsistent: Bool {
        truth.count == count && predicted.count == count && lines.count == count
            && (scores.isEmpty || scores.count == count)
            && probabilities.count == count * probabilityLabels.count
    }

    /// An empty file's contents.
    public init() {}

    /// Reads the predictions file at `url`, named `name` in messages.
    public static func read(url: URL, name: String) throws -> PredictionsFile {
        try read(CSVReader(url: url, name: name), name: name)
    }

    /// Reads predictions from `csv` (whose header is already read).
    package static func read(_ csv: CSVReader, name: String) throws -> PredictionsFile {
        let header = csv.header
        func column(_ wanted: String) throws -> Int {
            guard let index = header.firstIndex(of: wanted) else {
                throw DataError(
                    .missingColumn, "the predictions file has no '\(wanted)' column", location: "\(name):1",
                    hint:
                        "write the header 'id,y_true,y_pred' (optionally ',score' or ',p_<label>' per class)")
            }
            return index
        }
        let idColumn = try column("id")
        let truthColumn = try column("y_true")
        let predictedColumn = try column("y_pred")
        let scoreColumn = header.firstIndex(of: "score")
        var probabilityColumns: [Int] = []
        var file = PredictionsFile()
        for (index, title) in header.enumerated()
        where ![idColumn, truthColumn, predictedColumn].contains(index) {
            if index == scoreColumn { continue }
            guard title.hasPrefix("p_"), title.count > 2 else {
                throw DataError(
                    .unknownColumn, "the predictions file has an unknown column '\(title)'",
                    location: "\(name):1:\(index + 1)",
                    hint: "columns are id, y_true, y_pred and optionally score or p_<label> per class")
            }
            probabilityColumns.append(index)
            file.probabilityLabels.append(String(title.dropFirst(2)))
        }
        if scoreColumn != nil && !probabilityColumns.isEmpty {
            throw DataError(
                .unknownColumn, "the predictions file has both 'score' and 'p_<label>' columns",
                location: "\(name):1", hint: "write either score (two classes) or one p_<label> per class")
        }
        var firstLine: [String: Int] = [:]
        func number(_ index: Int) throws -> Double {
            switch csv.cell(index) {
            case .number(let value): return value
            case .missing, .nonFinite:
                throw DataError(
                    .nonFinite, "'\(header[index])' is not a finite number",
                    location: csv.location(ofField: index),
                    hint: "every score and probability must be a finite number (no NaN, inf or empty cells)")
            case .text:
                throw DataError(
                    .notNumeric,
                    "'\(header[index])' is '\(csv.string(index).prefix(40))', not a finite number",
                    location: csv.location(ofField: index),
                    hint: "every score and probability must be a finite number between 0 and 1 (no NaN)")
            }
        }
        while try csv.next() {
            guard file.ids.count < rowLimit else {
                throw DataError(
                    .tooManyRows, "the predictions file has more than \(rowLimit) rows",
                    location: csv.location(ofField: 0), hint: "write predictions for the test rows only")
            }
            let id = csv.string(idColumn)
            if let earlier = firstLine[id] {
                throw DataError(
                    .repeatedID, "the id '\(id.prefix(60))' repeats (first on line \(earlier))",
                    location: csv.location(ofField: idColumn), hint: "every row needs its own id")
            }
            firstLine[id] = csv.line
            for index in [truthColumn, predictedColumn] {
                if case .missing = csv.cell(index) {
                    throw DataError(
                        .missingValue, "'\(header[index])' is empty or NaN",
                        location: csv.location(ofField: index),
                        hint: "every row needs y_true and y_pred")
                }
                if case .nonFinite = csv.cell(index) {
                    throw DataError(
                        .nonFinite, "'\(header[index])' is not finite",
                        location: csv.location(ofField: index),
                        hint: "every row needs a finite y_true and y_pred")
                }
            }
            file.ids.append(id)
            file.lines.append(csv.line)
            file.truth.append(csv.string(truthColumn))
            file.predicted.append(csv.string(predictedColumn))
            if let scoreColumn { file.scores.append(try number(scoreColumn)) }
            for index in probabilityColumns { file.probabilities.append(try number(index)) }
        }
        guard !file.ids.isEmpty else {
            throw DataError(
                .headerOnly, "the predictions file has no rows", location: name,
                hint: "write one row per test example")
        }
        return file
    }
}
