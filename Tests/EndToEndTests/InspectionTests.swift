import Foundation
import TestSupport
import Testing

/// `status`, `log`, `diff` and `show` on a repository evaluated with `modelgate run`.
@Suite struct InspectionTests {
    func makeFixture() throws -> RunTests.Fixture {
        let fixture = try RunTests.Fixture()
        #expect(try fixture.run().status == 0)
        try fixture.repo.commit(
            files: ["data/a.csv": "x\n1\n2\n3\n", "params.yaml": "lr: 0.1\n"], message: "more data")
        #expect(try fixture.run().status == 0)
        return fixture
    }

    func modelgate(_ arguments: [String], _ fixture: RunTests.Fixture) throws -> ProcessResult {
        try ModelgateBinary.run(arguments, in: fixture.repo.url)
    }

    @Test func logListsVerdictsAndMetrics() throws {
        let fixture = try makeFixture()
        try fixture.repo.commit(files: ["README.md": "x\n"], message: "docs only")
        try fixture.repo.commit(files: ["data/a.csv": "x\n5\n"], message: "new data")
        let log = try modelgate(["log", "--metric", "r2"], fixture)
        #expect(log.status == 0)
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].contains("(not evaluated)") && lines[0].hasSuffix("new data"))
        // Same inputs as its parent: the verdict is known by fingerprint, without a run or a note.
        #expect(lines[1].contains("pass   r2=0.93") && lines[1].hasSuffix("docs only"))
        #expect(try fixture.repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD~1"]).status != 0)
        #expect(lines[2].contains("pass   r2=0.93") && lines[2].hasSuffix("more data"))
        #expect(lines[3].contains("pass   r2=0.92") && !lines[3].contains("test.rows"))
        let json = try modelgate(["log", "--json", "-n", "2"], fixture)
        let entries = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.count == 2)
        #expect(entries?[1]["commit"] as? String == (try fixture.repo.git(["rev-parse", "HEAD~1"])))
        // Dates are ISO 8601 text, as in the notes (not seconds since 2001).
        let date = try #require(entries?[1]["date"] as? String)
        #expect(ISO8601DateFormatter().date(from: date) != nil, "\(date)")
        // --metric narrows the JSON records too.
        let narrowed = try modelgate(["log", "--json", "-n", "2", "--metric", "r2"], fixture)
        let narrowedEntries =
            try JSONSerialization.jsonObject(with: Data(narrowed.stdout.utf8)) as? [[String: Any]]
        let record = narrowedEntries?[1]["record"] as? [String: Any]
        #expect((record?["metrics"] as? [String: Any])?.keys.sorted() == ["r2"])
    }

    @Test func statusNamesChangedDependenciesWithoutRunning() throws {
        let fixture = try makeFixture()
        let clean = try modelgate(["status"], fixture)
        #expect(clean.stdout.contains("evaluate  unchanged"))
        #expect(clean.stdout.contains("trains nothing"))
        try fixture.repo.write(["data/a.csv": "x\n9\n"])
        let dirty = try modelgate(["status", "--json"], fixture)
        let status = try JSONSerialization.jsonObject(with: Data(dirty.stdout.utf8)) as? [String: Any]
        let stage = (status?["stages"] as? [[String: Any]])?.first
        #expect(stage?["changed"] as? Bool == true)
        #expect(stage?["changedFiles"] as? [String] == ["data/a.csv"])
        #expect(status?["cached"] as? Bool == false)
        // Staged view: nothing staged yet, so unchanged.
        #expect(try modelgate(["status", "--staged"], fixture).stdout.contains("evaluate  unchanged"))
        #expect(fixture.runCount == 2)
    }

    @Test func diffShowsMetricDeltasAndMarkdown() throws {
        let fixture = try makeFixture()
        let diff = try modelgate(["diff"], fixture)
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("r2 "))
        #expect(diff.stdout.contains("+0.01"))
        let md = try modelgate(["diff", "--md", "HEAD~1", "HEAD"], fixture)
        #expect(md.stdout.contains("| test.rows | 2 | 3 | +1 |"))
        let json = try modelgate(["diff", "--json"], fixture)
        let comparison = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let rows = comparison?["metrics"] as? [[String: Any]]
        #expect(
            (rows?.first { $0["name"] as? String == "r2" }?["delta"] as? Double).map { abs($0 - 0.01) < 1e-9 }
                == true)
        let unevaluated = try modelgate(["diff", "HEAD", "worktree"], fixture)
        #expect(unevaluated.status == 0)  // the work tree equals HEAD, whose inputs are cached
        try fixture.repo.write(["data/a.csv": "x\n"])
        let missing = try modelgate(["diff", "HEAD", "worktree"], fixture)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("run 'modelgate run --worktree' first"))
    }

    @Test func diffListsChangedParameters() throws {
        let fixture = try RunTests.Fixture()
        try fixture.repo.commit(
            files: [
                "params.yaml": "train:\n  lr: 0.1\n  epochs: 3\n",
                "modelgate.yml": try fixture.repo.read("modelgate.yml").replacingOccurrences(
                    of: "    metrics: metrics.json",
                    with: "    metrics: metrics.json\n    params: params.yaml"),
            ], message: "params")
        #expect(try fixture.run().status == 0)
        try fixture.repo.commit(
            files: ["params.yaml": "train:\n  lr: 0.05\n  epochs: 3\n"], message: "lower lr")
        #expect(try fixture.run().status == 0)
        #expect(fixture.runCount == 2)  // a parameter change is an input change
        let diff = try modelgate(["diff"], fixture)
        #expect(diff.stdout.contains("params.yaml:train.lr"))
        #expect(diff.stdout.contains("-0.05"))
        #expect(!diff.stdout.contains("train.epochs"))
    }

    @Test func showPrintsTheStoredRecord() throws {
        let fixture = try makeFixture()
        let show = try modelgate(["show", "HEAD~1", "--json"], fixture)
        #expect(show.status == 0)
        #expect(show.stdout.contains(try fixture.repo.git(["rev-parse", "HEAD~1"])))
        // An empty commit has its parent's inputs: its verdict is known without a note.
        try fixture.repo.commit(message: "empty")
        let adopted = try modelgate(["show"], fixture)
        #expect(adopted.status == 0, "\(adopted.stderr)")
        #expect(adopted.stdout.contains("verdict: pass"))
        try fixture.repo.commit(files: ["data/a.csv": "x\n7\n"], message: "new data")
        let none = try modelgate(["show"], fixture)
        #expect(none.status == 2)
        #expect(none.stderr.contains("has not been evaluated"))
    }

    @Test func ctrlCStopsTheStageAndRecordsNothing() throws {
        let fixture = try RunTests.Fixture(script: "echo started\nsleep 60\n")
        let process = Process()
        process.executableURL = try ModelgateBinary.url
        process.arguments = ["run"]
        process.currentDirectoryURL = fixture.repo.url
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        // Wait for the stage to start, then interrupt as a terminal would.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("started") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationStatus == 3)
        #expect(String(decoding: seen + rest, as: UTF8.self).contains("interrupted"))
        #expect(try fixture.repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"]).status != 0)
    }
}

/// `--worktree` runs: tracked edits and untracked (even ignored) data count, nothing is written back.
@Suite struct WorktreeTests {
    @Test func untrackedAndIgnoredDataAreInputs() throws {
        let fixture = try RunTests.Fixture()
        try fixture.repo.commit(files: [".gitignore": "data/extra.csv\n"], message: "ignore extra")
        try fixture.repo.write(["data/extra.csv": "x\n1\n"])
        let first = try fixture.run(["--worktree", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        let inputs = record?["inputs"] as? [String: String]
        #expect(inputs?["data/extra.csv"] == (try fixture.repo.git(["hash-object", "data/extra.csv"])))
        #expect(fixture.runCount == 1)
        // Unchanged: cached. Changed content of the ignored file: runs again.
        #expect(try fixture.run(["--worktree"]).stdout.contains("(cached)"))
        try fixture.repo.write(["data/extra.csv": "x\n1\n2\n"])
        #expect(!(try fixture.run(["--worktree"]).stdout.contains("(cached)")))
        #expect(fixture.runCount == 2)
        #expect(try fixture.repo.git(["status", "--porcelain"]).isEmpty)
        #expect(
            !FileManager.default.fileExists(
                atPath: fixture.repo.url.appendingPathComponent("metrics.json").path))
    }

    @Test func editedTrackedFileIsJudgedAsItIsOnDisk() throws {
        let fixture = try RunTests.Fixture()
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n4\n"])
        let result = try fixture.run(["--worktree", "--json"])
        #expect(result.stdout.contains("\"r2\" : 0.94"))
        #expect(try fixture.repo.git(["status", "--porcelain"]) == " M data/a.csv")
    }
}
