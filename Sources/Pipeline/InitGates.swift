import Foundation

/// The trainer and gates `modelgate init` writes for a data set, as YAML text: the one place
/// that decides them, so both shapes (with and without `confidence:`) are tested side by side.
///
/// The trainer follows the target column: a few distinct whole numbers (0/1, 1–5) or any text
/// is a class label (logistic regression, gated on accuracy, f1 and roc_auc, the metrics it
/// records); anything else is a number to predict (linear regression, gated on r2). Baseline
/// gates carry a comment saying what the test set can detect: a drop smaller than the minimum
/// detectable drop is, for a set that size, indistinguishable from noise.
public enum InitGates {
    /// Whether baseline gates are written with `confidence: 0.95` (so that they fail only on a
    /// drop the test set can tell from noise).
    static let writesConfidence = true

    /// The confidence level written, and used for the detectable-drop comment.
    static let confidence = 0.95
    /// The power the detectable drop is computed for.
    static let power = 0.8
    /// The largest number of distinct whole numbers still read as class labels.
    static let maxIntegerClasses = 10

    /// What the target column holds.
    enum Task: Equatable {
        /// Class labels; `majorityShare` is the share of the most common one in the sample read.
        case classification(classes: Int, majorityShare: Double)
        /// Numbers to predict.
        case regression
    }

    /// The task a sample of the target column's cells suggests (missing cells left out): two or
    /// more labels, text or few whole numbers, are classification.
    static func task(ofTarget cells: [String]) -> Task {
        var counts: [String: Int] = [:]
        var isText = false
        var allWhole = true
        for cell in cells {
            let trimmed = cell.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || ["NA", "NaN", "nan", "null"].contains(trimmed) { continue }
            if let number = Double(trimmed), number.isFinite {
                if number != number.rounded() { allWhole = false }
            } else {
                isText = true
            }
            counts[trimmed, default: 0] += 1
        }
        let total = counts.values.reduce(0, +)
        // One value is no classification task (logistic regression needs two classes).
        guard counts.count >= 2, isText || (allWhole && counts.count <= maxIntegerClasses) else {
            return .regression
        }
        return .classification(
            classes: counts.count, majorityShare: Double(counts.values.max() ?? 0) / Double(total))
    }

    /// The `builtin:` line's trainer for `task`.
    static func trainer(for task: Task) -> String {
        task == .regression ? "linear-regression" : "logistic-regression"
    }

    /// The `gates:` entries (each line indented by two, ending in a newline) for `task` with about
    /// `testRows` test rows (nil when unknown); `withConfidence` adds `confidence: 0.95` to the
    /// baseline gates.
    static func gates(for task: Task, testRows: Int?, withConfidence: Bool = writesConfidence) -> String {
        let suffix = withConfidence ? ", confidence: \(confidence)" : ""
        switch task {
        case .regression:
            var text = "  - {metric: r2, min: 0.5}          # a threshold\n"
            if let testRows { text += "  # the test set has about \(testRows) rows\n" }
            text += "  - {metric: r2, max_drop: 0.02\(suffix)}    # no more than 0.02 below the baseline\n"
            return text
        case .classification(_, let majority):
            // Better than always answering the most common class, rounded up to a hundredth.
            let floor = min(0.99, (majority * 100).rounded(.up) / 100)
            var text =
                "  - {metric: accuracy, min: \(RunReport.format(floor))}    # better than always answering the most common class\n"
            text += detectionComment(testRows: testRows, withConfidence: withConfidence)
            for metric in ["accuracy", "f1", "roc_auc"] {
                text += "  - {metric: \(metric), max_drop: 0.02\(suffix)}\n"
            }
            return text
        }
    }

    /// The comment above the baseline gates: what a test set of `testRows` can tell apart.
    static func detectionComment(testRows: Int?, withConfidence: Bool) -> String {
        guard let testRows, testRows > 0 else { return "" }
        let worst = minimumDetectableDrop(accuracy: 0.5, testRows: testRows)
        let high = minimumDetectableDrop(accuracy: 0.9, testRows: testRows)
        let percent = Int((confidence * 100).rounded())
        var text =
            "  # about \(testRows) test rows: at \(percent) % confidence and 80 % power they detect an accuracy drop of\n"
            + "  # \(RunReport.format(rounded(worst))) (accuracy near 0.5) or \(RunReport.format(rounded(high))) (near 0.9); smaller drops are noise here\n"
        text +=
            withConfidence
            ? "  # with 'confidence', a baseline gate fails only when the data show a drop beyond its limit\n"
            : "  # size 'max_drop' accordingly, or add test rows\n"
        return text
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded(.up) / 1000 }

    /// The smallest true drop in accuracy from `accuracy` that a one-sided test at `confidence`
    /// detects with probability `power` on `testRows` rows, by the normal approximation for a
    /// difference of two proportions: (z₁₋α + z_power) · √(2 p (1 − p) / n).
    ///
    /// A paired comparison (both models on the same rows, as modelgate makes it) needs no more
    /// rows than this, so the figure is a safe statement of what the set can tell apart.
    static func minimumDetectableDrop(
        accuracy p: Double, testRows n: Int, confidence: Double = confidence, power: Double = power
    ) -> Double {
        guard n > 0, p > 0, p < 1 else { return .infinity }
        let z = normalQuantile(confidence) + normalQuantile(power)
        return z * (2 * p * (1 - p) / Double(n)).squareRoot()
    }

    /// The standard normal quantile of `probability` (0 < p < 1), by bisection on `erfc`:
    /// exact to 1e-12, which is all a comment's figure needs.
    static func normalQuantile(_ probability: Double) -> Double {
        var (low, high) = (-40.0, 40.0)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if 0.5 * erfc(-middle / 2.0.squareRoot()) < probability { low = middle } else { high = middle }
            if high - low < 1e-13 { break }
        }
        return (low + high) / 2
    }
}
