import Foundation
import TestSupport
import Testing

/// A command stage's `predictions:` file: gates with a confidence use it, paired by id with the
/// baseline's; a file that cannot be used is bad input (exit 2) naming the file and line.
@Suite struct PredictionsFileTests {
    /// A command that copies `pred.csv` and `metrics.json` from `source/` (files the test writes).
    static let config = """
        name: scored
        stages:
          - name: evaluate
            cmd: cp source/pred.csv pred.csv && cp source/metrics.json metrics.json
            deps: ["source/*"]
            metrics: metrics.json
            predictions: pred.csv
        gates:
          - {metric: accuracy, min: 0.6, confidence: 0.95}
          - {metric: accuracy, max_drop: 0.0, confidence: 0.95}

        """

    /// 1,000 rows, `wrong` of them mispredicted (the rows `offset..<offset+wrong`).
    static func predictions(wrong: Int, offset: Int = 0) -> (csv: String, accuracy: Double) {
        var lines = ["id,y_true,y_pred,score"]
        for i in 0..<1000 {
            let truth = i % 2
            let predicted = (offset..<(offset + wrong)).contains(i) ? 1 - truth : truth
            lines.append("r\(i),\(truth),\(predicted),\(predicted == 1 ? "0.8" : "0.2")")
        }
        return (lines.joined(separator: "\n") + "\n", Double(1000 - wrong) / 1000)
    }

    func commit(_ repo: TemporaryRepository, csv: String, accuracy: Double, message: String) throws {
        try repo.commit(
            files: [
                "modelgate.yml": Self.config, "source/pred.csv": csv,
                "source/metrics.json": "{\"accuracy\": \(accuracy)}\n",
            ], message: message)
    }

    @Test(.timeLimit(.minutes(2)))
    func pairsTheBaselineByIDAndFindsARealDrop() throws {
        let repo = try TemporaryRepository()
        let baseline = Self.predictions(wrong: 100)
        try commit(repo, csv: baseline.csv, accuracy: baseline.accuracy, message: "baseline")
        #expect(try ModelgateBinary.run(["run", "--rev", "HEAD"], in: repo.url).status == 0)
        // 60 more rows wrong, all of them rows the baseline got right: a paired drop of 6 points.
        let worse = Self.predictions(wrong: 160)
        try commit(repo, csv: worse.csv, accuracy: worse.accuracy, message: "worse")
        let run = try ModelgateBinary.run(["run", "--rev", "HEAD", "--json"], in: repo.url)
        #expect(run.status == 1, "\(run.stderr)")
        let record = try JSONDecoder().decode(SignificanceGateTests.Record.self, from: Data(run.stdout.utf8))
        let drop = record.gates[1]
        #expect(drop.method == "mcnemar" && drop.paired == true && drop.outcome == "fail", "\(drop)")
        let interval = try #require(drop.interval)
        #expect(interval[0] > 0.04 && interval[1] < 0.08, "\(interval)")
    }

    @Test(arguments: [
        (
            "id,y_true,y_pred\nr1,1,1\nr2,0,0\nr1,0,1\n", 0.667, "the id 'r1' repeats (first on line 2)",
            "pred.csv:4:"
        ),
        (
            "id,y_true,y_pred,score\nr1,1,1,0.9\nr2,0,0,nan\n", 1.0, "'score' is 'nan', not a finite number",
            "pred.csv:3:"
        ),
        (
            "id,y_true,y_pred,score\nr1,1,1,0.9\nr2,0,0,\n", 1.0, "'score' is not a finite number",
            "pred.csv:3:"
        ),
        (
            "id,y_true,y_pred\nr1,1,1\nr2,0,0\nr3,0,1\n", 0.9,
            "the rows of 'pred.csv' give accuracy 0.6667, but stage 'evaluate' reported 0.9", "pred.csv"
        ),
        ("id,truth,y_pred\nr1,1,1\n", 1.0, "the predictions file has no 'y_true' column", "pred.csv:1"),
    ])
    func unusableFilesExitTwoNamingFileAndLine(
        csv: String, accuracy: Double, message: String, location: String
    ) throws {
        let repo = try TemporaryRepository()
        try commit(repo, csv: csv, accuracy: accuracy, message: "bad predictions")
        let run = try ModelgateBinary.run(["run", "--rev", "HEAD"], in: repo.url)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stderr.contains("where: \(location)"), "\(run.stderr)")
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "list"]).output.isEmpty)
    }
}
