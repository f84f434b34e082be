import Foundation
import TestSupport
import Testing

/// `modelgate run` on real repositories whose stage is a small shell script.
@Suite struct RunTests {
    /// A repository whose `evaluate` stage reads `data/a.csv`, counts its runs in `runs.log` (outside
    /// the repository), and reports r2 = 0.9 + rows/100.
    final class Fixture {
        let repo: TemporaryRepository
        var runCount: Int {
            (try? String(contentsOf: repo.directory.appending("runs.log"), encoding: .utf8))?
                .split(separator: "\n").count ?? 0
        }

        init(
            gates: String = "  - {metric: r2, min: 0.9}\n  - {metric: r2, max_drop: 0.015}\n",
            script: String? = nil,
            baseline: String = "ancestor"
        ) throws {
            repo = try TemporaryRepository()
            let counter = repo.directory.appending("runs.log").path
            try repo.commit(
                files: [
                    "modelgate.yml": ScoringPipeline.config(
                        timeout: "5s", extra: "baseline: \(baseline)\ngates:\n\(gates)"),
                    "score.sh": script ?? ScoringPipeline.script(counter: counter, testRows: true),
                    "data/a.csv": "x\n1\n2\n",
                    "README.md": "demo\n",
                ], message: "initial model")
        }

        func run(_ arguments: [String] = []) throws -> ProcessResult {
            try ModelgateBinary.run(["run"] + arguments, in: repo.url)
        }
    }

    @Test func passRecordsANoteThatGitShows() throws {
        let fixture = try Fixture()
        let result = try fixture.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("verdict: pass for HEAD"))
        #expect(result.stderr.contains("evaluate | rows: 2"))
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        let record = try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any]
        #expect(record?["verdict"] as? String == "pass")
        #expect(record?["commit"] as? String == (try fixture.repo.git(["rev-parse", "HEAD"])))
        #expect((record?["metrics"] as? [String: Double])?["test.rows"] == 2)
        #expect((record?["metrics"] as? [String: Double])?["r2"] == 0.92)
        let inputs = record?["inputs"] as? [String: String]
        #expect(inputs?["data/a.csv"] == (try fixture.repo.git(["rev-parse", "HEAD:data/a.csv"])))
        #expect(fixture.runCount == 1)
    }

    @Test func thresholdFailureExitsOne() throws {
        let fixture = try Fixture(gates: "  - {metric: r2, min: 0.95}\n")
        let result = try fixture.run()
        #expect(result.status == 1)
        #expect(result.stdout.contains("verdict: fail"))
        #expect(result.stdout.contains("r2      0.92   >= 0.95"))
        #expect(result.stderr.contains("gates failed: r2"))
        #expect(result.stderr.contains("reproduce: modelgate run --rev"))
    }

    @Test func regressionAgainstTheAncestorBaselineFails() throws {
        let fixture = try Fixture()
        #expect(try fixture.run().status == 0)
        let base = try fixture.repo.git(["rev-parse", "--short=7", "HEAD"])
        // Five rows: r2 0.95 -> passes the threshold; then one row: 0.91, a drop of 0.04 from 0.95.
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n3\n4\n5\n"], message: "more rows")
        #expect(try fixture.run().status == 0)
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n"], message: "fewer rows")
        let result = try fixture.run()
        #expect(result.status == 1)
        #expect(result.stdout.contains("drop <= 0.015  0.95      -0.04  fail"))
        #expect(!result.stdout.contains(base))  // baseline is the nearest passing ancestor, not the first
        let json = try fixture.run(["--json"])
        let record = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let baseline = record?["baseline"] as? [String: Any]
        #expect(baseline?["commit"] as? String == (try fixture.repo.git(["rev-parse", "HEAD~1"])))
    }

    @Test func missingBaselineIsReportedNotPassed() throws {
        let fixture = try Fixture()
        let json = try fixture.run(["--json"])
        #expect(json.status == 0)
        let record = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let gates = record?["gates"] as? [[String: Any]]
        #expect(gates?.last?["status"] as? String == "no-baseline")
        #expect(gates?.last?["passed"] == nil || gates?.last?["passed"] is NSNull)
    }

    @Test func crashIsAnErrorVerdictWithItsLog() throws {
        let fixture = try Fixture(script: "echo boom >&2\nexit 7\n")
        let result = try fixture.run()
        #expect(result.status == 3)
        #expect(result.stderr.contains("stage 'evaluate' failed: 'sh score.sh' exited with status 7"))
        #expect(result.stderr.contains("evaluate | boom"))
        #expect(result.stderr.contains("reproduce with 'modelgate run --rev"))
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        #expect(note.contains("\"verdict\" : \"error\""))
    }

    @Test func timeoutStopsTheStage() throws {
        let fixture = try Fixture(script: "sleep 60\n")
        let clock = ContinuousClock()
        let start = clock.now
        let result = try fixture.run()
        #expect(result.status == 3)
        #expect(result.stderr.contains("timed out after 5.0 seconds"))
        #expect(clock.now - start < .seconds(30))
    }

    @Test func malformedAndMissingMetricsAreErrors() throws {
        let malformed = try Fixture(script: "echo '{\"r2\": oops}' > metrics.json\n")
        let bad = try malformed.run()
        #expect(bad.status == 3)
        #expect(
            bad.stderr.contains(
                "the metrics file 'metrics.json' of stage 'evaluate' cannot be used: it is not valid JSON"))
        let wrongType = try Fixture(script: "echo '{\"r2\": \"high\"}' > metrics.json\n")
        #expect(try wrongType.run().stderr.contains("'r2' is the string \"high\"; write a number"))
        let missing = try Fixture(script: "true\n")
        let none = try missing.run()
        #expect(none.status == 3)
        #expect(none.stderr.contains("wrote no metrics file 'metrics.json'"))
    }

    @Test func stagedContentIsJudgedAndTheWorkTreeIsUntouched() throws {
        let fixture = try Fixture()
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n4\n5\n6\n7\n"])
        try fixture.repo.git(["add", "data/a.csv"])
        try fixture.repo.write(["data/a.csv": "x\n1\n", "scratch.txt": "unstaged\n"])
        let statusBefore = try fixture.repo.git(["status", "--porcelain"])
        let index = repoIndex(fixture.repo)
        let result = try fixture.run(["--staged", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"r2\" : 0.97"))  // 7 staged rows, not the 1 in the work tree
        #expect(try fixture.repo.git(["status", "--porcelain"]) == statusBefore)
        #expect(try fixture.repo.read("data/a.csv") == "x\n1\n")
        #expect(repoIndex(fixture.repo) == index)
        #expect(
            !FileManager.default.fileExists(
                atPath: fixture.repo.url.appendingPathComponent("metrics.json").path))
    }

    @Test func amendedAndRebasedCommitsReuseTheVerdict() throws {
        let fixture = try Fixture()
        #expect(try fixture.run().status == 0)
        #expect(fixture.runCount == 1)
        try fixture.repo.git(["commit", "--amend", "--quiet", "-m", "reworded"])
        let amended = try fixture.run()
        #expect(amended.status == 0)
        #expect(amended.stdout.contains("(cached)"))
        #expect(fixture.runCount == 1)
        // A commit touching only README: same inputs, no run.
        try fixture.repo.commit(files: ["README.md": "more words\n"], message: "docs")
        #expect(try fixture.run().stdout.contains("(cached)"))
        #expect(fixture.runCount == 1)
        // Rebase the docs commit onto a new base with the same data: still no run.
        try fixture.repo.git(["checkout", "--quiet", "-b", "side", "HEAD~1"])
        try fixture.repo.commit(files: ["NOTES.md": "n\n"], message: "side note")
        try fixture.repo.git(["checkout", "--quiet", "main"])
        try fixture.repo.git(["rebase", "--quiet", "side"])
        let rebased = try fixture.run()
        #expect(rebased.stdout.contains("(cached)"))
        #expect(fixture.runCount == 1)
        #expect(try fixture.repo.git(["notes", "--ref=modelgate", "list", "HEAD"]).isEmpty == false)
        // --force runs again.
        #expect(try fixture.run(["--force"]).status == 0)
        #expect(fixture.runCount == 2)
    }

    @Test func concurrentRunsSerialiseAndReuse() throws {
        let fixture = try Fixture(
            script: "echo run >> runs-here.log\nsleep 1\nprintf '{\"r2\": 0.95}' > metrics.json\n")
        // Count runs through the counter file of the default script instead: replace it.
        let counter = fixture.repo.directory.appending("runs.log").path
        try fixture.repo.commit(
            files: [
                "score.sh": "echo run >> '\(counter)'\nsleep 1\nprintf '{\"r2\": 0.95}' > metrics.json\n"
            ],
            message: "slow stage")
        let results = try (0..<3).map { _ in
            try ProcessRunner.start(try ModelgateBinary.url.path, ["run"], in: fixture.repo.url)
        }.map { try $0.wait() }
        #expect(results.allSatisfy { $0.status == 0 })
        #expect(fixture.runCount == 1)
        #expect(results.filter { $0.stdout.contains("(cached)") }.count == 2)
    }

    @Test func aGlobMatchingNothingIsAConfigError() throws {
        let fixture = try Fixture()
        try fixture.repo.git(["rm", "--quiet", "data/a.csv"])
        try fixture.repo.commit(message: "drop data")
        let result = try fixture.run()
        #expect(result.status == 2)
        #expect(result.stderr.contains("stage 'evaluate' depends on 'data/*.csv', which matches no file"))
        #expect(result.stderr.contains("where: modelgate.yml:3:5"))
    }

    @Test func unknownRevIsBadInput() throws {
        let fixture = try Fixture()
        let result = try fixture.run(["--rev", "no-such-branch"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no-such-branch"))
        let both = try fixture.run(["--staged", "--worktree"])
        #expect(both.status == 64)
    }

    @Test func releaseBaselineComparesWithTheLatestReleasedCommit() throws {
        let fixture = try Fixture(gates: "  - {metric: r2, max_drop: 0.02}\n", baseline: "release")
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n3\n4\n5\n"], message: "r2 0.95")
        #expect(try fixture.run().status == 0)
        try fixture.repo.git(["tag", "-a", "-m", "release", "demo@v1.0.0"])
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n3\n"], message: "r2 0.93")
        #expect(try fixture.run().status == 0)  // 0.02 below the release: within the bound
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n"], message: "r2 0.92")
        let result = try fixture.run(["--json"])
        #expect(result.status == 1)  // 0.03 below the release, though only 0.01 below its parent
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let baseline = record?["baseline"] as? [String: Any]
        #expect(baseline?["policy"] as? String == "release")
        #expect(
            baseline?["commit"] as? String == (try fixture.repo.git(["rev-parse", "demo@v1.0.0^{commit}"])))
    }

    @Test func branchBaselineComparesWithTheBranchTip() throws {
        let fixture = try Fixture(gates: "  - {metric: r2, max_rise: 0}\n", baseline: "branch:main")
        #expect(try fixture.run().status == 0)  // r2 0.92 on main; no baseline before it
        try fixture.repo.git(["checkout", "--quiet", "-b", "feature"])
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n"], message: "fewer rows")
        let lower = try fixture.run(["--json"])
        #expect(lower.status == 0)
        #expect(lower.stdout.contains(try fixture.repo.git(["rev-parse", "main"])))
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n3\n"], message: "more rows")
        let higher = try fixture.run()
        #expect(higher.status == 1)  // 0.93 rises above main's 0.92, which max_rise: 0 forbids
        #expect(higher.stdout.contains("rise <= 0"))
    }

    private func repoIndex(_ repo: TemporaryRepository) -> Data? {
        FileManager.default.contents(atPath: repo.url.appendingPathComponent(".git/index").path)
    }
}

extension RunTests {
    @Test func aCachedRerunDoesNotRewriteTheNote() throws {
        let fixture = try Fixture()
        #expect(try fixture.run().status == 0)
        let notesTip = try fixture.repo.git(["rev-parse", "refs/notes/modelgate"])
        #expect(try fixture.run().stdout.contains("(cached)"))
        #expect(try fixture.repo.git(["rev-parse", "refs/notes/modelgate"]) == notesTip)
    }

    @Test func aCommitMadeAfterAStagedRunIsTheNextBaseline() throws {
        let fixture = try Fixture()
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n4\n5\n"])
        try fixture.repo.git(["add", "data/a.csv"])
        #expect(try fixture.run(["--staged"]).status == 0)  // as the pre-commit hook does: r2 0.95
        try fixture.repo.commit(message: "five rows")
        let evaluated = try fixture.repo.git(["rev-parse", "HEAD"])
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n"], message: "two rows")
        let result = try fixture.run(["--json"])
        #expect(result.status == 1)  // 0.92 is 0.03 below the staged run's 0.95
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((record?["baseline"] as? [String: Any])?["commit"] as? String == evaluated)
        // The adopted verdict is now the note of the evaluated commit.
        #expect(try fixture.repo.git(["notes", "--ref=modelgate", "show", evaluated]).contains(evaluated))
        #expect(fixture.runCount == 2)
    }
}
