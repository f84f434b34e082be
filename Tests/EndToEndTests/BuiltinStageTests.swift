import Foundation
import TestSupport
import Testing

/// Pipelines whose stages are modelgate's own trainers, data checks and quantisation.
@Suite struct BuiltinStageTests {
    /// y = 3a - 2b + 1 + noise; `shift` adds to every `a` (a corrupted batch).
    static func housingCSV(rows: Int, seed: UInt64, noise: Double = 0.1, shift: Double = 0) -> String {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var lines = ["a,b,y"]
        for _ in 0..<rows {
            let a = next() * 10
            let b = next() * 5
            let y = 3 * a - 2 * b + 1 + (next() - 0.5) * noise
            lines.append(
                "\(RunTestsFormat.number(a + shift)),\(RunTestsFormat.number(b)),\(RunTestsFormat.number(y))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let config = """
        name: housing
        stages:
          - name: validate
            builtin: validate
            data: data/train.csv
            columns: [a, b, y]
            ranges: {a: [0, 10]}
            drift: true
          - name: train
            builtin: linear-regression
            data: data/train.csv
            target: y
            test: data/test.csv
          - name: shrink
            builtin: optimize
            dtype: float16
            max_change: 0.01
        gates:
          - {metric: r2, min: 0.99}
          - {metric: r2, max_drop: 0.001}
          - {metric: rows, min: 50}

        """

    func makeRepository() throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": Self.config, "data/train.csv": Self.housingCSV(rows: 400, seed: 1),
                "data/test.csv": Self.housingCSV(rows: 100, seed: 2),
            ], message: "housing model")
        return repo
    }

    @Test func trainsGatesAndKeepsTheModel() throws {
        let repo = try makeRepository()
        let result = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let metrics = record?["metrics"] as? [String: Double]
        #expect((metrics?["r2"] ?? 0) > 0.999)
        #expect(metrics?["rows"] == 400)
        #expect((metrics?["size_bytes.after"] ?? 1e9) < (metrics?["size_bytes.before"] ?? 0))
        #expect((metrics?["quantization.max_metric_change"] ?? 1) < 0.01)
        #expect(metrics?["optimized.r2"] != nil)
        #expect(result.stderr.contains("linear-regression: 400 training rows, 100 test rows"))
        let gates = record?["gates"] as? [[String: Any]]
        #expect(
            gates?.map { $0["metric"] as? String } == ["r2", "r2", "rows", "quantization.max_metric_change"])
        #expect(try repo.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func comparesTheBaselineModelOnTheCandidatesTestData() throws {
        let repo = try makeRepository()
        let first = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(first.status == 0)
        let firstRecord = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        let recordedR2 = (firstRecord?["metrics"] as? [String: Double])?["r2"]
        // Noisier training data and new test rows: the old model is scored again on the new rows.
        try repo.commit(
            files: [
                "data/train.csv": Self.housingCSV(rows: 400, seed: 3, noise: 40),
                "data/test.csv": Self.housingCSV(rows: 100, seed: 9, noise: 2),
            ], message: "noisy")
        let result = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let gate = (record?["gates"] as? [[String: Any]])?[1]
        let rescoredR2 = gate?["baseline"] as? Double
        #expect(rescoredR2 != nil && rescoredR2 != recordedR2)
        #expect((rescoredR2 ?? 0) > 0.99)
        let baseline = record?["baseline"] as? [String: Any]
        #expect(
            (baseline?["comparison"] as? String)?.hasPrefix(
                "baseline model re-scored on this run's test data") == true)
        #expect(result.status == 1)
        #expect(result.stderr.contains("gates failed: r2"))
    }

    @Test func aSplitStageIsRescoredOnTheCandidatesHeldOutRowsOnceAndThenFromTheCache() throws {
        let repo = try TemporaryRepository()
        let config =
            "stages:\n  - {name: train, builtin: linear-regression, data: d.csv, target: y, split: 0.25}\ngates:\n  - {metric: r2, max_drop: 0.5}\n"
        try repo.commit(
            files: ["modelgate.yml": config, "d.csv": Self.housingCSV(rows: 300, seed: 1)], message: "one")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        try repo.commit(files: ["d.csv": Self.housingCSV(rows: 300, seed: 4, noise: 3)], message: "two")
        let first = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stdout.contains("baseline model re-scored on this run's test data (mae, mse, r2, rmse)"))
        // Same inputs on an amended commit: the verdict and its comparison come from the caches.
        try repo.git(["commit", "--amend", "--quiet", "-m", "two, reworded"])
        let again = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(again.stdout.contains("\"cached\" : true"))
        #expect(again.stdout.contains("baseline model re-scored on this run's test data"))
        let gate = { (text: String) in
            ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])
                .flatMap { ($0["gates"] as? [[String: Any]])?.first?["baseline"] as? Double }
        }
        #expect(gate(first.stdout) != nil && gate(first.stdout) == gate(again.stdout))
    }

    @Test func aCorruptedBatchFailsTheDataCheckWithItsPosition() throws {
        let repo = try makeRepository()
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        try repo.commit(
            files: ["data/train.csv": Self.housingCSV(rows: 400, seed: 1, shift: 20)], message: "shifted")
        let result = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("data check 'validate' found"))
        #expect(result.stderr.contains("data/train.csv:2:"))
    }

    @Test func driftIsMeasuredAgainstTheBaselineData() throws {
        let repo = try makeRepository()
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        try repo.commit(files: ["data/train.csv": Self.housingCSV(rows: 400, seed: 5)], message: "new sample")
        let result = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let metrics = record?["metrics"] as? [String: Double]
        #expect(metrics?["drift.psi.a"] != nil)
        #expect((metrics?["drift.ks.a"] ?? 1) < 0.2)  // same distribution, another sample
    }

    @Test func badDataIsExitTwoWithTheCell() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: linear-regression, data: d.csv, target: y}\n",
                "d.csv": "a,y\n1,2\n2,oops\n3,4\n",
            ], message: "bad cell")
        let result = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("d.csv:3:"))
    }
}

/// Number formatting for generated CSVs.
enum RunTestsFormat {
    static func number(_ value: Double) -> String { String(format: "%.6f", value) }
}
