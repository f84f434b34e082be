/// Evaluation metrics computed the way scikit-learn computes them, under its names.
public enum Metrics {
    /// The names `regression` reports.
    public static let regressionNames = ["r2", "mse", "rmse", "mae"]
    /// The names `classification` reports (`roc_auc` only when the truth has two classes or more).
    public static let classificationNames = [
        "accuracy", "precision", "recall", "f1", "precision_weighted", "recall_weighted", "f1_weighted",
        "roc_auc", "log_loss",
    ]

    /// `mse`, `rmse`, `mae`, `r2` of `predictions` against `truth`.
    public static func regression(truth: [Double], predictions: [Double]) -> [String: Double] {
        var accumulator = RegressionAccumulator()
        for (y, prediction) in zip(truth, predictions) { accumulator.add(truth: y, prediction: prediction) }
        return accumulator.metrics
    }

    /// Classification metrics of predicted class ids against true ids (0..<classCount), with
    /// `probabilities` row-major n × classCount.
    ///
    /// Binary (two classes): `precision`, `recall`, `f1` are for the positive class, the second
    /// in scikit-learn's class order (`pos_label = classes_[1]`). More classes: they are macro
    /// averages (`average="macro"`). `*_weighted` are support-weighted averages either way.
    /// `roc_auc` is one-vs-rest macro for more than two classes (`multi_class="ovr"`); it is
    /// left out when the truth has a single class. `log_loss` clips to [ε, 1-ε] like sklearn.
    public static func classification(
        truth: [Int], predictions: [Int], probabilities: [Double], classCount: Int
    ) -> [String: Double] {
        let n = truth.count
        var confusion = [Int](repeating: 0, count: classCount * classCount)
        for (t, p) in zip(truth, predictions) { confusion[t * classCount + p] += 1 }
        var correct = 0
        for k in 0..<classCount { correct += confusion[k * classCount + k] }
        var metrics: [String: Double] = ["accuracy": Double(correct) / Double(n)]

        var precision = [Double](repeating: 0, count: classCount)
        var recall = [Double](repeating: 0, count: classCount)
        var f1 = [Double](repeating: 0, count: classCount)
        var support = [Int](repeating: 0, count: classCount)
        for k in 0..<classCount {
            let truePositives = confusion[k * classCount + k]
            var predicted = 0
            for t in 0..<classCount { predicted += confusion[t * classCount + k] }
            var actual = 0
            for p in 0..<classCount { actual += confusion[k * classCount + p] }
            support[k] = actual
            precision[k] = predicted == 0 ? 0 : Double(truePositives) / Double(predicted)
            recall[k] = actual == 0 ? 0 : Double(truePositives) / Double(actual)
            f1[k] = actual + predicted == 0 ? 0 : 2 * Double(truePositives) / Double(actual + predicted)
        }
        // sklearn averages over the labels present in the truth or the predictions.
        var present: [Int] = []
        for k in 0..<classCount {
            var predicted = 0
            for t in 0..<classCount { predicted += confusion[t * classCount + k] }
            if support[k] > 0 || predicted > 0 { present.append(k) }
        }
        if classCount == 2 {
            metrics["precision"] = precision[1]
            metrics["recall"] = recall[1]
            metrics["f1"] = f1[1]
        } else {
            let count = Double(present.count)
            metrics["precision"] = present.reduce(0) { $0 + precision[$1] } / count
            metrics["recall"] = present.reduce(0) { $0 + recall[$1] } / count
            metrics["f1"] = present.reduce(0) { $0 + f1[$1] } / count
        }
        let total = Double(support.reduce(0, +))
        metrics["precision_weighted"] =
            (0..<classCount).reduce(0) { $0 + precision[$1] * Double(support[$1]) } / total
        metrics["recall_weighted"] =
            (0..<classCount).reduce(0) { $0 + recall[$1] * Double(support[$1]) } / total
        metrics["f1_weighted"] = (0..<classCount).reduce(0) { $0 + f1[$1] * Double(support[$1]) } / total

        let epsilon = Double.ulpOfOne
        var loss = 0.0
        for i in 0..<n {
            let p = min(max(probabilities[i * classCount + truth[i]], epsilon), 1 - epsilon)
            loss -= log(p)
        }
        metrics["log_loss"] = loss / Double(n)

        if support.filter({ $0 > 0 }).count >= 2 {
            if classCount == 2 {
                let scores = (0..<n).map { probabilities[$0 * 2 + 1] }
                metrics["roc_auc"] = rocAUC(positive: truth.map { $0 == 1 }, scores: scores)
            } else {
                var sum = 0.0
                for k in 0..<classCount {
                    let scores = (0..<n).map { probabilities[$0 * classCount + k] }
                    sum += rocAUC(positive: truth.map { $0 == k }, scores: scores)
                }
                metrics["roc_auc"] = sum / Double(classCount)
            }
        }
        return metrics
    }

    /// Counts of (truth, prediction) pairs.
    static func confusionMatrix(truth: [Int], predictions: [Int], labels: [String]) -> ConfusionMatrix {
        var counts = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predictions) { counts[t][p] += 1 }
        return ConfusionMatrix(labels: labels, counts: counts)
    }

    /// Area under the ROC curve: the Mann–Whitney statistic, tied scores counting one half.
    /// NaN when all rows are one class.
    public static func rocAUC(positive: [Bool], scores: [Double]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var positives = 0.0
        var start = 0
        while start < order.count {
            var stop = start
            while stop + 1 < order.count && scores[order[stop + 1]] == scores[order[start]] { stop += 1 }
            let averageRank = Double(start + stop) / 2 + 1
            for index in start...stop where positive[order[index]] {
                rankSum += averageRank
                positives += 1
            }
            start = stop + 1
        }
        let negatives = Double(order.count) - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Mean silhouette coefficient of `points` (row-major n × width) under `labels`, Euclidean.
    /// A point alone in its cluster scores 0, as in scikit-learn.
    public static func silhouette(
        points: [Double], width: Int, labels: [Int], clusterCount: Int, threads: Int = 1
    ) -> Double {
        let n = labels.count
        var sizes = [Int](repeating: 0, count: clusterCount)
        for label in labels { sizes[label] += 1 }
        // Each point's score on its own slot, on up to `threads` threads; added below in point
        // order, so the mean is the same bits as the serial loop's on any thread count.
        var scores = [Double](repeating: 0, count: n)
        points.withUnsafeBufferPointer { x in
            scores.withUnsafeMutableBufferPointer { out in
                guard let base = x.baseAddress, let score = out.baseAddress else { return }
                IndexRanges.forEach(count: n, threads: threads) { range in
                    // The O(n²) loop reads through pointers, without a bounds or uniqueness check per
                    // pair: every label already indexed `sizes` above, so it is below `clusterCount`.
                    let sums = UnsafeMutablePointer<Double>.allocate(capacity: max(clusterCount, 1))
                    defer { sums.deallocate() }
                    labels.withUnsafeBufferPointer { labelBuffer in
                        let label = labelBuffer.baseAddress!
                        for i in range {
                            let own = label[i]
                            guard sizes[own] > 1 else { continue }
                            sums.initialize(repeating: 0, count: clusterCount)
                            let rowI = base + i * width
                            for j in 0..<n where j != i {
                                let rowJ = base + j * width
                                var squared = 0.0
                                for f in 0..<width {
                                    let difference = rowI[f] - rowJ[f]
                                    squared += difference * difference
                                }
                                sums[label[j]] += squared.squareRoot()
                            }
                            let a = sums[own] / Double(sizes[own] - 1)
                            var b = Double.infinity
                            for k in 0..<clusterCount where k != own && sizes[k] > 0 {
                                b = min(b, sums[k] / Double(sizes[k]))
                            }
                            score[i] = (b - a) / max(a, b)
                        }
                    }
                }
            }
        }
        var total = 0.0
        for i in 0..<n where sizes[labels[i]] > 1 { total += scores[i] }
        return total / Double(n)
    }
}

/// Streaming regression metrics: one row at a time, constant memory.
struct RegressionAccumulator {
    private(set) var count = 0
    private var squaredError = 0.0
    private var absoluteError = 0.0
    private var mean = 0.0
    private var squaredDeviation = 0.0

    @inline(__always)
    mutating func add(truth: Double, prediction: Double) {
        count += 1
        let error = truth - prediction
        squaredError += error * error
        absoluteError += abs(error)
        let delta = truth - mean
        mean += delta / Double(count)
        squaredDeviation += delta * (truth - mean)
    }

    /// `mse`, `rmse`, `mae`, `r2` (r2 is 1 for a perfect fit of constant truth, else 0, as sklearn).
    var metrics: [String: Double] {
        let n = Double(count)
        let mse = squaredError / n
        let r2: Double
        if squaredDeviation == 0 {
            r2 = squaredError == 0 ? 1 : 0
        } else {
            r2 = 1 - squaredError / squaredDeviation
        }
        return ["mse": mse, "rmse": mse.squareRoot(), "mae": absoluteError / n, "r2": r2]
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
