import Diagnostics
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `linear-regression`: ordinary least squares, or ridge when `alpha` > 0, fitted from sufficient
/// statistics gathered in one streaming pass, so memory does not grow with the file.
///
/// Matches scikit-learn's `LinearRegression` (alpha = 0) and `Ridge(alpha)`, with
/// `standardize: true` matching `make_pipeline(StandardScaler(), …)`.
public struct LinearRegressionTrainer: Trainer {
    /// The `builtin:` name in modelgate.yml.
    public static let kind = "linear-regression"
    /// The metrics its runs record.
    public static let metricNames = Metrics.regressionNames
    static let optionNames = ["alpha", "fit_intercept", "standardize"]

    /// L2 penalty; 0 is ordinary least squares.
    public var alpha: Double
    /// `fit_intercept`: whether to fit an intercept.
    public var fitIntercept: Bool
    /// Standardise features before fitting (stored in the model).
    public var standardize: Bool
    let options: [String: TrainerOption]
    /// Threads reading chunks of a large file at once; nil means `Parallelism.threads()`.
    /// Results do not depend on it.
    var threads: Int?
    /// Bytes per chunk when reading a large file (chunks depend on this and the data only).
    var chunkBytes = ParallelRanges.defaultChunkBytes
    /// Memory for held-out rows of a split before falling back to a second pass.
    var heldOutBudgetBytes = 34 << 20

    /// A trainer configured from scikit-learn-named options.
    public init(options: [String: TrainerOption] = [:]) throws {
        let reader = try OptionReader(kind: Self.kind, options: options, accepted: Self.optionNames)
        alpha = try reader.number(
            "alpha", default: 0, where: { $0 >= 0 && $0.isFinite }, expected: "a number ≥ 0")
        fitIntercept = try reader.bool("fit_intercept", default: true)
        standardize = try reader.bool("standardize", default: false)
        self.options = options
    }

    /// Reads the data, fits, and evaluates on the test rows.
    public func train(_ request: TrainingRequest, progress: ProgressReporter?) throws -> TrainingOutcome {
        let target = try request.requiredTarget(for: Self.kind)
        let threads = try self.threads ?? Parallelism.threads()
        let meter = ProgressMeter(progress)
        defer { meter.finish() }
        let csv = try CSVReader(url: request.data, name: request.dataName)
        let table = try TableReader(
            csv: csv, target: target, targetKind: .numeric, features: request.features,
            policy: request.missing)
        let width = table.featureColumns.count + 1
        let split: SplitRule? =
            if case .split(let fraction, let seed) = request.test {
                SplitRule(fraction: fraction, seed: seed)
            } else { nil }
        // Test rows of a split are kept (up to a budget, so memory stays bounded) and scored
        // once the model is known; past the budget a second streaming pass scores them instead.
        let budget = HeldOutBudget(rows: heldOutBudgetBytes / (8 * width))
        let ranges =
            try ParallelRanges.read(
                request: request, csv: csv, table: table, threads: threads, meter: meter,
                chunkBytes: chunkBytes,
                pass: { table, csv, meter, _ in
                    try Self.pass(table: table, csv: csv, split: split, budget: budget, meter: meter)
                })
        var moments = Moments(width: width)
        for range in ranges { moments.merge(range.moments) }
        // Decided on the total, which no thread schedule changes (see `HeldOutBudget`).
        let heldOutOverflowed = ranges.reduce(0) { $0 + $1.heldOutRows } > budget.rows
        let records = ranges.reduce(0) { $0 + $1.records }
        let dropped = ranges.reduce(0) { $0 + $1.dropped }
        guard moments.count > 0 else {
            throw DataError(
                .emptyTrainingSet,
                "no training rows left in '\(csv.name)' after the test split and dropped rows",
                location: csv.name, hint: "add rows, or lower the test fraction")
        }
        meter.report("fitting", rows: records)
        let fit = try Self.solve(
            moments: moments, featureNames: table.featureNames, alpha: alpha, fitIntercept: fitIntercept,
            standardize: standardize)

        var model = ModelFile(
            formatVersion: ModelFile.currentFormatVersion, kind: Self.kind, features: table.featureNames,
            target: target, coefficients: [fit.coefficients], intercept: [fit.intercept], classes: nil,
            preprocessing: fit.preprocessing, quantization: nil, options: options, metrics: [:],
            trainingRows: moments.count, testRows: 0, dataBlobs: nil, tool: "modelgate \(Tool.version)")

        let evaluation: Evaluation.Result
        if split != nil && !heldOutOverflowed {
            guard ranges.contains(where: { $0.heldOut.count > 0 }) else {
                throw Evaluation.emptyTest(request: request)
            }
            evaluation = Evaluation.regression(model: model, rows: ranges.map(\.heldOut))
        } else {
            evaluation = try Evaluation.regression(model: model, request: request, split: split, meter: meter)
        }
        model.metrics = evaluation.metrics
        model.testRows = evaluation.rows
        return TrainingOutcome(
            model: model, metrics: evaluation.metrics, trainingRows: moments.count, testRows: evaluation.rows,
            droppedRows: dropped + (split == nil || heldOutOverflowed ? evaluation.droppedRows : 0),
            confusionMatrix: nil,
            convergence: nil,
            warnings: fit.warnings)
    }

    /// What one reading pass over (a range of) the data gathered.
    final class RangeResult: @unchecked Sendable {
        var moments: Moments
        let heldOut: DenseRows
        /// Held-out rows seen, kept or not.
        var heldOutRows = 0
        var records = 0
        var dropped = 0

        init(width: Int) {
            moments = Moments(width: width)
            heldOut = DenseRows(width: width)
        }
    }

    /// Reads rows of `table` to its end: training rows into moments, held-out rows kept.
    static func pass(
        table: TableReader, csv: CSVReader, split: SplitRule?, budget: HeldOutBudget, meter: ProgressMeter?
    ) throws -> RangeResult {
        let featureCount = table.featureColumns.count
        let width = featureCount + 1
        let result = RangeResult(width: width)
        let batchRows = 1024
        var batch = [Double](repeating: 0, count: batchRows * width)
        var filled = 0
        try batch.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            rowLoop: while true {
                let row = base + filled * width
                switch try table.nextRow(into: row) {
                case .end: break rowLoop
                case .dropped: continue rowLoop
                case .row(let y):
                    row[featureCount] = y
                    if let split, split.isTest(csv) {
                        result.heldOutRows += 1
                        if budget.take() {
                            result.heldOut.appendSlot().update(from: row, count: width)
                        } else if result.heldOut.count > 0 {
                            result.heldOut.removeAll()
                        }
                        continue rowLoop
                    }
                    filled += 1
                    if filled == batchRows {
                        result.moments.add(base, rows: filled)
                        filled = 0
                        meter?.update("reading \(csv.name)", csv: csv, rows: table.recordsRead)
                    }
                }
            }
            result.moments.add(base, rows: filled)
        }
        result.records = table.recordsRead
        result.dropped = table.droppedRows
        return result
    }

    /// The memory for held-out rows, shared by every chunk of one read. Rows are kept while the
    /// file's running total stays within `rows`; once a take fails the rows are scored by a second
    /// pass instead. Which chunk saw the failing take depends on timing, but whether any take
    /// fails does not: it happens exactly when the file has more than `rows` held-out rows.
    final class HeldOutBudget: Sendable {
        let rows: Int
        private let taken = Atomic<Int>(0)

        init(rows: Int) {
            self.rows = rows
        }

        /// Room for one more row; false once the file has had more than `rows`.
        @inline(__always)
        func take() -> Bool {
            taken.add(1, ordering: .relaxed).newValue <= rows
        }
    }

    struct Fit {
        var coefficients: [Double]
        var intercept: Double
        var preprocessing: ModelFile.Preprocessing?
        var warnings: [String]
    }

    /// Solves the normal equations from centred moments of [features…, target].
    static func solve(
        moments: Moments, featureNames: [String], alpha: Double, fitIntercept: Bool, standardize: Bool
    ) throws -> Fit {
        let d = featureNames.count
        let width = d + 1
        let c = moments.symmetric()
        let n = Double(moments.count)
        let means = moments.means
        var scales = [Double](repeating: 1, count: d)
        if standardize {
            for j in 0..<d {
                let scale = (c[j * width + j] / n).squareRoot()
                scales[j] = scale < 10 * Double.ulpOfOne ? 1 : scale
            }
        }
        let raw = !fitIntercept && !standardize
        var a = [Double](repeating: 0, count: d * d)
        var b = [Double](repeating: 0, count: d)
        for i in 0..<d {
            for j in 0..<d {
                a[i * d + j] =
                    c[i * width + j] / (scales[i] * scales[j]) + (raw ? n * means[i] * means[j] : 0)
            }
            b[i] = c[i * width + d] / scales[i] + (raw ? n * means[i] * means[d] : 0)
            a[i * d + i] += alpha
        }
        var warnings: [String] = []
        let coefficients: [Double]
        switch LinearAlgebra.cholesky(a, size: d, tolerance: 1e-10) {
        case .success(let l):
            coefficients = LinearAlgebra.choleskySolve(l, size: d, b)
        case .failure:
            warnings = collinearity(a, size: d, names: featureNames)
            coefficients = LinearAlgebra.pseudoInverseSolve(a, size: d, b, relativeCutoff: 1e-10)
        }
        var intercept = 0.0
        if fitIntercept {
            intercept = means[d]
            if !standardize { for j in 0..<d { intercept -= means[j] * coefficients[j] } }
        }
        let preprocessing =
            standardize ? ModelFile.Preprocessing(means: Array(means[0..<d]), scales: scales) : nil
        return Fit(
            coefficients: coefficients, intercept: intercept, preprocessing: preprocessing, warnings: warnings
        )
    }

    /// Names the columns that are constant or combinations of earlier ones.
    static func collinearity(_ a: [Double], size d: Int, names: [String]) -> [String] {
        var independent: [Int] = []
        var messages: [String] = []
        let largest = (0..<d).map { a[$0 * d + $0] }.max() ?? 0
        for j in 0..<d {
            if a[j * d + j] <= 1e-12 * largest {
                messages.append("column '\(names[j])' is constant; its coefficient is 0")
                continue
            }
            let trial = independent + [j]
            let sub = trial.flatMap { r in trial.map { a[r * d + $0] } }
            if case .success = LinearAlgebra.cholesky(sub, size: trial.count, tolerance: 1e-10) {
                independent.append(j)
                continue
            }
            let m = independent.count
            let base = independent.flatMap { r in independent.map { a[r * d + $0] } }
            let rhs = independent.map { a[$0 * d + j] }
            var terms: [String] = []
            if case .success(let l) = LinearAlgebra.cholesky(base, size: m) {
                let weights = LinearAlgebra.choleskySolve(l, size: m, rhs)
                for (k, weight) in zip(independent, weights) where abs(weight) > 1e-8 {
                    terms.append("\(formatWeight(weight))·'\(names[k])'")
                }
            }
            let combination = terms.isEmpty ? "the columns before it" : terms.joined(separator: " + ")
            messages.append(
                "column '\(names[j])' is collinear with \(combination) (plus a constant); coefficients of collinear columns are not unique, the minimum-norm solution was used"
            )
        }
        return messages
    }

    private static func formatWeight(_ weight: Double) -> String {
        let rounded = (weight * 1e6).rounded() / 1e6
        // Whole numbers print without ".0"; beyond 1e15 (or not finite) Int would trap.
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}
