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

/// One row's prediction.
public struct PredictedRow: Sendable, Equatable {
    /// The physical line of the input row (1-based).
    public var line: Int
    /// Regression: the predicted value. K-means: the cluster index. Logistic: the class index.
    /// Nil when the row was left out for a missing value.
    public var value: Double?
    /// Logistic regression: the predicted class label.
    public var label: String?
    /// Logistic regression: one probability per class, in `classes` order.
    public var probabilities: [Double]
}

/// Streaming predictions: rows in, predictions out, memory independent of the file size.
public enum Prediction {
    /// Calls `body` with the prediction of every data row of `csv`, in order; returns the row count.
    @discardableResult
    public static func stream(
        model: ModelFile, csv: CSVReader, missing: MissingValuePolicy = .error,
        progress: ProgressReporter? = nil,
        _ body: (PredictedRow) throws -> Void
    ) throws -> Int {
        let meter = ProgressMeter(progress)
        defer { meter.finish() }
        let table = try TableReader(
            csv: csv, target: nil, targetKind: .none, features: model.features, policy: missing)
        let predictor = Predictor(model)
        var x = [Double](repeating: 0, count: predictor.width)
        var probabilities = [Double](repeating: 0, count: max(predictor.outputs, 2))
        let classes = model.classes ?? []
        var rows = 0
        while true {
            let status = try x.withUnsafeMutableBufferPointer { try table.nextRow(into: $0.baseAddress!) }
            if case .end = status { break }
            rows += 1
            if rows & 4095 == 0 { meter.update("predicting \(csv.name)", csv: csv, rows: rows) }
            var row = PredictedRow(line: csv.line, value: nil, label: nil, probabilities: [])
            let kept = x.withUnsafeMutableBufferPointer { buffer -> Bool in
                guard case .row = status else { return false }
                predictor.standardize(buffer.baseAddress!)
                switch model.kind {
                case LinearRegressionTrainer.kind:
                    row.value = predictor.regress(buffer.baseAddress!)
                case LogisticRegressionTrainer.kind:
                    let best = probabilities.withUnsafeMutableBufferPointer {
                        predictor.classify(buffer.baseAddress!, probabilities: $0.baseAddress!)
                    }
                    row.value = Double(best)
                    row.label = classes[best]
                    row.probabilities = Array(probabilities[0..<classes.count])
                default:
                    row.value = Double(predictor.nearestCentre(buffer.baseAddress!).0)
                }
                return true
            }
            _ = kept
            try body(row)
        }
        return rows
    }

    /// Writes predictions for `input` as CSV to `output` (atomically) or to standard output when nil.
    ///
    /// Columns: `prediction` (regression), `prediction,probability_<class>…` (logistic), `cluster`
    /// (k-means). A row left out for a missing value gets empty fields, so output lines match input rows.
    @discardableResult
    public static func writeCSV(
        model: ModelFile, input: URL, inputName: String, output: URL?, missing: MissingValuePolicy = .error,
        progress: ProgressReporter? = nil
    ) throws -> Int {
        let csv = try CSVReader(url: input, name: inputName)
        let writer = try BufferedWriter(destination: output)
        var header: [String]
        switch model.kind {
        case LinearRegressionTrainer.kind: header = ["prediction"]
        case LogisticRegressionTrainer.kind:
            header = ["prediction"] + (model.classes ?? []).map { "probability_\($0)" }
        default: header = ["cluster"]
        }
        writer.append(header.map(csvEscaped).joined(separator: ",") + "\n")
        let escapedClasses = (model.classes ?? []).map(csvEscaped)
        let emptyRow = String(repeating: ",", count: header.count - 1) + "\n"
        do {
            let count = try stream(model: model, csv: csv, missing: missing, progress: progress) { row in
                guard let value = row.value else {
                    writer.append(emptyRow)
                    return
                }
                switch model.kind {
                case LinearRegressionTrainer.kind:
                    writer.append("\(value)\n")
                case LogisticRegressionTrainer.kind:
                    var line = escapedClasses[Int(value)]
                    for probability in row.probabilities { line += ",\(probability)" }
                    writer.append(line + "\n")
                default:
                    writer.append("\(Int(value))\n")
                }
            }
            try writer.commit()
            return count
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Quotes a field when it holds a comma, quote or newline (RFC 4180).
    static func csvEscaped(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return field
        }
        return "\"" + String(field.unicodeScalars.replacing(["\""], with: ["\"", "\""])) + "\""
    }
}

/// Buffered output to a temporary file renamed into place on commit, or to standard output.
final class BufferedWriter {
    private let destination: URL?
    private let temporary: URL?
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(destination: URL?) throws {
        self.destination = destination
        if let destination {
            let temporary = destination.deletingLastPathComponent()
                .appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).tmp")
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw DataError(
                    .readFailed, "cannot write '\(destination.path)': \(String(cString: strerror(errno)))",
                    location: destination.path, exitStatus: .failure)
            }
            self.temporary = temporary
            descriptor = fd
        } else {
            temporary = nil
            descriptor = STDOUT_FILENO
        }
        buffer.reserveCapacity(1 << 16)
    }

    func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    private var failed: Int32 = 0

    private func flush() {
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = errno
                    return
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and renames the temporary file into place.
    func commit() throws {
        flush()
        guard let destination, let temporary else {
            if failed != 0 { throw writeError("standard output") }
            return
        }
        if failed != 0 || fsync(descriptor) != 0 {
            if failed == 0 { failed = errno }
            abandon()
            throw writeError(destination.path)
        }
        close(descriptor)
        guard rename(temporary.path, destination.path) == 0 else {
            failed = errno
            unlink(temporary.path)
            throw writeError(destination.path)
        }
    }

    /// Drops the temporary file.
    func abandon() {
        guard let temporary else { return }
        close(descriptor)
        unlink(temporary.path)
    }

    private func writeError(_ path: String) -> DataError {
        DataError(
            .readFailed, "cannot write '\(path)': \(String(cString: strerror(failed)))", location: path,
            exitStatus: .failure)
    }
}
