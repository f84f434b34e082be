import Foundation
import TestSupport
import Testing

/// Like with like, for real: the baseline model is re-scored without the rows it trained on, and
/// a baseline that measured another task is not compared at all.
@Suite struct BaselineComparabilityTests {
    static func decode(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// The first scenario: `split: 0.2` becomes an explicit `test:` file holding the old
    /// data's rows (columns reordered, rows reversed: identity is by content, not bytes). Only
    /// the rows the baseline held out are scored, so its re-scored r2 is exactly its own test r2.
    @Test func rowsTheBaselineTrainedOnAreLeftOutOfItsRescoring() throws {
        let repo = try TemporaryRepository()
        let data = BuiltinStageTests.housingCSV(rows: 300, seed: 5, noise: 30)
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: linear-regression, data: d.csv, target: y, split: 0.2}\ngates:\n  - {metric: r2, max_drop: 0.05}\n",
                "d.csv": data,
            ], message: "split")
        let first = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(first.status == 0, "\(first.stderr)")
        let baselineR2 = try #require((Self.decode(first.stdout)?["metrics"] as? [String: Double])?["r2"])
        let counts = try #require(
            first.stderr.firstMatch(of: /linear-regression: (\d+) training rows, (\d+) test rows/))
        let (trained, heldOut) = (Int(counts.1)!, Int(counts.2)!)

        // The old data becomes the test file (y first, rows reversed); new rows are trained on.
        let rows = data.split(separator: "\n").dropFirst().map { line -> String in
            let cells = line.split(separator: ",")
            return "\(cells[2]),\(cells[1]),\(cells[0])"
        }
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: linear-regression, data: train.csv, target: y, test: test.csv}\ngates:\n  - {metric: r2, max_drop: 0.05}\n",
                "train.csv": BuiltinStageTests.housingCSV(rows: 300, seed: 6, noise: 30),
                "test.csv": "y,b,a\n" + rows.reversed().joined(separator: "\n") + "\n",
            ], message: "explicit test file")
        let second = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        let record = try #require(Self.decode(second.stdout))
        let comparison = (record["baseline"] as? [String: Any])?["comparison"] as? String ?? ""
        #expect(
            comparison.hasSuffix(
                "on \(heldOut) test rows; \(trained) rows the baseline model trained on left out"),
            "\(comparison)")
        let gate = try #require((record["gates"] as? [[String: Any]])?.first)
        let rescored = try #require(gate["baseline"] as? Double)
        #expect(abs(rescored - baselineR2) < 1e-9, "baseline r2 \(rescored) vs its own test r2 \(baselineR2)")
        // The plain output says it too.
        let plain = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(plain.stdout.contains("\(trained) rows the baseline model trained on left out"))
    }

    /// The second scenario: linear → logistic regression. The old regression model is not
    /// re-scored on a classification task; baseline gates say no-baseline, thresholds still apply.
    @Test func aChangedTaskHasNoComparableBaseline() throws {
        let repo = try TemporaryRepository()
        var lines = ["a,b,label"]
        for index in 0..<200 {
            let a = Double(index % 17) / 17
            let b = Double(index % 7) / 7
            lines.append("\(a),\(b),\(a + b > 0.9 ? 1 : 0)")
        }
        let data = lines.joined(separator: "\n") + "\n"
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: linear-regression, data: d.csv, target: label, split: 0.2}\ngates:\n  - {metric: r2, min: 0.1}\n  - {metric: r2, max_drop: 0.01}\n",
                "d.csv": data,
            ], message: "regression on a 0/1 target")
        let first = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: logistic-regression, data: d.csv, target: label, split: 0.2}\ngates:\n  - {metric: accuracy, min: 0.7}\n  - {metric: accuracy, max_drop: 0.01}\n"
            ], message: "classification")
        let second = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(second.status == 0, "\(second.stderr)")
        let record = try #require(Self.decode(second.stdout))
        let comparison = (record["baseline"] as? [String: Any])?["comparison"] as? String
        #expect(
            comparison
                == "no comparable baseline: the task/target changed (stage 'train' was linear-regression, is now logistic-regression)"
        )
        let statuses = (record["gates"] as? [[String: Any]])?.map { $0["status"] as? String }
        #expect(statuses == ["pass", "no-baseline"])
        let plain = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(plain.stdout.contains("no comparable baseline: the task/target changed"))

        // Another target column is another task too.
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: logistic-regression, data: d.csv, target: label, features: [a], split: 0.2}\n  - {name: other, builtin: linear-regression, data: d.csv, target: b, features: [a]}\ngates:\n  - {metric: accuracy, max_drop: 0.5}\n"
            ], message: "same task")
        let third = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        let thirdComparison =
            (Self.decode(third.stdout)?["baseline"] as? [String: Any])?["comparison"] as? String
        #expect(
            thirdComparison?.hasPrefix("baseline model re-scored on this run's test data") == true,
            "\(third.stdout)")
    }
}
