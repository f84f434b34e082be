import Foundation
import Learning
import Statistics

/// Turns a command stage's predictions files into per-example results for one metric: numbers for
/// regression metrics, class ids (labels sorted as scikit-learn sorts them) for classification,
/// and pairs the baseline's rows with the candidate's by id.
enum PredictionsJoin {
    static let regressionMetrics: Set = ["r2", "rmse", "mse", "mae"]
    static let classificationMetrics: Set = ["accuracy", "precision", "recall", "f1", "log_loss", "roc_auc"]

    /// The candidate's results, and the baseline's (paired when it has every candidate id with
    /// the same truth); nil when the metric has no per-example form. Throws a `DataError` (exit 2)
    /// naming the file and line of a value that cannot be used.
    static func results(
        metric: String, candidate: PredictionsFile, name: String, baseline: PredictionsFile?
    ) throws -> (ExampleResults, (ExampleResults, paired: Bool)?)? {
        var base = baseline
        var paired = false
        if let file = baseline {
            var row: [String: Int] = [:]
            for (index, id) in file.ids.enumerated() { row[id] = index }
            let order = candidate.ids.compactMap { row[$0] }
            if order.count == candidate.count {
                base = file.reordered(order)
                paired = true
            }
        }
        if regressionMetrics.contains(metric) {
            let results = try regression(candidate, name: name)
            let other = try base.map { try regression($0, name: "the baseline's predictions") }
            return (results, other.map { ($0, paired) })
        }
        guard classificationMetrics.contains(metric) else { return nil }
        var labels = Set(candidate.truth + candidate.predicted + candidate.probabilityLabels)
        if let base { labels.formUnion(base.truth + base.predicted + base.probabilityLabels) }
        let sorted = sortedLabels(labels)
        guard sorted.count >= 2, sorted.count <= 1000 else { return nil }
        let results = try classification(candidate, labels: sorted, name: name)
        let other = try base.map {
            try classification($0, labels: sorted, name: "the baseline's predictions")
        }
        return (results, other.map { ($0, paired) })
    }

    /// Numbers when every label is one, sorted by value; else text, sorted by code point.
    static func sortedLabels(_ labels: Set<String>) -> [String] {
        let numbers = labels.map { Double($0) }
        if numbers.allSatisfy({ $0?.isFinite == true }) {
            return labels.sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
        }
        return labels.sorted()
    }

    private static func regression(_ file: PredictionsFile, name: String) throws -> ExampleResults {
        func number(_ text: String, _ row: Int, _ column: String) throws -> Double {
            guard let value = Double(text), value.isFinite else {
                throw DataError(
                    .notNumeric,
                    "'\(column)' is \(text.isEmpty ? "empty" : "'\(text.prefix(40))'"), not a finite number",
                    location: "\(name):\(file.lines.indices.contains(row) ? file.lines[row] : row + 2)",
                    hint: "a regression metric needs numeric y_true and y_pred")
            }
            return value
        }
        let truth = try file.truth.enumerated().map { try number($1, $0, "y_true") }
        let predicted = try file.predicted.enumerated().map { try number($1, $0, "y_pred") }
        return ExampleResults(task: .regression, truth: truth, predicted: predicted)
    }

    private static func classification(_ file: PredictionsFile, labels: [String], name: String) throws
        -> ExampleResults
    {
        var index: [String: Int] = [:]
        for (k, label) in labels.enumerated() { index[label] = k }
        let truth = file.truth.map { Double(index[$0] ?? 0) }
        let predicted = file.predicted.map { Double(index[$0] ?? 0) }
        let classes = labels.count
        var probabilities: [Double] = []
        if !file.scores.isEmpty, classes == 2 {
            probabilities = file.scores.flatMap { [1 - $0, $0] }
        } else if !file.probabilityLabels.isEmpty {
            guard Set(file.probabilityLabels) == Set(labels) else {
                throw DataError(
                    .unknownColumn,
                    "the p_<label> columns (\(file.probabilityLabels.prefix(5).joined(separator: ", "))) are not the labels of y_true and y_pred (\(labels.prefix(5).joined(separator: ", ")))",
                    location: "\(name):1", hint: "write one p_<label> column per class")
            }
            let width = file.probabilityLabels.count
            probabilities = [Double](repeating: 0, count: file.count * classes)
            for row in 0..<file.count {
                for (column, label) in file.probabilityLabels.enumerated() {
                    probabilities[row * classes + (index[label] ?? 0)] =
                        file.probabilities[row * width + column]
                }
            }
        }
        return ExampleResults(
            task: .classification(classes: classes), truth: truth, predicted: predicted,
            probabilities: probabilities)
    }
}

extension PredictionsFile {
    /// The rows at `order`, in that order.
    func reordered(_ order: [Int]) -> PredictionsFile {
        var file = PredictionsFile()
        let width = probabilityLabels.count
        file.probabilityLabels = probabilityLabels
        for row in order {
            file.ids.append(ids[row])
            file.truth.append(truth[row])
            file.predicted.append(predicted[row])
            file.lines.append(lines.indices.contains(row) ? lines[row] : 0)
            if !scores.isEmpty { file.scores.append(scores[row]) }
            if width > 0 { file.probabilities += probabilities[(row * width)..<((row + 1) * width)] }
        }
        return file
    }
}
