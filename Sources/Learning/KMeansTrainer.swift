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

/// `kmeans`: Lloyd's algorithm from greedy k-means++ seeds, best of `n_init` runs, as
/// scikit-learn's `KMeans` (same stopping rule: labels unchanged, or centre shift ≤ tol × mean variance).
///
/// Metrics are computed on the test rows: `inertia` (sum of squared distances to the nearest
/// centre) and `silhouette` (on a seeded sample of at most 4096 rows); `train_inertia` is
/// scikit-learn's `inertia_`.
public struct KMeansTrainer: Trainer {
    /// The `builtin:` name in modelgate.yml.
    public static let kind = "kmeans"
    /// The metrics its runs record (`silhouette` only with two clusters or more).
    public static let metricNames = ["inertia", "train_inertia", "silhouette"]
    static let optionNames = ["max_iter", "n_clusters", "n_init", "random_state", "standardize", "tol"]

    /// `n_clusters`: how many clusters.
    public var clusterCount: Int
    /// `n_init`: how many seeded starts; the lowest inertia wins.
    public var initializations: Int
    /// `max_iter`: iteration limit.
    public var maxIterations: Int
    /// `tol`: convergence tolerance.
    public var tolerance: Double
    /// `random_state`: seed of the initialisation.
    public var randomState: UInt64
    /// Standardise features before fitting (stored in the model).
    public var standardize: Bool
    /// Explicit starting centres (in standardised units when standardising); replaces k-means++.
    public var initialCentres: [[Double]]?
    let options: [String: TrainerOption]
    /// Threads of the data-parallel loops; nil means `Parallelism.threads()`. Results do not depend on it.
    var threads: Int?
    /// Bytes per chunk when reading a large file (chunks depend on this and the data only).
    var chunkBytes = ParallelRanges.defaultChunkBytes

    /// A trainer configured from scikit-learn-named options (`random_state` defaults to 0).
    public init(options: [String: TrainerOption] = [:]) throws {
        let reader = try OptionReader(kind: Self.kind, options: options, accepted: Self.optionNames)
        clusterCount = try reader.integer("n_clusters", default: 8, minimum: 1)
        initializations = try reader.integer("n_init", default: 1, minimum: 1)
        maxIterations = try reader.integer("max_iter", default: 300, minimum: 1)
        tolerance = try reader.number("tol", default: 1e-4, where: { $0 >= 0 }, expected: "a number ≥ 0")
        randomState = UInt64(try reader.integer("random_state", default: 0, minimum: 0))
        standardize = try reader.bool("standardize", default: false)
        self.options = options
    }

    /// Reads the data, fits, and evaluates on the test rows.
    public func train(_ request: TrainingRequest, progress: ProgressReporter?) throws -> TrainingOutcome {
        let meter = ProgressMeter(progress)
        defer { meter.finish() }
        let threads = try self.threads ?? Parallelism.threads()
        let data = try InMemoryData.load(
            request: request, targetKind: .none, meter: meter, threads: threads, chunkBytes: chunkBytes)
        let rows = data.train.dense()
        let testRows = data.test.dense()
        let k = initialCentres?.count ?? clusterCount
        guard k <= rows.count else {
            throw DataError(
                .tooFewRows,
                "n_clusters is \(k) but '\(request.dataName)' has \(rows.count) training rows; expected at least as many rows as clusters",
                location: request.dataName, hint: "lower n_clusters or add rows")
        }
        if let initialCentres, initialCentres.contains(where: { $0.count != rows.width }) {
            throw DataError(
                .badOption,
                "initial centres need \(rows.width) values each (\(data.featureNames.joined(separator: ", ")))"
            )
        }
        var preprocessing: ModelFile.Preprocessing?
        if standardize {
            let (means, scales) = rows.columnScaling()
            rows.standardize(means: means, scales: scales)
            testRows.standardize(means: means, scales: scales)
            preprocessing = ModelFile.Preprocessing(means: means, scales: scales)
        }
        meter.report("fitting", rows: rows.count)
        let (means, _) = rows.columnScaling()
        var meanVariance = 0.0
        for index in 0..<rows.count {
            let x = rows.row(index)
            for j in 0..<rows.width { meanVariance += (x[j] - means[j]) * (x[j] - means[j]) }
        }
        meanVariance /= Double(rows.count * max(rows.width, 1))
        let absoluteTolerance = meanVariance * tolerance

        var best: (centres: [Double], inertia: Double, iterations: Int)?
        var generator = SplitMixGenerator(seed: randomState)
        for _ in 0..<(initialCentres == nil ? initializations : 1) {
            let start =
                initialCentres.map { $0.flatMap { $0 } }
                ?? Self.plusPlus(rows: rows, k: k, generator: &generator, threads: threads)
            let run = Self.lloyd(
                rows: rows, centres: start, k: k, maxIterations: maxIterations, tolerance: absoluteTolerance,
                threads: threads)
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        let fit = best!
        let width = rows.width
        let centres = (0..<k).map { Array(fit.centres[($0 * width)..<($0 * width + width)]) }
        var model = ModelFile(
            formatVersion: ModelFile.currentFormatVersion, kind: Self.kind, features: data.featureNames,
            target: nil, coefficients: centres, intercept: [], classes: nil, preprocessing: preprocessing,
            quantization: nil, options: options, metrics: [:], trainingRows: rows.count,
            testRows: testRows.count,
            dataBlobs: nil, tool: "modelgate \(Tool.version)")
        var metrics = Self.clusteringMetrics(
            rows: testRows, centres: fit.centres, k: k, seed: randomState, threads: threads)
        metrics["train_inertia"] = fit.inertia
        model.metrics = metrics
        return TrainingOutcome(
            model: model, metrics: metrics, trainingRows: rows.count, testRows: testRows.count,
            droppedRows: data.droppedRows, confusionMatrix: nil,
            convergence: Convergence(
                converged: fit.iterations < maxIterations, iterations: fit.iterations, gradientNorm: 0,
                solver: "lloyd"),
            warnings: data.warnings)
    }

    /// `inertia` and `silhouette` of `rows` against `centres`.
    static func clusteringMetrics(rows: DenseRows, centres: [Double], k: Int, seed: UInt64, threads: Int)
        -> [String: Double]
    {
        let width = rows.width
        var labels = [Int32](repeating: 0, count: rows.count)
        let inertia = assign(rows: rows, centres: centres, k: k, labels: &labels, threads: threads)
        var indices = Array(0..<rows.count)
        let limit = Evaluation.silhouetteSampleLimit
        if indices.count > limit {
            var generator = SplitMixGenerator(seed: seed ^ 0x5111_4E77)
            for i in 0..<limit { indices.swapAt(i, i + Int(generator.next() % UInt64(indices.count - i))) }
            indices.removeLast(indices.count - limit)
        }
        var points: [Double] = []
        points.reserveCapacity(indices.count * width)
        for index in indices {
            points.append(contentsOf: UnsafeBufferPointer(start: rows.row(index), count: width))
        }
        let sampleLabels = indices.map { Int(labels[$0]) }
        var metrics = ["inertia": inertia]
        if Set(sampleLabels).count >= 2 && Set(sampleLabels).count < sampleLabels.count {
            metrics["silhouette"] = Metrics.silhouette(
                points: points, width: width, labels: sampleLabels, clusterCount: k, threads: threads)
        }
        return metrics
    }

    /// Labels every row with its nearest centre (first on ties); returns the inertia, summed
    /// per segment and then in segment order, so it does not depend on `threads`.
    static func assign(rows: DenseRows, centres: [Double], k: Int, labels: inout [Int32], threads: Int)
        -> Double
    {
        let width = rows.width
        let segments = rows.segmentCount()
        var partial = [Double](repeating: 0, count: segments)
        labels.withUnsafeMutableBufferPointer { labelBuffer in
            centres.withUnsafeBufferPointer { centreBuffer in
                partial.withUnsafeMutableBufferPointer { partialBuffer in
                    let labelBase = labelBuffer.baseAddress!
                    let c = centreBuffer.baseAddress!
                    let sums = partialBuffer.baseAddress!
                    rows.forEachBlock(segments: segments, threads: threads) { segment, blockIndex in
                        let (block, count, first) = rows.block(blockIndex)
                        var total = 0.0
                        for r in 0..<count {
                            let (bestCluster, bestDistance) = Predictor.nearest(
                                block + r * width, centres: c, count: k, width: width)
                            labelBase[first + r] = Int32(bestCluster)
                            total += bestDistance
                        }
                        sums[segment] += total
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// One Lloyd run from `centres` (k × width, row-major).
    static func lloyd(
        rows: DenseRows, centres start: [Double], k: Int, maxIterations: Int, tolerance: Double, threads: Int
    ) -> (centres: [Double], inertia: Double, iterations: Int) {
        let width = rows.width
        var centres = start
        var labels = [Int32](repeating: -1, count: rows.count)
        var previous = labels
        var strictlyConverged = false
        var iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            _ = assign(rows: rows, centres: centres, k: k, labels: &labels, threads: threads)
            var sums = [Double](repeating: 0, count: k * width)
            var counts = [Int](repeating: 0, count: k)
            for index in 0..<rows.count {
                let cluster = Int(labels[index])
                counts[cluster] += 1
                let x = rows.row(index)
                for j in 0..<width { sums[cluster * width + j] += x[j] }
            }
            for cluster in 0..<k where counts[cluster] == 0 {
                // An empty cluster takes the row farthest from its centre, as scikit-learn does.
                var farthest = 0
                var largest = -1.0
                for index in 0..<rows.count {
                    let x = rows.row(index)
                    let own = Int(labels[index])
                    var distance = 0.0
                    for j in 0..<width {
                        distance += (x[j] - centres[own * width + j]) * (x[j] - centres[own * width + j])
                    }
                    if distance > largest && counts[own] > 1 {
                        largest = distance
                        farthest = index
                    }
                }
                let own = Int(labels[farthest])
                let x = rows.row(farthest)
                for j in 0..<width {
                    sums[own * width + j] -= x[j]
                    sums[cluster * width + j] = x[j]
                }
                counts[own] -= 1
                counts[cluster] = 1
                labels[farthest] = Int32(cluster)
            }
            var shift = 0.0
            for cluster in 0..<k {
                for j in 0..<width {
                    let updated = sums[cluster * width + j] / Double(counts[cluster])
                    shift +=
                        (updated - centres[cluster * width + j]) * (updated - centres[cluster * width + j])
                    centres[cluster * width + j] = updated
                }
            }
            if labels == previous {
                strictlyConverged = true
                break
            }
            if shift <= tolerance { break }
            previous = labels
        }
        if !strictlyConverged {
            _ = assign(rows: rows, centres: centres, k: k, labels: &labels, threads: threads)
        }
        var inertia = 0.0
        for index in 0..<rows.count {
            let x = rows.row(index)
            let cluster = Int(labels[index])
            for j in 0..<width {
                inertia += (x[j] - centres[cluster * width + j]) * (x[j] - centres[cluster * width + j])
            }
        }
        return (centres, inertia, iterations)
    }

    /// Greedy k-means++: each new centre is the best of 2 + ⌊ln k⌋ candidates drawn by D².
    static func plusPlus(rows: DenseRows, k: Int, generator: inout SplitMixGenerator, threads: Int = 1)
        -> [Double]
    {
        let n = rows.count
        let width = rows.width
        let trials = 2 + Int(log(Double(k)))
        var centres: [Double] = []
        centres.reserveCapacity(k * width)
        let first = Int(generator.next() % UInt64(n))
        centres.append(contentsOf: UnsafeBufferPointer(start: rows.row(first), count: width))
        func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>) -> Double {
            var sum = 0.0
            for j in 0..<width { sum += (a[j] - b[j]) * (a[j] - b[j]) }
            return sum
        }
        var closest = (0..<n).map { distance(rows.row($0), rows.row(first)) }
        var potential = closest.reduce(0, +)
        for _ in 1..<max(k, 1) {
            var bestCandidate = 0
            var bestPotential = Double.infinity
            var bestClosest: [Double] = []
            for _ in 0..<trials {
                let target = generator.nextUnit() * potential
                var cumulative = 0.0
                var candidate = n - 1
                for index in 0..<n {
                    cumulative += closest[index]
                    if cumulative > target {
                        candidate = index
                        break
                    }
                }
                let c = rows.row(candidate)
                var trialClosest = closest
                // Distances on up to `threads` threads, each row into its own slot; the potential
                // is added in row order, so the draw is the same on any thread count.
                trialClosest.withUnsafeMutableBufferPointer { buffer in
                    let nearest = buffer.baseAddress!
                    IndexRanges.forEach(count: n, threads: threads) { range in
                        for index in range {
                            nearest[index] = min(nearest[index], distance(rows.row(index), c))
                        }
                    }
                }
                var trialPotential = 0.0
                for index in 0..<n { trialPotential += trialClosest[index] }
                if trialPotential < bestPotential {
                    bestPotential = trialPotential
                    bestCandidate = candidate
                    bestClosest = trialClosest
                }
            }
            centres.append(contentsOf: UnsafeBufferPointer(start: rows.row(bestCandidate), count: width))
            closest = bestClosest
            potential = bestPotential
        }
        return centres
    }
}

/// SplitMix64: a small, fast, seedable generator, so runs are reproducible everywhere.
struct SplitMixGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
