import Foundation
import TestSupport
import Testing

/// Gates with a `confidence` level, through the built binary: intervals in the record, the
/// outcome, `on_inconclusive`, and bad settings refused with exit 2.
@Suite struct SignificanceGateTests {
    /// label = 1 when x1 + x2/2 + noise > 0: a logistic model gets about 76 % right.
    static func classificationCSV(rows: Int, seed: UInt64) -> String {
        var generator = SeededGenerator(seed: seed)
        func normal() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            let v = Double.random(in: 0..<1, using: &generator)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        var lines = ["x1,x2,label"]
        for _ in 0..<rows {
            let x1 = normal()
            let x2 = normal()
            let label = x1 + 0.5 * x2 + normal() > 0 ? 1 : 0
            lines.append("\(RunTestsFormat.number(x1)),\(RunTestsFormat.number(x2)),\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func config(gates: String, significance: String = "") -> String {
        """
        name: churn
        stages:
          - name: train
            builtin: logistic-regression
            data: data.csv
            target: label
            split: 0.3
        gates:
        \(gates)
        \(significance)
        """
    }

    static let confidentGates = """
          - {metric: accuracy, min: 0.7, confidence: 0.95}
          - {metric: accuracy, max_drop: 0.0, confidence: 0.95}
          - {metric: roc_auc, max_drop: 0.01, confidence: 0.95}
          - {metric: log_loss, max_rise: 0.0, confidence: 0.9}
        """

    /// A baseline commit and a candidate with 10 % more rows of the same distribution.
    func makeRepository(significance: String) throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        let data = Self.classificationCSV(rows: 3000, seed: 1)
        try repo.commit(
            files: [
                "modelgate.yml": Self.config(gates: Self.confidentGates, significance: significance),
                "data.csv": data,
            ], message: "baseline")
        let first = try ModelgateBinary.run(["run", "--rev", "HEAD"], in: repo.url)
        #expect(first.status == 0, "\(first.stderr)")
        let more = Self.classificationCSV(rows: 300, seed: 2).split(separator: "\n").dropFirst()
        try repo.commit(files: ["data.csv": data + more.joined(separator: "\n") + "\n"], message: "more rows")
        return repo
    }

    struct Record: Decodable {
        let verdict: String
        let gates: [Gate]
    }

    struct Gate: Decodable, Equatable {
        let metric: String
        let status: String
        let confidence: Double?
        let interval: [Double]?
        let pValue: Double?
        let method: String?
        let paired: Bool?
        let n: Int?
        let outcome: String?
        let mde: Double?

        enum CodingKeys: String, CodingKey {
            case metric, status, confidence, interval, method, paired, n, outcome, mde
            case pValue = "p_value"
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func confidentGatesRecordIntervalsAndRepeatThem() throws {
        let repo = try makeRepository(significance: "significance: {resamples: 2000, correction: holm}")
        let run = try ModelgateBinary.run(["run", "--rev", "HEAD", "--json"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        let record = try JSONDecoder().decode(Record.self, from: Data(run.stdout.utf8))
        let methods = record.gates.map(\.method)
        #expect(methods == ["clopper-pearson", "mcnemar", "delong", "bootstrap-percentile"])
        #expect(record.gates.map(\.paired) == [false, true, true, true])
        for gate in record.gates {
            let interval = try #require(gate.interval)
            #expect(interval.count == 2 && interval[0] <= interval[1], "\(gate)")
            #expect(gate.n == 990 || (gate.n ?? 0) > 900, "\(gate)")
            #expect((gate.pValue ?? -1) >= 0 && (gate.pValue ?? 2) <= 1)
            #expect((gate.mde ?? 0) > 0)
            #expect(["pass", "fail", "inconclusive"].contains(gate.outcome ?? ""))
        }
        #expect(record.gates[3].confidence == 0.9)
        // The accuracy threshold is clear; a drop bound of exactly 0 between two models trained
        // on nearly the same rows cannot be shown either way.
        #expect(record.gates[0].outcome == "pass")
        #expect(record.gates[1].outcome == "inconclusive" && record.gates[1].status == "pass")
        // The same inputs give the same intervals: a forced rerun (fresh training and scoring).
        let again = try ModelgateBinary.run(["run", "--rev", "HEAD", "--json", "--force"], in: repo.url)
        #expect(try JSONDecoder().decode(Record.self, from: Data(again.stdout.utf8)).gates == record.gates)
        // The terminal shows the interval in words.
        let shown = try ModelgateBinary.run(["show", "HEAD"], in: repo.url)
        #expect(shown.stdout.contains("pass (inconclusive)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("drop "), "\(shown.stdout)")
        #expect(shown.stdout.contains("— inconclusive, this test set detects drops ≥ "), "\(shown.stdout)")
        // `diff` lists side B's intervals too.
        let diff = try ModelgateBinary.run(["diff", "HEAD~1", "HEAD"], in: repo.url)
        #expect(diff.stdout.contains("gates with confidence:"), "\(diff.stdout)")
        #expect(diff.stdout.contains("(mcnemar, paired, n "), "\(diff.stdout)")
        // The site's commit page lists the interval under the gate.
        let site = repo.url.appendingPathComponent("public")
        #expect(try ModelgateBinary.run(["site", "--out", site.path], in: repo.url).status == 0)
        let head = try repo.git(["rev-parse", "HEAD"])
        let page = try String(contentsOf: site.appendingPathComponent("commit/\(head).html"), encoding: .utf8)
        #expect(page.contains("<tr class=\"significance\">"), "\(page)")
        #expect(page.contains("this test set detects drops ≥"), "\(page)")
    }

    @Test(.timeLimit(.minutes(2)))
    func inconclusiveFailsWhenAskedTo() throws {
        let repo = try makeRepository(significance: "significance: {resamples: 500, on_inconclusive: fail}")
        let run = try ModelgateBinary.run(["run", "--rev", "HEAD", "--json"], in: repo.url)
        #expect(run.status == 1, "\(run.stderr)")
        let record = try JSONDecoder().decode(Record.self, from: Data(run.stdout.utf8))
        #expect(record.verdict == "fail")
        #expect(record.gates[1].outcome == "inconclusive" && record.gates[1].status == "fail")
        #expect(run.stderr.contains("gates failed: accuracy"), "\(run.stderr)")
    }

    @Test func plainGatesRecordNoSignificanceFields() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": Self.config(gates: "  - {metric: accuracy, min: 0.7}"),
                "data.csv": Self.classificationCSV(rows: 400, seed: 3),
            ], message: "plain")
        let run = try ModelgateBinary.run(["run", "--rev", "HEAD", "--json"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        for key in ["confidence", "interval", "p_value", "outcome", "mde", "method"] {
            #expect(!run.stdout.contains("\"\(key)\""), "\(key) in \(run.stdout)")
        }
    }

    @Test(arguments: [
        (
            "  - {metric: accuracy, min: 0.7, confidence: 1.0}", "", "confidence on 'accuracy' is 1.0",
            "modelgate.yml:9:"
        ),
        (
            "  - {metric: accuracy, min: 0.7, confidence: 0.5}", "", "confidence on 'accuracy' is 0.5",
            "modelgate.yml:9:"
        ),
        (
            "  - {metric: accuracy, min: 0.7, confidence: 0.95}", "significance: {resamples: 99}",
            "significance.resamples is 99",
            "modelgate.yml:10:"
        ),
        (
            "  - {metric: accuracy, min: 0.7, confidence: 0.95}", "significance: {resamples: 1000001}",
            "significance.resamples is 1000001", "modelgate.yml:10:"
        ),
        (
            "  - {metric: accuracy, min: 0.7, confidence: 0.95}", "significance: {on_inconclusive: maybe}",
            "significance.on_inconclusive is 'maybe'", "modelgate.yml:10:"
        ),
        (
            "  - {metric: accuracy, min: 0.7, confidence: 0.95}", "significance: {correction: bonferroni}",
            "significance.correction is 'bonferroni'", "modelgate.yml:10:"
        ),
        (
            "  - {metric: accuracy, min: 0.7, confidence: 0.95}", "significance: {alpha: 0.05}", "alpha",
            "modelgate.yml:10:"
        ),
    ])
    func badSettingsExitTwoNamingTheLine(
        gates: String, significance: String, message: String, location: String
    ) throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": Self.config(gates: gates, significance: significance),
                "data.csv": Self.classificationCSV(rows: 100, seed: 4),
            ], message: "bad settings")
        let run = try ModelgateBinary.run(["run", "--rev", "HEAD"], in: repo.url)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stderr.contains(location), "\(run.stderr)")
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "list"]).output.isEmpty)
    }
}
