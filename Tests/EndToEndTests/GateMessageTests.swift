import Foundation
import TestSupport
import Testing

/// Gate messages as a new user meets them: every recorded metric can be gated, a metric is named
/// once however many of its gates failed, progress never says "pass" before a refusal, and a
/// refused `git commit -a` names a command that really reproduces the refusal.
@Suite struct GateMessageTests {
    static func labelled(rows: Int) -> String {
        var lines = ["a,b,label"]
        for index in 0..<rows {
            let a = Double(index % 13) / 13
            let b = Double(index % 5) / 5
            lines.append("\(a),\(b),\(a + b > 0.8 ? "yes" : "no")")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func everyMetricATrainerRecordsCanBeGated() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: train, builtin: logistic-regression, data: d.csv, target: label, split: 0.3}\ngates:\n  - {metric: precision_weighted, min: 0.5}\n  - {metric: recall_weighted, min: 0.5}\n",
                "d.csv": Self.labelled(rows: 200),
            ], message: "classifier")
        let result = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let statuses = (record?["gates"] as? [[String: Any]])?.map { $0["status"] as? String }
        #expect(statuses == ["pass", "pass"])
    }

    @Test func aMetricIsNamedOnceWithEveryLimitItBrokeAndStagesSayDoneNotPass() throws {
        let repo = try TemporaryRepository()
        let config =
            "stages:\n  - {name: train, builtin: linear-regression, data: d.csv, target: y, test: t.csv}\ngates:\n  - {metric: r2, min: 0.99}\n  - {metric: r2, max_drop: 0.01}\n  - {metric: rmse, max: 100}\n"
        try repo.commit(
            files: [
                "modelgate.yml": config, "d.csv": BuiltinStageTests.housingCSV(rows: 300, seed: 1),
                "t.csv": BuiltinStageTests.housingCSV(rows: 100, seed: 2),
            ], message: "clean")
        let first = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("modelgate: train done ("))
        #expect(!first.stderr.contains("train pass"))
        try repo.commit(
            files: ["d.csv": BuiltinStageTests.housingCSV(rows: 300, seed: 4, shift: 3)], message: "shifted")
        let second = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(second.status == 1)
        #expect(
            second.stderr.contains("modelgate: gates failed: r2 (>= 0.99, drop <= 0.01)\n"),
            "\(second.stderr)")
        #expect(!second.stderr.contains("train pass"))
    }

    /// `git commit -a` stages into a temporary index that is gone after the refusal; the reproduce
    /// line stages the same paths first, so pasting it gives the same refusal (and a bare
    /// `modelgate run --staged`, which judges the untouched index, would not).
    @Test func aRefusedCommitAllNamesACommandThatReproducesTheRefusal() throws {
        let fixture = try HookFixture()
        try fixture.repo.write(["data/a.csv": HookFixture.failingData])
        let refused = try fixture.repo.gitResult(["commit", "--quiet", "-a", "-m", "fewer rows"])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "modelgate: commit refused: 1 gate(s) failed on the staged files: r2 (>= 0.92)"))
        #expect(
            refused.stderr.contains("modelgate: evaluate done (") && !refused.stderr.contains("evaluate pass")
        )
        let line = try #require(refused.stderr.firstMatch(of: /reproduce: (.*)\n/)).1
        #expect(line == "git add -- data/a.csv && modelgate run --staged")

        let bare = try fixture.modelgate(["run", "--staged"])
        #expect(bare.status == 0, "the untouched index passes: \(bare.stdout)")
        let binaryDirectory = try ModelgateBinary.url.deletingLastPathComponent().path
        let pasted = try ProcessRunner.run(
            "/bin/sh", ["-c", String(line)], in: fixture.repo.url,
            environment: fixture.repo.gitEnvironment().merging([
                "PATH": binaryDirectory + ":"
                    + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            ]) { _, new in new })
        #expect(pasted.status == 1, "\(pasted.stdout)\(pasted.stderr)")
        #expect(pasted.stdout.contains("verdict: fail for the staged files"))
    }

    @Test func pathsInTheReproduceLineAreQuotedForTheShell() throws {
        let fixture = try HookFixture()
        try fixture.repo.write(["data/a b's.csv": "x\n1\n2\n"])
        try fixture.repo.git(["add", "--", "data/a b's.csv"])
        try fixture.repo.git(["commit", "--quiet", "--no-verify", "-m", "second file"])
        try fixture.repo.write([
            "data/a b's.csv": HookFixture.failingData, "data/a.csv": HookFixture.failingData,
        ])
        let refused = try fixture.repo.gitResult(["commit", "--quiet", "-a", "-m", "fewer rows"])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "reproduce: git add -- 'data/a b'\\''s.csv' data/a.csv && modelgate run --staged"),
            "\(refused.stderr)")
    }
}
