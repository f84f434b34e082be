import Foundation

/// How a metric is a function of per-example column sums, so that it can be bootstrapped by
/// resampling rows of a `SumTable`. Each metric computes exactly what `Learning.Metrics` (and
/// scikit-learn) compute on the same rows.
struct MetricColumns: Sendable {
    /// Columns per example.
    let width: Int
    /// How many leading columns depend on the truth alone (shared by paired models, kept once).
    var shared = 0
    /// Fills one example's columns.
    let row: @Sendable (ExampleResults, Int, inout [Double]) -> Void
    /// The metric from column sums over n examples.
    let value: @Sendable ([Double], Double) -> Double

    /// The largest number of classes whose confusion columns are resampled.
    static let classLimit = 32

    /// The columns of `metric` for results of `task`, nil when the metric is not a function of
    /// per-example sums (roc_auc, silhouette) or not defined for the task.
    static func make(metric: String, task: ExampleResults.Task) -> MetricColumns? {
        switch (metric, task) {
        case ("mse", .regression):
            return MetricColumns(
                width: 1, row: { r, i, c in c[0] = square(r.truth[i] - r.predicted[i]) },
                value: { s, n in s[0] / n })
        case ("rmse", .regression):
            return MetricColumns(
                width: 1, row: { r, i, c in c[0] = square(r.truth[i] - r.predicted[i]) },
                value: { s, n in (s[0] / n).squareRoot() })
        case ("mae", .regression):
            return MetricColumns(
                width: 1, row: { r, i, c in c[0] = abs(r.truth[i] - r.predicted[i]) },
                value: { s, n in s[0] / n })
        case ("r2", .regression):
            // 1 − SSE/SST with SST = Σy² − (Σy)²/n: three sums, the first two shared when paired.
            var columns = MetricColumns(
                width: 3,
                row: { r, i, c in
                    c[0] = r.truth[i]
                    c[1] = square(r.truth[i])
                    c[2] = square(r.truth[i] - r.predicted[i])
                },
                value: { s, n in
                    let total = s[1] - s[0] * s[0] / n
                    return total > 0 ? 1 - s[2] / total : .nan
                })
            columns.shared = 2
            return columns
        case ("accuracy", .classification):
            return MetricColumns(
                width: 1, row: { r, i, c in c[0] = r.truth[i] == r.predicted[i] ? 1 : 0 },
                value: { s, n in s[0] / n })
        case ("log_loss", .classification(let classes)):
            return MetricColumns(
                width: 1,
                row: { r, i, c in
                    let k = Int(r.truth[i])
                    let p = r.probabilities.isEmpty ? 0 : r.probabilities[i * classes + k]
                    let epsilon = Double.ulpOfOne
                    c[0] = -log(min(max(p, epsilon), 1 - epsilon))
                },
                value: { s, n in s[0] / n })
        case ("precision", .classification(let classes)), ("recall", .classification(let classes)),
            ("f1", .classification(let classes)):
            guard classes >= 2, classes <= classLimit else { return nil }
            return confusionColumns(metric: metric, classes: classes)
        case ("inertia", .clustering):
            return MetricColumns(width: 1, row: { r, i, c in c[0] = r.losses[i] }, value: { s, _ in s[0] })
        default:
            return nil
        }
    }

    /// Per class k: true positive, predicted k, actually k. Binary metrics are the positive
    /// class's (the second); more classes give the macro average over classes present in the
    /// truth or the predictions, as scikit-learn.
    private static func confusionColumns(metric: String, classes: Int) -> MetricColumns {
        MetricColumns(
            width: 3 * classes,
            row: { r, i, c in
                for k in 0..<(3 * classes) { c[k] = 0 }
                let t = Int(r.truth[i])
                let p = Int(r.predicted[i])
                if t == p { c[3 * t] = 1 }
                c[3 * p + 1] = 1
                c[3 * t + 2] = 1
            },
            value: { s, _ in
                func score(_ k: Int) -> Double {
                    let tp = s[3 * k]
                    let predicted = s[3 * k + 1]
                    let actual = s[3 * k + 2]
                    switch metric {
                    case "precision": return predicted == 0 ? 0 : tp / predicted
                    case "recall": return actual == 0 ? 0 : tp / actual
                    default: return actual + predicted == 0 ? 0 : 2 * tp / (actual + predicted)
                    }
                }
                if classes == 2 { return score(1) }
                var total = 0.0
                var present = 0
                for k in 0..<classes where s[3 * k + 1] > 0 || s[3 * k + 2] > 0 {
                    total += score(k)
                    present += 1
                }
                return present == 0 ? .nan : total / Double(present)
            })
    }

    /// The table of `results` (and, when paired, `other`'s unshared columns beside them); nil
    /// when a value is out of range (a class id outside 0..<classes, a non-finite number).
    func table(_ results: ExampleResults, paired other: ExampleResults? = nil) -> SumTable? {
        guard MetricColumns.valid(results), other.map(MetricColumns.valid) ?? true else { return nil }
        let total = other == nil ? width : 2 * width - shared
        var values = [Double](repeating: 0, count: results.count * total)
        var columns = [Double](repeating: 0, count: width)
        for i in 0..<results.count {
            row(results, i, &columns)
            for c in 0..<width { values[i * total + c] = columns[c] }
            if let other {
                row(other, i, &columns)
                for c in shared..<width { values[i * total + width + c - shared] = columns[c] }
            }
        }
        return SumTable(width: total, values: values)
    }

    /// The baseline's sums out of a paired table's sums.
    func baselineSums(_ sums: [Double]) -> [Double] {
        Array(sums[..<shared]) + Array(sums[width...])
    }

    /// Whether every class id is an integer in range and the probability table has the right size.
    static func valid(_ results: ExampleResults) -> Bool {
        guard case .classification(let classes) = results.task else { return true }
        let inRange = { (v: Double) in v >= 0 && v < Double(classes) && v == v.rounded() }
        return results.truth.allSatisfy(inRange) && results.predicted.allSatisfy(inRange)
            && results.predicted.count == results.truth.count
            && (results.probabilities.isEmpty || results.probabilities.count == results.count * classes)
    }
}

private func square(_ x: Double) -> Double { x * x }
