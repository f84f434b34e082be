#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Scores a model on rows read from a CSV: the test pass of training, and `ModelFile.score`.
enum Evaluation {
    struct Result {
        var metrics: [String: Double]
        var rows: Int
        var droppedRows: Int
        var confusion: ConfusionMatrix?
        /// Rows left out because the model was trained on them (`excluding`).
        var excludedRows = 0
        /// Each test row's result, when asked for.
        var examples: ScoredExamples?
    }

    /// Largest sample the silhouette is computed on (it costs n² distances).
    static let silhouetteSampleLimit = 4096

    /// Opens the test rows of `request` for `model`: the same file filtered by the split, or the test file.
    static func testTable(for model: ModelFile, request: TrainingRequest) throws -> (TableReader, SplitRule?)
    {
        let kind: TargetKind = model.kind == LogisticRegressionTrainer.kind ? .label : .numeric
        switch request.test {
        case .split(let fraction, let seed):
            let csv = try CSVReader(url: request.data, name: request.dataName)
            let table = try TableReader(
                csv: csv, target: model.target, targetKind: kind, features: model.features,
                policy: request.missing)
            return (table, SplitRule(fraction: fraction, seed: seed))
        case .file(let url, let name):
            let csv = try CSVReader(url: url, name: name)
            let table = try TableReader(
                csv: csv, target: model.target, targetKind: kind, features: model.features,
                policy: request.missing)
            return (table, nil)
        }
    }

    /// The test pass of a regression trainer.
    static func regression(
        model: ModelFile, request: TrainingRequest, split: SplitRule?, meter: ProgressMeter?
    ) throws -> Result {
        let (table, rule) = try testTable(for: model, request: request)
        let result = try run(
            model: model, table: table, include: rule.map { rule in { rule.isTest($0) } }, meter: meter)
        guard result.rows > 0 else { throw emptyTest(request: request) }
        return result
    }

    /// Regression metrics of `model` on in-memory rows of [features…, target].
    static func regression(model: ModelFile, rows sets: [DenseRows]) -> Result {
        let predictor = Predictor(model)
        let width = predictor.width
        var accumulator = RegressionAccumulator()
        var x = [Double](repeating: 0, count: width)
        var count = 0
        x.withUnsafeMutableBufferPointer { buffer in
            let z = buffer.baseAddress!
            for rows in sets {
                count += rows.count
                for index in 0..<rows.count {
                    let row = rows.row(index)
                    z.update(from: row, count: width)
                    predictor.standardize(z)
                    accumulator.add(truth: row[width], prediction: predictor.regress(z))
                }
            }
        }
        return Result(metrics: accumulator.metrics, rows: count, droppedRows: 0, confusion: nil)
    }

    static func emptyTest(request: TrainingRequest) -> DataError {
        switch request.test {
        case .split(let fraction, _):
            return DataError(
                .emptyTestSplit,
                "the test split of '\(request.dataName)' is empty (fraction \(fraction)); expected at least one test row",
                location: request.dataName, hint: "raise 'split', add rows, or give a 'test:' file")
        case .file(_, let name):
            return DataError(
                .emptyTestSplit, "the test file '\(name)' has no usable rows", location: name,
                hint: "add rows to the test file")
        }
    }

    /// Streams `table` (records passing `include`, and not in `excluding`) through `model`,
    /// keeping each row's result when `keepExamples`.
    static func run(
        model: ModelFile, table: TableReader, include: ((CSVReader) -> Bool)?, meter: ProgressMeter?,
        excluding: TrainingRows? = nil, keepExamples: Bool = false
    ) throws -> Result {
        let predictor = Predictor(model)
        let width = predictor.width
        var row = [Double](repeating: 0, count: width)
        var probabilities = [Double](repeating: 0, count: max(predictor.outputs, 2))
        var regression = RegressionAccumulator()
        var truth: [Int] = []
        var predicted: [Int] = []
        var probabilityRows: [Double] = []
        var points: [Double] = []
        var clusters: [Int] = []
        var inertia = 0.0
        var regressionTruth: [Double] = []
        var regressionPredictions: [Double] = []
        var distances: [Double] = []
        var rows = 0
        var excludedRows = 0
        let classes = model.classes ?? []
        var classOfLabel: [Int] = []
        let csv = table.csv
        try row.withUnsafeMutableBufferPointer { buffer in
            let x = buffer.baseAddress!
            rowLoop: while true {
                let target: Double
                switch try table.nextRow(into: x) {
                case .end: break rowLoop
                case .dropped: continue rowLoop
                case .row(let value): target = value
                }
                if let include, !include(csv) { continue }
                if model.kind == LogisticRegressionTrainer.kind {
                    while classOfLabel.count < table.labels.labels.count {
                        let name = table.labels.names[classOfLabel.count]
                        guard let index = classIndex(of: name, in: classes) else {
                            throw DataError(
                                .modelMismatch,
                                "class '\(name)' in column '\(model.target ?? "")' is not one the model was trained on (\(classes.joined(separator: ", ")))",
                                location: csv.location(ofField: table.targetColumn!),
                                hint: "score only data whose classes the model knows")
                        }
                        classOfLabel.append(index)
                    }
                }
                if let excluding {
                    // As `TrainingRows` identifies rows: the model's class, or 0 without a target.
                    let identity =
                        model.kind == LogisticRegressionTrainer.kind
                        ? Double(classOfLabel[Int(target)]) : model.target == nil ? 0 : target
                    if excluding.contains(features: x, width: width, target: identity) {
                        excludedRows += 1
                        continue
                    }
                }
                rows += 1
                if rows & 4095 == 0 {
                    meter?.update("evaluating \(csv.name)", csv: csv, rows: table.recordsRead)
                }
                predictor.standardize(x)
                switch model.kind {
                case LinearRegressionTrainer.kind:
                    let prediction = predictor.regress(x)
                    regression.add(truth: target, prediction: prediction)
                    if keepExamples {
                        regressionTruth.append(target)
                        regressionPredictions.append(prediction)
                    }
                case LogisticRegressionTrainer.kind:
                    truth.append(classOfLabel[Int(target)])
                    let best = probabilities.withUnsafeMutableBufferPointer {
                        predictor.classify(x, probabilities: $0.baseAddress!)
                    }
                    predicted.append(best)
                    probabilityRows.append(contentsOf: probabilities[0..<predictor.outputs])
                default:
                    let (cluster, distance) = predictor.nearestCentre(x)
                    inertia += distance
                    if keepExamples { distances.append(distance) }
                    if clusters.count < silhouetteSampleLimit {
                        clusters.append(cluster)
                        points.append(contentsOf: buffer)
                    } else {
                        // Reservoir sampling keeps a uniform, seeded sample of rows.
                        let slot = Int(SplitRule.mix(UInt64(rows)) % UInt64(rows))
                        if slot < silhouetteSampleLimit {
                            clusters[slot] = cluster
                            for j in 0..<width { points[slot * width + j] = x[j] }
                        }
                    }
                }
            }
        }
        var result = Result(
            metrics: [:], rows: rows, droppedRows: table.droppedRows, confusion: nil,
            excludedRows: excludedRows)
        guard rows > 0 else { return result }
        switch model.kind {
        case LinearRegressionTrainer.kind:
            result.metrics = regression.metrics
            if keepExamples {
                result.examples = ScoredExamples(
                    kind: .regression, truth: regressionTruth, predicted: regressionPredictions)
            }
        case LogisticRegressionTrainer.kind:
            result.metrics = Metrics.classification(
                truth: truth, predictions: predicted, probabilities: probabilityRows,
                classCount: predictor.outputs)
            result.confusion = Metrics.confusionMatrix(truth: truth, predictions: predicted, labels: classes)
            if keepExamples {
                result.examples = ScoredExamples(
                    kind: .classification(classes: predictor.outputs), truth: truth.map(Double.init),
                    predicted: predicted.map(Double.init), probabilities: probabilityRows, classNames: classes
                )
            }
        default:
            if keepExamples { result.examples = ScoredExamples(kind: .clustering, losses: distances) }
            result.metrics["inertia"] = inertia
            if Set(clusters).count >= 2 {
                result.metrics["silhouette"] = Metrics.silhouette(
                    points: points, width: width, labels: clusters, clusterCount: predictor.outputs)
            }
        }
        return result
    }

    /// The index of label `name` in a model's classes, matching numbers by value ("1" = "1.0").
    static func classIndex(of name: String, in classes: [String]) -> Int? {
        if let index = classes.firstIndex(of: name) { return index }
        guard let value = Double(name) else { return nil }
        return classes.firstIndex { Double($0) == value }
    }
}

extension ModelFile {
    /// Re-scores this model on the test rows `request` describes: the held-out rows of its split
    /// (the same rows training held out, by content) or its test file. This is how a baseline
    /// model is compared like with like on a candidate's test data.
    public func score(testOf request: TrainingRequest) throws -> [String: Double] {
        let (table, rule) = try Evaluation.testTable(for: self, request: request)
        let result = try Evaluation.run(
            model: self, table: table, include: rule.map { rule in { rule.isTest($0) } }, meter: nil)
        guard result.rows > 0 else { throw Evaluation.emptyTest(request: request) }
        return result.metrics
    }

    /// Each test row's truth, prediction and class probabilities (or, for k-means, squared
    /// distance to its centre), in file order, without the rows in `excluding`: what a gate with
    /// a confidence level resamples. Scoring two models on the same request and exclusion gives
    /// the same rows in the same order.
    public func scoredExamples(testOf request: TrainingRequest, excluding: TrainingRows? = nil) throws
        -> ScoredExamples
    {
        let (table, rule) = try Evaluation.testTable(for: self, request: request)
        let result = try Evaluation.run(
            model: self, table: table, include: rule.map { rule in { rule.isTest($0) } }, meter: nil,
            excluding: excluding, keepExamples: true)
        guard result.rows > 0, let examples = result.examples else {
            throw Evaluation.emptyTest(request: request)
        }
        return examples
    }

    /// Streams predictions for every row of a CSV (see `Prediction.stream`).
    @discardableResult
    public func predict(
        csv url: URL, name: String, missing: MissingValuePolicy = .error,
        _ body: (PredictedRow) throws -> Void
    ) throws -> Int {
        try Prediction.stream(model: self, csv: CSVReader(url: url, name: name), missing: missing, body)
    }

    /// Re-scores this model on another CSV with the same columns (any order, extra columns ignored).
    public func score(csv url: URL, name: String, missing: MissingValuePolicy = .error) throws -> [String:
        Double]
    {
        let kind: TargetKind = self.kind == LogisticRegressionTrainer.kind ? .label : .numeric
        let csv = try CSVReader(url: url, name: name)
        let table = try TableReader(
            csv: csv, target: target, targetKind: kind, features: features, policy: missing)
        let result = try Evaluation.run(model: self, table: table, include: nil, meter: nil)
        guard result.rows > 0 else {
            throw DataError(.emptyTestSplit, "'\(name)' has no usable rows to score", location: name)
        }
        return result.metrics
    }
}

/// Turns row counts into throttled progress reports.
final class ProgressMeter {
    private let reporter: ProgressReporter?
    private var lastReport = 0.0
    private var bytesRead: Int64 = 0
    private var totalBytes: Int64?

    init(_ reporter: ProgressReporter?) {
        self.reporter = reporter
    }

    func update(_ phase: String, csv: CSVReader, rows: Int) {
        guard let reporter else { return }
        let now = ProcessInfo.processInfo.systemUptime
        guard now - lastReport >= 0.1 else { return }
        lastReport = now
        bytesRead = csv.nextOffset
        totalBytes = csv.totalBytes
        reporter.report(
            ProgressUpdate(phase: phase, bytesRead: bytesRead, totalBytes: totalBytes, rows: rows))
    }

    /// A phase change with no new file position (e.g. "fitting").
    func report(_ phase: String, rows: Int) {
        reporter?.report(
            ProgressUpdate(phase: phase, bytesRead: bytesRead, totalBytes: totalBytes, rows: rows))
    }

    func finish() { reporter?.finish() }
}

extension SplitRule {
    /// SplitMix64 finaliser: a well-mixed 64-bit value from `value`.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
