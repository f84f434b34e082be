import Diagnostics

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

/// `logistic-regression`: binary or multinomial, L2-penalised, solved by Newton's method with a
/// backtracking line search to scikit-learn's optimum.
///
/// The objective is scikit-learn's: ½‖W‖² + C Σ loss, intercepts not penalised. For more than two
/// classes it is the multinomial (softmax) loss with one weight row per class; intercepts are
/// fixed only up to a common constant, and like lbfgs started from zero we take them summing to 0.
public struct LogisticRegressionTrainer: Trainer {
    /// The `builtin:` name in modelgate.yml.
    public static let kind = "logistic-regression"
    /// The metrics its runs record (`roc_auc` only when the test rows hold two classes or more).
    public static let metricNames = Metrics.classificationNames
    static let optionNames = ["C", "fit_intercept", "max_iter", "standardize", "tol"]

    /// Inverse regularisation strength.
    public var c: Double
    /// `max_iter`: iteration limit.
    public var maxIterations: Int
    /// Stop when the largest gradient component of the objective divided by C·n is below tol × 1e-4.
    public var tolerance: Double
    /// `fit_intercept`: whether to fit an intercept.
    public var fitIntercept: Bool
    /// Standardise features before fitting (stored in the model).
    public var standardize: Bool
    let options: [String: TrainerOption]
    /// Threads of the data-parallel loops; nil means `Parallelism.threads()`. Results do not depend on it.
    var threads: Int?
    /// Bytes per chunk when reading a large file (chunks depend on this and the data only).
    var chunkBytes = ParallelRanges.defaultChunkBytes
    /// Training rows above which the first Newton steps run on a sample.
    var warmStartRows = 4 * LogisticRegressionTrainer.sampleSize
    /// Hold unstandardised rows narrow (`DecimalRows`); false reads them as Doubles, which gives
    /// the same model bytes (tests compare the two).
    var narrowRows = true

    /// A trainer configured from scikit-learn-named options.
    public init(options: [String: TrainerOption] = [:]) throws {
        let reader = try OptionReader(kind: Self.kind, options: options, accepted: Self.optionNames)
        c = try reader.number("C", default: 1, where: { $0 > 0 && $0.isFinite }, expected: "a number > 0")
        maxIterations = try reader.integer("max_iter", default: 100, minimum: 1)
        tolerance = try reader.number("tol", default: 1e-4, where: { $0 > 0 }, expected: "a number > 0")
        fitIntercept = try reader.bool("fit_intercept", default: true)
        standardize = try reader.bool("standardize", default: false)
        self.options = options
    }

    /// Reads the data, fits, and evaluates on the test rows.
    public func train(_ request: TrainingRequest, progress: ProgressReporter?) throws -> TrainingOutcome {
        let target = try request.requiredTarget(for: Self.kind)
        let meter = ProgressMeter(progress)
        defer { meter.finish() }
        let threads = try self.threads ?? Parallelism.threads()
        let data = try InMemoryData.load(
            request: request, targetKind: .label, meter: meter, threads: threads, chunkBytes: chunkBytes)
        let (classes, newID) = data.labels.sorted()
        // Class ids in sorted order, rewritten in place (no second copy of a million labels).
        for index in data.trainTargets.indices {
            data.trainTargets[index] = Int32(newID[Int(data.trainTargets[index])])
        }
        let trainY = data.trainTargets
        let testY = data.testTargets.map { newID[Int($0)] }
        guard classes.count >= 2 else {
            throw DataError(
                .singleClass,
                "the target column '\(target)' has a single class ('\(classes.first ?? "")') in the training rows; expected at least two",
                location: request.dataName, hint: "classification needs rows of at least two classes")
        }
        // The Newton step keeps dense Hessians of parameters² doubles (per segment of rows).
        let parameters =
            (classes.count == 2 ? 1 : classes.count) * (data.featureNames.count + (fitIntercept ? 1 : 0))
        guard parameters <= Self.maxParameters else {
            throw DataError(
                .tooManyParameters,
                "logistic regression of '\(target)' would fit \(parameters) parameters (\(classes.count) classes, \(data.featureNames.count) features); at most \(Self.maxParameters) are fitted",
                location: request.dataName,
                hint: "choose fewer features ('features:') or a target with fewer classes")
        }
        // Unstandardised rows stay narrow (see `DecimalRows`); standardised ones are Doubles.
        var preprocessing: ModelFile.Preprocessing?
        let train: any RowBlocks
        let test: any RowBlocks
        if standardize || !narrowRows {
            let (denseTrain, denseTest) = (data.train.dense(), data.test.dense())
            if standardize {
                let (means, scales) = denseTrain.columnScaling()
                denseTrain.standardize(means: means, scales: scales)
                denseTest.standardize(means: means, scales: scales)
                preprocessing = ModelFile.Preprocessing(means: means, scales: scales)
            }
            (train, test) = (denseTrain, denseTest)
        } else {
            (train, test) = (data.train, data.test)
        }
        meter.report("fitting", rows: train.count)
        var solver = NewtonLogistic(
            rows: train, labels: trainY, classCount: classes.count, c: c, fitIntercept: fitIntercept,
            threads: threads)
        solver.theta = warmStart(rows: train, labels: trainY, classCount: classes.count, threads: threads)
        let convergence = solver.solve(maxIterations: maxIterations, tolerance: tolerance * 1e-4)
        var warnings: [String] = []
        if !convergence.converged {
            warnings.append(
                "logistic regression did not converge in \(maxIterations) iterations (gradient \(convergence.gradientNorm)); raise max_iter or set standardize: true"
            )
        }
        var model = ModelFile(
            formatVersion: ModelFile.currentFormatVersion, kind: Self.kind, features: data.featureNames,
            target: target, coefficients: solver.coefficients, intercept: solver.intercepts, classes: classes,
            preprocessing: preprocessing, quantization: nil, options: options, metrics: [:],
            trainingRows: train.count, testRows: test.count, dataBlobs: nil,
            tool: "modelgate \(Tool.version)")
        // Test rows are already standardised, so score with a copy that skips the preprocessing.
        var raw = model
        raw.preprocessing = nil
        let predictor = Predictor(raw)
        var predicted: [Int] = []
        var probabilities = [Double](repeating: 0, count: test.count * classes.count)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(test.width, 1))
        defer { scratch.deallocate() }
        probabilities.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<test.count {
                let row = test.rows(from: index, count: 1, scratch: scratch)
                predicted.append(
                    predictor.classify(row, probabilities: buffer.baseAddress! + index * classes.count))
            }
        }
        let metrics = Metrics.classification(
            truth: testY, predictions: predicted, probabilities: probabilities, classCount: classes.count)
        model.metrics = metrics
        return TrainingOutcome(
            model: model, metrics: metrics, trainingRows: train.count, testRows: test.count,
            droppedRows: data.droppedRows,
            confusionMatrix: Metrics.confusionMatrix(truth: testY, predictions: predicted, labels: classes),
            convergence: convergence, warnings: warnings + data.warnings)
    }
}

extension LogisticRegressionTrainer {
    /// Rows above which the first Newton steps run on a sample.
    static let sampleSize = 65536

    /// The most parameters (weight rows × (features + intercept)) a fit solves for: Newton's
    /// method keeps a dense Hessian of parameters² doubles, 800 MB at this bound.
    static let maxParameters = 10_000

    /// Starting parameters: zero for small data; for large data, the optimum on an evenly spaced
    /// sample (C scaled by n / sample so the penalty weighs the same), so the full-data Newton
    /// iterations start close and need only a few quadratic steps. The final optimum is the same.
    func warmStart(rows: any RowBlocks, labels: [Int32], classCount: Int, threads: Int) -> [Double] {
        let outputs = classCount == 2 ? 1 : classCount
        let zero = [Double](repeating: 0, count: outputs * (rows.width + (fitIntercept ? 1 : 0)))
        guard rows.count > warmStartRows else { return zero }
        let sample = DenseRows(width: rows.width)
        var sampleLabels: [Int32] = []
        let step = max(1, rows.count / Self.sampleSize)
        var index = 0
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(rows.width, 1))
        defer { scratch.deallocate() }
        while index < rows.count {
            sample.appendSlot().update(
                from: rows.rows(from: index, count: 1, scratch: scratch), count: rows.width)
            sampleLabels.append(labels[index])
            index += step
        }
        guard Set(sampleLabels).count == classCount else { return zero }
        var solver = NewtonLogistic(
            rows: sample, labels: sampleLabels, classCount: classCount,
            c: c * Double(rows.count) / Double(sample.count), fitIntercept: fitIntercept, threads: threads)
        _ = solver.solve(maxIterations: maxIterations, tolerance: 1e-6)
        return solver.theta
    }
}

/// Training and test rows read into memory, features in the order of `featureNames`, held in
/// the narrowest exact form (`DecimalRows`; `dense()` gives Doubles).
final class InMemoryData {
    let featureNames: [String]
    let train: DecimalRows
    let test: DecimalRows
    /// Label ids (in `labels`) of the training rows; 0 without a target.
    var trainTargets: [Int32] = []
    /// Label ids of the test rows.
    var testTargets: [Int32] = []
    var labels = LabelTable()
    var droppedRows = 0
    var warnings: [String] = []

    private init(featureNames: [String]) {
        self.featureNames = featureNames
        train = DecimalRows(width: featureNames.count)
        test = DecimalRows(width: featureNames.count)
    }

    /// Reads the request's data (and test file), splitting rows as asked; errors on empty parts.
    /// Large files are read as byte chunks (see `ParallelRanges`) and joined in file order.
    static func load(
        request: TrainingRequest, targetKind: TargetKind, meter: ProgressMeter,
        threads: Int, chunkBytes: Int64 = ParallelRanges.defaultChunkBytes
    ) throws -> InMemoryData {
        let csv = try CSVReader(url: request.data, name: request.dataName)
        let table = try TableReader(
            csv: csv, target: request.target, targetKind: targetKind, features: request.features,
            policy: request.missing)
        var split: SplitRule?
        if case .split(let fraction, let seed) = request.test {
            split = SplitRule(fraction: fraction, seed: seed)
        }
        let parts = try ParallelRanges.read(
            request: request, csv: csv, table: table, threads: threads, meter: meter,
            chunkBytes: chunkBytes,
            pass: { table, csv, meter, _ in try readPart(table: table, csv: csv, split: split, meter: meter) }
        )
        let data = parts[0]
        data.trainTargets.reserveCapacity(parts.reduce(0) { $0 + $1.trainTargets.count })
        data.testTargets.reserveCapacity(parts.reduce(0) { $0 + $1.testTargets.count })
        for part in parts.dropFirst() { data.absorb(part, labelled: targetKind == .label) }
        // Each part stops at the class limit; together they may pass it.
        if targetKind == .label, data.labels.labels.count > LabelTable.maxClasses, let target = request.target
        {
            throw LabelTable.tooManyClasses(column: target, location: csv.name)
        }
        guard data.train.count > 0 else {
            throw DataError(
                .emptyTrainingSet,
                "no training rows left in '\(csv.name)' after the test split and dropped rows",
                location: csv.name, hint: "add rows, or lower the test fraction")
        }
        if case .file(let url, let name) = request.test {
            let testCSV = try CSVReader(url: url, name: name)
            let testTable = try TableReader(
                csv: testCSV, target: request.target, targetKind: targetKind, features: table.featureNames,
                policy: request.missing)
            testTable.labels = data.labels
            testTable.knownLabelCount = targetKind == .label ? data.labels.labels.count : nil
            var row = [Double](repeating: 0, count: max(data.test.width, 1))
            try row.withUnsafeMutableBufferPointer { buffer in
                let slot = buffer.baseAddress!
                testLoop: while true {
                    switch try testTable.nextRow(into: slot) {
                    case .end: break testLoop
                    case .dropped: continue testLoop
                    case .row(let target):
                        data.test.append(slot)
                        data.testTargets.append(Self.labelID(target))
                    }
                }
            }
            data.droppedRows += testTable.droppedRows
        }
        guard data.test.count > 0 else { throw Evaluation.emptyTest(request: request) }
        return data
    }

    /// Reads `table` to its end into memory.
    private static func readPart(table: TableReader, csv: CSVReader, split: SplitRule?, meter: ProgressMeter?)
        throws
        -> InMemoryData
    {
        let data = InMemoryData(featureNames: table.featureNames)
        var row = [Double](repeating: 0, count: max(data.train.width, 1))
        try row.withUnsafeMutableBufferPointer { buffer in
            let slot = buffer.baseAddress!
            rowLoop: while true {
                let target: Double
                switch try table.nextRow(into: slot) {
                case .end: break rowLoop
                case .dropped: continue rowLoop
                case .row(let value): target = value
                }
                if let split, split.isTest(csv) {
                    data.test.append(slot)
                    data.testTargets.append(Self.labelID(target))
                } else {
                    data.train.append(slot)
                    data.trainTargets.append(Self.labelID(target))
                }
                if table.recordsRead & 4095 == 0 {
                    meter?.update("reading \(csv.name)", csv: csv, rows: table.recordsRead)
                }
            }
        }
        data.droppedRows = table.droppedRows
        data.labels = table.labels
        return data
    }

    /// A row's target as `TableReader` gives it (a label id below `LabelTable.maxClasses`, or 0).
    @inline(__always)
    private static func labelID(_ target: Double) -> Int32 { Int32(target) }

    /// Appends the rows of a later part of the file, freeing its memory as it goes.
    private func absorb(_ part: InMemoryData, labelled: Bool) {
        let remap = part.labels.labels.map { label in label.withUnsafeBufferPointer { labels.id(of: $0) } }
        train.append(contentsOf: part.train)
        test.append(contentsOf: part.test)
        trainTargets += labelled ? part.trainTargets.map { Int32(remap[Int($0)]) } : part.trainTargets
        testTargets += labelled ? part.testTargets.map { Int32(remap[Int($0)]) } : part.testTargets
        part.trainTargets = []
        part.testTargets = []
        droppedRows += part.droppedRows
    }
}

/// Newton's method for L2-penalised logistic regression (binary: one weight row; else softmax).
struct NewtonLogistic {
    let rows: any RowBlocks
    let labels: [Int32]
    let classCount: Int
    let c: Double
    let fitIntercept: Bool
    /// Threads of the gradient and Hessian pass; the result does not depend on it.
    let threads: Int
    /// Weight rows (1 for binary, else one per class).
    let outputs: Int
    /// Parameters per output: features, plus 1 for the intercept.
    let stride: Int
    var theta: [Double]

    init(rows: any RowBlocks, labels: [Int32], classCount: Int, c: Double, fitIntercept: Bool, threads: Int) {
        self.rows = rows
        self.threads = threads
        self.labels = labels
        self.classCount = classCount
        self.c = c
        self.fitIntercept = fitIntercept
        outputs = classCount == 2 ? 1 : classCount
        stride = rows.width + (fitIntercept ? 1 : 0)
        theta = [Double](repeating: 0, count: outputs * stride)
    }

    var coefficients: [[Double]] {
        (0..<outputs).map { Array(theta[($0 * stride)..<($0 * stride + rows.width)]) }
    }
    var intercepts: [Double] { (0..<outputs).map { fitIntercept ? theta[$0 * stride + rows.width] : 0 } }

    private struct Evaluation {
        var value: Double
        var gradient: [Double]
        var hessian: [Double]
    }

    /// Objective, gradient and (upper-triangle) Hessian at `theta`. Each segment of blocks sums
    /// into its own partials (up to `partialBudgetBytes` of Hessians), added in segment order.
    private func evaluate(_ theta: [Double]) -> Evaluation {
        let p = theta.count
        let width = rows.width
        let segments = rows.segmentCount(limit: max(1, Self.partialBudgetBytes / (8 * p * p)))
        let triangle = stride * (stride + 1) / 2
        var values = [Double](repeating: 0, count: segments)
        var gradients = [Double](repeating: 0, count: segments * p)
        var hessians = [Double](repeating: 0, count: segments * p * p)
        let outputs = self.outputs
        let stride = self.stride
        let fitIntercept = self.fitIntercept
        values.withUnsafeMutableBufferPointer { valueBuffer in
            gradients.withUnsafeMutableBufferPointer { gradientBuffer in
                hessians.withUnsafeMutableBufferPointer { hessianBuffer in
                    theta.withUnsafeBufferPointer { thetaBuffer in
                        labels.withUnsafeBufferPointer { labelBuffer in
                            let valuesBase = valueBuffer.baseAddress!
                            let gradientBase = gradientBuffer.baseAddress!
                            let hessianBase = hessianBuffer.baseAddress!
                            let t = thetaBuffer.baseAddress!
                            let y = labelBuffer.baseAddress!
                            rows.forEachBlock(segments: segments, threads: threads) { segment, blockIndex in
                                let (first, count) = rows.blockRange(blockIndex)
                                let g = gradientBase + segment * p
                                let h = hessianBase + segment * p * p
                                let xa = UnsafeMutablePointer<Double>.allocate(capacity: stride)
                                let outer = UnsafeMutablePointer<Double>.allocate(capacity: triangle)
                                let z = UnsafeMutablePointer<Double>.allocate(capacity: outputs)
                                let scratch = UnsafeMutablePointer<Double>.allocate(
                                    capacity: Self.rowsPerStep * max(width, 1))
                                defer {
                                    xa.deallocate()
                                    outer.deallocate()
                                    z.deallocate()
                                    scratch.deallocate()
                                }
                                if fitIntercept { xa[width] = 1 }
                                var loss = 0.0
                                var block = UnsafePointer(scratch)
                                for r in 0..<count {
                                    // The rows in steps (decoded when narrow); sums stay in row order.
                                    let step = r % Self.rowsPerStep
                                    if step == 0 {
                                        block = rows.rows(
                                            from: first + r, count: min(Self.rowsPerStep, count - r),
                                            scratch: scratch)
                                    }
                                    let x = block + step * width
                                    for j in 0..<width { xa[j] = x[j] }
                                    let label = Int(y[first + r])
                                    for k in 0..<outputs {
                                        let w = t + k * stride
                                        var sum = 0.0
                                        for j in 0..<stride { sum += w[j] * xa[j] }
                                        z[k] = sum
                                    }
                                    if outputs == 1 {
                                        let s = z[0]
                                        let probability = 1 / (1 + exp(-s))
                                        let positive = label == 1
                                        loss += max(s, 0) + log1p(exp(-abs(s))) - (positive ? s : 0)
                                        let residual = probability - (positive ? 1 : 0)
                                        for j in 0..<stride { g[j] += residual * xa[j] }
                                        let weight = probability * (1 - probability)
                                        for i in 0..<stride {
                                            let scaled = weight * xa[i]
                                            let target = h + i * p
                                            for j in i..<stride { target[j] += scaled * xa[j] }
                                        }
                                    } else {
                                        // Upper triangle of x̃ x̃ᵀ, packed row by row.
                                        var slot = 0
                                        for i in 0..<stride {
                                            let xi = xa[i]
                                            for j in i..<stride {
                                                outer[slot] = xi * xa[j]
                                                slot += 1
                                            }
                                        }
                                        var largest = -Double.infinity
                                        for k in 0..<outputs { largest = max(largest, z[k]) }
                                        let labelLogit = z[label]
                                        var sum = 0.0
                                        for k in 0..<outputs {
                                            z[k] = exp(z[k] - largest)
                                            sum += z[k]
                                        }
                                        for k in 0..<outputs { z[k] /= sum }
                                        // -log p_label = log Σ exp(z) - z_label, computed stably.
                                        loss += largest + log(sum) - labelLogit
                                        for k in 0..<outputs {
                                            let residual = z[k] - (k == label ? 1 : 0)
                                            let gk = g + k * stride
                                            for j in 0..<stride { gk[j] += residual * xa[j] }
                                            for l in k..<outputs {
                                                let weight = z[k] * ((k == l ? 1 : 0) - z[l])
                                                NewtonLogistic.addOuter(
                                                    weight, outer, to: h, block: (k, l), size: stride,
                                                    total: p)
                                            }
                                        }
                                    }
                                }
                                valuesBase[segment] += loss
                            }
                        }
                    }
                }
            }
        }
        var evaluation = Evaluation(
            value: 0, gradient: [Double](repeating: 0, count: p),
            hessian: [Double](repeating: 0, count: p * p))
        for segment in 0..<segments {
            evaluation.value += values[segment]
            for i in 0..<p { evaluation.gradient[i] += gradients[segment * p + i] }
            for i in 0..<(p * p) { evaluation.hessian[i] += hessians[segment * p * p + i] }
        }
        // Scale the data term by C, then add the penalty ½‖W‖² (and ½(Σ intercepts)² for softmax).
        evaluation.value *= c
        for i in 0..<p { evaluation.gradient[i] *= c }
        for i in 0..<(p * p) { evaluation.hessian[i] *= c }
        for k in 0..<outputs {
            for j in 0..<width {
                let index = k * stride + j
                evaluation.value += 0.5 * theta[index] * theta[index]
                evaluation.gradient[index] += theta[index]
                evaluation.hessian[index * p + index] += 1
            }
        }
        if fitIntercept && outputs > 1 {
            var sum = 0.0
            for k in 0..<outputs { sum += theta[k * stride + width] }
            evaluation.value += 0.5 * sum * sum
            for k in 0..<outputs {
                evaluation.gradient[k * stride + width] += sum
                for l in k..<outputs {
                    evaluation.hessian[(k * stride + width) * p + l * stride + width] += 1
                }
            }
        }
        // Mirror the upper triangle.
        for i in 0..<p { for j in 0..<i { evaluation.hessian[i * p + j] = evaluation.hessian[j * p + i] } }
        return evaluation
    }

    /// Rows an evaluation reads at once (decoded into a scratch buffer when the rows are narrow).
    static let rowsPerStep = 512

    /// Memory for the per-segment Hessians of one evaluation: fewer segments (less parallelism)
    /// for very many parameters, decided by the parameter count, never by the thread count.
    static let partialBudgetBytes = 512 << 20

    /// Adds weight × (packed x̃x̃ᵀ) into Hessian block (k, l), upper triangle of the whole matrix.
    @inline(__always)
    private static func addOuter(
        _ weight: Double, _ outer: UnsafeMutablePointer<Double>, to h: UnsafeMutablePointer<Double>,
        block: (Int, Int), size: Int, total: Int
    ) {
        let rowBase = block.0 * size
        let columnBase = block.1 * size
        var slot = 0
        for i in 0..<size {
            let target = h + (rowBase + i) * total + columnBase
            for j in i..<size {
                target[j] += weight * outer[slot]
                slot += 1
            }
        }
        if block.0 != block.1 {
            // Off-diagonal blocks are full: add the strictly lower part of x̃x̃ᵀ too.
            slot = 0
            for i in 0..<size {
                for j in i..<size {
                    if j != i { h[(rowBase + j) * total + columnBase + i] += weight * outer[slot] }
                    slot += 1
                }
            }
        }
    }

    /// Runs Newton steps until the scaled gradient is below `tolerance`.
    mutating func solve(maxIterations: Int, tolerance: Double) -> Convergence {
        let p = theta.count
        let scale = 1 / (c * Double(rows.count))
        var current = evaluate(theta)
        var iterations = 0
        var gradientNorm = (current.gradient.map(abs).max() ?? 0) * scale
        while gradientNorm > tolerance && iterations < maxIterations {
            iterations += 1
            let negative = current.gradient.map { -$0 }
            var step: [Double]
            switch LinearAlgebra.cholesky(current.hessian, size: p, tolerance: 1e-14) {
            case .success(let l): step = LinearAlgebra.choleskySolve(l, size: p, negative)
            case .failure:
                step = LinearAlgebra.pseudoInverseSolve(
                    current.hessian, size: p, negative, relativeCutoff: 1e-14)
            }
            var slope = 0.0
            for i in 0..<p { slope += step[i] * current.gradient[i] }
            var length = 1.0
            var accepted = false
            while length > 1e-12 {
                let candidate = (0..<p).map { theta[$0] + length * step[$0] }
                let trial = evaluate(candidate)
                if trial.value <= current.value + 1e-4 * length * slope
                    || trial.value <= current.value && length < 1e-6
                {
                    theta = candidate
                    current = trial
                    accepted = true
                    break
                }
                length /= 2
            }
            gradientNorm = (current.gradient.map(abs).max() ?? 0) * scale
            if !accepted { break }
        }
        return Convergence(
            converged: gradientNorm <= tolerance, iterations: iterations, gradientNorm: gradientNorm,
            solver: "newton")
    }
}
