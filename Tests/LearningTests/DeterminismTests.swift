import Foundation
import Testing

@testable import Learning

/// A model file and its metrics are the same bytes whatever the thread count (see `Parallelism`):
/// the data are cut into many chunks and row segments, and every trainer runs with 1, 2 and 7
/// threads.
@Suite struct DeterminismTests {
    /// Rows enough for several 16,384-row blocks (so the reductions have several segments), and
    /// 32 KiB chunks, so the file is read as dozens of chunks.
    static let rows = 40_000
    static let chunkBytes: Int64 = 32 << 10

    /// Deterministic data: four features with awkward decimals, a numeric and a three-class target.
    static func data(in scratch: Scratch) throws -> URL {
        var generator = SplitMixGenerator(seed: 42)
        var text = "a,b,c,d,y,label\n"
        text.reserveCapacity(rows * 60)
        for _ in 0..<rows {
            let x = (0..<4).map { _ in generator.nextUnit() * 20 - 10 }
            let y = 3 * x[0] - 2 * x[1] + 0.5 * x[2] + generator.nextUnit()
            let score = x[0] + x[3] + 2 * (generator.nextUnit() - 0.5)
            let label = score < -2 ? "low" : score < 2 ? "mid" : "high"
            text += x.map { String(format: "%.7f", $0) }.joined(separator: ",")
            text += ",\(String(format: "%.9f", y)),\(label)\n"
        }
        return try scratch.file("data.csv", text)
    }

    /// The model file's bytes as `ModelFile.write` leaves them, and the metrics' bit patterns.
    static func fingerprint(_ outcome: TrainingOutcome, in scratch: Scratch, name: String) throws
        -> (model: Data, metrics: [String: UInt64])
    {
        let url = scratch.directory.appendingPathComponent(name)
        try outcome.model.write(to: url)
        return (try Data(contentsOf: url), outcome.metrics.mapValues(\.bitPattern))
    }

    static func request(_ url: URL, target: String?, features: [String]) -> TrainingRequest {
        TrainingRequest(
            data: url, test: .split(fraction: 0.2, seed: 3), target: target, features: features,
            dataName: "data.csv")
    }

    @Test(
        .tags(.slow),
        arguments: ["linear-regression", "linear-regression-two-pass", "logistic-regression", "kmeans"])
    func modelBytesDoNotDependOnTheThreadCount(kind: String) throws {
        let scratch = try Scratch()
        let url = try Self.data(in: scratch)
        var fingerprints: [(model: Data, metrics: [String: UInt64])] = []
        for threads in [1, 2, 7] {
            let outcome: TrainingOutcome
            switch kind {
            case "linear-regression", "linear-regression-two-pass":
                var trainer = try LinearRegressionTrainer()
                trainer.threads = threads
                trainer.chunkBytes = Self.chunkBytes
                if kind.hasSuffix("two-pass") {
                    // Room for fewer rows than are held out: a second pass scores them.
                    trainer.heldOutBudgetBytes = 8 * 5 * 3000
                }
                outcome = try trainer.train(
                    Self.request(url, target: "y", features: ["a", "b", "c", "d"]), progress: nil)
            case "logistic-regression":
                var trainer = try LogisticRegressionTrainer(options: ["standardize": .bool(true)])
                trainer.threads = threads
                trainer.chunkBytes = Self.chunkBytes
                outcome = try trainer.train(
                    Self.request(url, target: "label", features: ["a", "b", "c", "d"]), progress: nil)
            default:
                var trainer = try KMeansTrainer(options: ["n_clusters": .number(5), "n_init": .number(2)])
                trainer.threads = threads
                trainer.chunkBytes = Self.chunkBytes
                outcome = try trainer.train(
                    Self.request(url, target: nil, features: ["a", "b", "c", "d"]), progress: nil)
            }
            #expect(outcome.trainingRows + outcome.testRows == Self.rows)
            fingerprints.append(try Self.fingerprint(outcome, in: scratch, name: "\(kind)-\(threads).json"))
        }
        for other in fingerprints.dropFirst() {
            #expect(other.model == fingerprints[0].model)
            #expect(other.metrics == fingerprints[0].metrics)
        }
    }

    @Test func chunkedReadsAgreeWithOnePassToRounding() throws {
        // Chunks change the order of floating-point sums, not the result beyond rounding.
        let scratch = try Scratch()
        let url = try Self.data(in: scratch)
        let request = Self.request(url, target: "y", features: ["a", "b", "c", "d"])
        var trainer = try LinearRegressionTrainer()
        trainer.threads = 2
        let whole = try trainer.train(request, progress: nil)
        trainer.chunkBytes = Self.chunkBytes
        let chunked = try trainer.train(request, progress: nil)
        #expect(chunked.testRows == whole.testRows)
        #expect(relativeError(chunked.model.coefficients[0], whole.model.coefficients[0]) <= 1e-12)
        expectMetrics(chunked.metrics, whole.metrics, tolerance: 1e-12)
    }

    @Test func threadCountComesFromTheEnvironment() throws {
        #expect(try Parallelism.threads(environment: ["MODELGATE_THREADS": "7"]) == 7)
        #expect(try Parallelism.threads(environment: ["MODELGATE_THREADS": " 64 "]) == 64)
        #expect(try Parallelism.threads(environment: [:]) == Parallelism.available)
        for bad in ["0", "-1", "two", "", "1.5", "1025", "99999999999999999999"] {
            #expect {
                _ = try Parallelism.threads(environment: ["MODELGATE_THREADS": bad])
            } throws: { error in
                let error = error as? DataError
                return error?.kind == .badEnvironment && error?.exitStatus == .badInput
                    && error?.summary.hasPrefix("MODELGATE_THREADS is '\(bad)'") == true
            }
        }
    }

    @Test func availableCPUsFollowTheAffinityMaskAndQuota() {
        #expect(Parallelism.affinity(status: "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n") == 2)
        #expect(Parallelism.affinity(status: "Cpus_allowed:\tffffffff,00000001\n") == 33)
        #expect(Parallelism.affinity(status: "Cpus_allowed:\tzz\n") == nil)
        #expect(Parallelism.affinity(status: "Name:\tx\n") == nil)
        #expect(Parallelism.quota(cpuMax: "max 100000\n") == nil)
        #expect(Parallelism.quota(cpuMax: "150000 100000\n") == 2)
        #expect(Parallelism.quota(cpuMax: "-1 100000") == nil)
        #expect(Parallelism.available >= 1)
    }
}
