#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What to do with a missing cell (`""`, `NA`, `NaN`) in a column the model uses.
public enum MissingValuePolicy: String, Sendable, Equatable, Codable {
    /// Stop with an error naming the cell (the default).
    case error
    /// Leave the row out, and count it.
    case dropRow = "drop-row"
}

/// How the target column is read.
package enum TargetKind {
    /// No target column (data checks, clustering).
    case none
    /// A number (regression).
    case numeric
    /// A class label, text or number (classification).
    case label
}

/// Class labels as written in the data, interned to small integers in first-seen order.
///
/// At most `maxClasses` labels are read (`TableReader` refuses the next one with a
/// `DataError.tooManyClasses`): classification here is for a few classes, a target column with
/// thousands of distinct values is an id or a number by mistake, and what is kept per class grows
/// as its square (the confusion matrix, 1,000 classes: 8 MB; the softmax Newton step, bounded by
/// `LogisticRegressionTrainer.maxParameters`). ImageNet, the usual large benchmark, has 1,000.
package struct LabelTable {
    /// The most classes a table holds.
    static let maxClasses = 1_000
    /// Up to this many labels, a row's label is found by comparing bytes (no allocation);
    /// beyond it, by hashing, so a row costs the same however many classes there are.
    private static let scanned = 16

    private(set) var labels: [[UInt8]] = []
    private var index: [[UInt8]: Int] = [:]

    /// The id of `bytes`, adding it when new.
    @inline(__always)
    mutating func id(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if labels.count <= Self.scanned {
            labelLoop: for (id, label) in labels.enumerated() where label.count == bytes.count {
                for offset in 0..<label.count where label[offset] != bytes[offset] { continue labelLoop }
                return id
            }
        }
        let key = Array(bytes)
        if labels.count > Self.scanned, let id = index[key] { return id }
        labels.append(key)
        index[key] = labels.count - 1
        return labels.count - 1
    }

    /// The error for a target column with more than `maxClasses` classes.
    static func tooManyClasses(column: String, location: String) -> DataError {
        DataError(
            .tooManyClasses,
            "the target column '\(column)' has more than \(maxClasses) classes; at most \(maxClasses) are read",
            location: location,
            hint:
                "classification is for a few classes: if '\(column)' is a number to predict, use 'builtin: linear-regression'; if it is an id, choose another target"
        )
    }

    /// The existing id of `bytes`, or nil.
    func existingID(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        index[Array(bytes)]
    }

    /// Labels as text.
    var names: [String] { labels.map { String(decoding: $0, as: UTF8.self) } }

    /// Ids in scikit-learn's order (`np.unique`): numeric order when every label is a number,
    /// else code-point order. Returns the sorted names and old id -> new id.
    package func sorted() -> (names: [String], newID: [Int]) {
        let names = self.names
        let numbers = labels.map { label -> Double? in
            label.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return nil }
                if case .number(let value) = NumberParser.cell(base, buffer.count) { return value }
                return nil
            }
        }
        let order: [Int]
        if numbers.allSatisfy({ $0 != nil }) {
            order = names.indices.sorted { numbers[$0]! < numbers[$1]! }
        } else {
            order = names.indices.sorted { labels[$0].lexicographicallyPrecedes(labels[$1]) }
        }
        var newID = [Int](repeating: 0, count: names.count)
        for (position, old) in order.enumerated() { newID[old] = position }
        return (order.map { names[$0] }, newID)
    }
}

/// Reads rows of a CSV file as numbers for the chosen feature columns and target.
///
/// Resolves column names against the header, infers which columns are numeric from the first
/// data row, and reports every bad cell with `file:line:column`, its column and what was expected.
package final class TableReader {
    let csv: CSVReader
    let featureNames: [String]
    /// Header indices of the feature columns, in feature order.
    package let featureColumns: [Int]
    let targetName: String?
    let targetColumn: Int?
    let targetKind: TargetKind
    let policy: MissingValuePolicy
    /// Data records read so far (dropped rows included).
    private(set) var recordsRead = 0
    /// Rows left out because of a missing value.
    private(set) var droppedRows = 0
    /// The class labels seen so far (label targets).
    package var labels = LabelTable()
    private var pending = false
    /// When set, a label not in this table is an error (test data against training classes).
    var knownLabelCount: Int?
    /// Header column -> slot in `scratch` (features, then a numeric target), or -1.
    private var slots: UnsafeMutablePointer<Int>
    private var scratch: UnsafeMutablePointer<Double>

    /// What `nextRow` found.
    package enum RowStatus {
        /// A usable row; its target (a label id as a Double for label targets, 0 without one).
        case row(target: Double)
        /// Left out for a missing value (policy drop-row).
        case dropped
        /// No more records.
        case end
    }

    /// Opens `csv` and resolves `target` and `features` (nil = all other numeric columns).
    package init(
        csv: CSVReader, target: String?, targetKind: TargetKind, features: [String]?,
        policy: MissingValuePolicy, allowEmpty: Bool = false
    ) throws {
        self.csv = csv
        self.policy = policy
        self.targetKind = target == nil ? .none : targetKind
        let header = csv.header
        let columnList = header.map { "'\($0)'" }.joined(separator: ", ")
        let headerLocation = "\(csv.name):1:1"
        if let target {
            guard let column = header.firstIndex(of: target) else {
                throw DataError(
                    .missingColumn, "target column '\(target)' is not in '\(csv.name)'",
                    location: headerLocation,
                    hint: "the header has \(columnList); set 'target' to one of them")
            }
            targetColumn = column
        } else {
            targetColumn = nil
        }
        targetName = target
        guard try csv.next() else {
            if allowEmpty {
                featureColumns = []
                featureNames = []
                slots = .allocate(capacity: 1)
                scratch = .allocate(capacity: 1)
                return
            }
            throw DataError(
                .headerOnly, "'\(csv.name)' has a header but no data rows; expected at least one row",
                location: "\(csv.name):2:1", hint: "add data rows below the header")
        }
        pending = true
        if let features {
            var columns: [Int] = []
            for feature in features {
                guard let column = header.firstIndex(of: feature) else {
                    throw DataError(
                        .missingColumn, "feature column '\(feature)' is not in '\(csv.name)'",
                        location: headerLocation, hint: "the header has \(columnList)")
                }
                if column == self.targetColumn {
                    throw DataError(
                        .badOption, "column '\(feature)' is both the target and a feature",
                        location: headerLocation, hint: "remove it from 'features'")
                }
                columns.append(column)
            }
            featureColumns = columns
        } else {
            let excluded = targetColumn
            featureColumns = header.indices.filter { column in
                guard column != excluded else { return false }
                switch csv.cell(column) {
                case .number, .missing, .nonFinite: return true
                case .text: return false
                }
            }
        }
        featureNames = featureColumns.map { header[$0] }
        slots = .allocate(capacity: max(header.count, 1))
        slots.initialize(repeating: -1, count: max(header.count, 1))
        scratch = .allocate(capacity: featureColumns.count + 1)
        for (slot, column) in featureColumns.enumerated() { slots[column] = slot }
        if let targetColumn, self.targetKind == .numeric { slots[targetColumn] = featureColumns.count }
        guard !featureColumns.isEmpty else {
            throw DataError(
                .noFeatures, "'\(csv.name)' has no numeric feature columns",
                location: "\(csv.name):2:1",
                hint:
                    "the header has \(columnList); built-in trainers need numeric columns besides the target")
        }
    }

    deinit {
        slots.deallocate()
        scratch.deallocate()
    }

    /// Reads the next record, parsing numbers in the same pass as splitting fields when the
    /// record is plain; writes features into `features`.
    @inline(__always)
    package func nextRow(into features: UnsafeMutablePointer<Double>) throws -> RowStatus {
        if !pending, case .parsed(let complete) = csv.nextNumericRow(slots: slots, into: scratch) {
            recordsRead += 1
            if complete {
                let count = featureColumns.count
                features.update(from: scratch, count: count)
                switch targetKind {
                case .none: return .row(target: 0)
                case .numeric: return .row(target: scratch[count])
                case .label:
                    guard let id = try labelID() else { return .dropped }
                    return .row(target: Double(id))
                }
            }
            guard let target = try readCurrent(into: features) else { return .dropped }
            return .row(target: target)
        }
        guard try advance() else { return .end }
        guard let target = try readCurrent(into: features) else { return .dropped }
        return .row(target: target)
    }

    /// The next usable row: writes its features into `features` and returns the target
    /// (a number, or a label id as a Double; 0 without a target). Nil at the end of the data.
    @inline(__always)
    func next(into features: UnsafeMutablePointer<Double>) throws -> Double? {
        while try advance() {
            if let target = try readCurrent(into: features) { return target }
        }
        return nil
    }

    /// Moves to the next data record without parsing it; false at the end.
    @inline(__always)
    func advance() throws -> Bool {
        if pending {
            pending = false
        } else if try !csv.next() {
            return false
        }
        recordsRead += 1
        return true
    }

    /// Parses the current record; nil when it is dropped for a missing value.
    @inline(__always)
    func readCurrent(into features: UnsafeMutablePointer<Double>) throws -> Double? {
        for (slot, column) in featureColumns.enumerated() {
            switch csv.cell(column) {
            case .number(let value): features[slot] = value
            case .missing:
                if policy == .dropRow {
                    droppedRows += 1
                    return nil
                }
                throw missingError(column)
            case .text: throw textError(column, expected: "a number")
            case .nonFinite: throw nonFiniteError(column)
            }
        }
        guard let targetColumn else { return 0 }
        switch targetKind {
        case .none: return 0
        case .numeric:
            switch csv.cell(targetColumn) {
            case .number(let value): return value
            case .missing:
                if policy == .dropRow {
                    droppedRows += 1
                    return nil
                }
                throw missingError(targetColumn)
            case .text: throw textError(targetColumn, expected: "a number (regression target)")
            case .nonFinite: throw nonFiniteError(targetColumn)
            }
        case .label:
            guard let id = try labelID() else { return nil }
            return Double(id)
        }
    }

    /// The current record's class label id; nil when dropped for a missing value.
    @inline(__always)
    private func labelID() throws -> Int? {
        guard let targetColumn else { return 0 }
        let id = try csv.withField(targetColumn) { bytes -> Int? in
            if bytes.isEmpty || NumberParser.isMissing(bytes.baseAddress!, bytes.count) { return nil }
            let id = labels.id(of: bytes)
            if id >= LabelTable.maxClasses {
                throw LabelTable.tooManyClasses(
                    column: csv.header[targetColumn], location: csv.location(ofField: targetColumn))
            }
            if let known = knownLabelCount, id >= known {
                throw DataError(
                    .modelMismatch,
                    "class '\(String(decoding: bytes, as: UTF8.self))' in column '\(csv.header[targetColumn])' never appears in the training data",
                    location: csv.location(ofField: targetColumn),
                    hint: "test data may only use classes the model was trained on")
            }
            return id
        }
        guard let id else {
            if policy == .dropRow {
                droppedRows += 1
                return nil
            }
            throw missingError(targetColumn)
        }
        return id
    }

    private func cellText(_ column: Int) -> String {
        let text = csv.string(column)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    private func missingError(_ column: Int) -> DataError {
        DataError(
            .missingValue,
            "missing value ('\(cellText(column))') in column '\(csv.header[column])'; expected a number",
            location: csv.location(ofField: column),
            hint: "fill in the value, or set 'missing: drop-row' to leave such rows out")
    }

    private func textError(_ column: Int, expected: String) -> DataError {
        DataError(
            .notNumeric,
            "text '\(cellText(column))' in numeric column '\(csv.header[column])'; expected \(expected)",
            location: csv.location(ofField: column),
            hint: "fix the cell, or list only numeric columns in 'features'")
    }

    private func nonFiniteError(_ column: Int) -> DataError {
        DataError(
            .nonFinite,
            "non-finite value '\(cellText(column))' in column '\(csv.header[column])'; expected a finite number",
            location: csv.location(ofField: column), hint: "replace infinities with finite values")
    }
}

/// A seeded, deterministic train/test assignment decided from each record's content while
/// streaming: a row stays on its side when other rows are added, removed or reordered, and
/// identical rows go to the same side (no leakage of duplicates into the test part).
struct SplitRule {
    let fraction: Double
    let seed: UInt64

    /// True when the current record of `csv` belongs to the test part.
    @inline(__always)
    func isTest(_ csv: CSVReader) -> Bool {
        Double(csv.recordHash(seed: seed) >> 11) * 0x1p-53 < fraction
    }
}
