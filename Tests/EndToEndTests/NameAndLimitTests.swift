import Foundation
import TestSupport
import Testing

/// One set of name rules (`NameRules`) from `modelgate.yml` to the record, and record limits
/// checked before the work they would waste: what a config accepts, a run can record.
@Suite struct NameAndLimitTests {
    typealias Hostile = HostileConfigTests.Hostile

    /// A stage name within 100 characters but 300 bytes passed the config and failed creating
    /// its log (exit 3, "check free disk space"); one character of 2 KB failed recording (and
    /// was printed whole). Both are refused by the config now, at the name, and printed short.
    @Test(arguments: [
        (String(repeating: "漢", count: 100), "is 300 bytes long; at most 200 are allowed"),
        ("a" + String(repeating: "\u{301}", count: 1_100), "the stage name 'a…' is 2201 bytes long"),
        ("t\u{2028}x", "holds U+2028, a control, line-break or invisible character"),
        (".model", "starts with '.'"),
    ])
    func stageNamesFollowTheNameRulesFromTheStart(_ name: String, _ message: String) throws {
        let hostile = try Hostile([
            // A stage that ran would leave `ran` beside the secret, which expectRefused checks.
            "modelgate.yml": "stages:\n  - name: \"\(name)\"\n    cmd: \"touch {outside}/ran\"\n",
            "README.md": "x\n",
        ])
        try hostile.expectRefused(location: "modelgate.yml:2:11", message: message)
        let run = try hostile.modelgate(["run"])
        #expect(run.stderr.utf8.count < 2_000, "\(run.stderr)")
        #expect(!run.stderr.contains("disk space"))
    }

    /// Metric names have no file-system rule: `val/loss` (Lightning, TensorBoard) can be gated,
    /// and an emoji with a joiner is a name; what the config accepts is recorded.
    @Test func metricNamesWithSeparatorsAndJoinersAreGatedAndRecorded() throws {
        let emoji = "👩\u{200D}💻"
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                stages:
                  - name: train
                    cmd: sh metrics.sh
                    deps: [metrics.sh]
                    metrics: metrics.json
                gates:
                  - {metric: val/loss, max: 0.3}
                  - {metric: "\(emoji)", min: 1}

                """,
                "metrics.sh": "printf '{\"val/loss\": 0.25, \"\(emoji)\": 1}' > metrics.json\n",
            ], message: "pipeline")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("val/loss"))
        let note = try repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        let record = try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any]
        #expect((record?["metrics"] as? [String: Double])?["val/loss"] == 0.25)
        #expect(try ModelgateBinary.run(["show"], in: repo.url).status == 0)
    }

    /// Input files the record could not list are refused before any stage runs, at the stage
    /// whose deps match them, with the hint for that limit.
    @Test func inputsOverTheRecordLimitAreRefusedBeforeAnyStageRuns() throws {
        let repo = try TemporaryRepository()
        // 1,100 files with 3,900-byte paths: about 4.3 MB of inputs in the note.
        let folder = (0..<15).map { _ in String(repeating: "d", count: 255) }.joined(separator: "/")
        var files = ["README.md": "x\n"]
        for index in 0..<1_100 { files["\(folder)/f\(index).csv"] = "\(index)\n" }
        let marker = repo.directory.appending("ran")
        files["modelgate.yml"] =
            "stages:\n  - name: t\n    cmd: \"touch '\(marker.path)'\"\n    deps: [\"**/*.csv\"]\n"
        try repo.write(files)
        try repo.git(["add", "--all"])  // 4 MB of paths: too long for one command line
        try repo.commit(message: "many long paths")
        let run = try ProcessRunner.run(
            "timeout", ["--kill-after=5", "120", try ModelgateBinary.url.path, "run"], in: repo.url)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(
            run.stderr.hasPrefix("error: the run record of HEAD ("), "\(run.stderr)")
        #expect(run.stderr.contains("(1100 input files, 0 metrics); a run record is at most 4 MiB"))
        #expect(run.stderr.contains("where: modelgate.yml:2:5 (stage 't')"))
        #expect(run.stderr.contains("fix:   narrow the stages' deps"))
        #expect(!FileManager.default.fileExists(atPath: marker.path), "a stage ran")
        #expect(try repo.gitResult(["show-ref", "--verify", "refs/notes/modelgate"]).status != 0)
    }

    /// A record that only the stage's metrics make too large is refused before its artifact is
    /// stored: no artifact, no record, exit 2 with the limit's hint.
    @Test func aRecordOverTheLimitIsRefusedBeforeItsArtifactIsStored() throws {
        let repo = try TemporaryRepository()
        // 10,000 metrics with 196-byte names, in `metrics` and in the stage's: about 4.3 MB.
        let script = #"""
            awk 'BEGIN { printf "{"; for (i = 0; i < 10000; i++) printf "%s\"%0196d\": %d", (i ? ", " : ""), i, i; print "}" }' > metrics.json
            echo model > model.bin

            """#
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - name: t\n    cmd: sh metrics.sh\n    deps: [metrics.sh]\n    metrics: metrics.json\n    outs: [model.bin]\n",
                "metrics.sh": script,
            ], message: "many long metric names")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(
            run.stderr.contains(" input files, 10000 metrics); a run record is at most 4 MiB"),
            "\(run.stderr)")
        #expect(run.stderr.contains("fix:   report fewer metrics or shorter metric names"))
        let store = repo.url.appendingPathComponent(".git/modelgate/store")
        let stored = (try? FileManager.default.subpathsOfDirectory(atPath: store.path)) ?? []
        #expect(stored.filter { $0.hasSuffix("manifest.json") }.isEmpty, "an artifact was stored: \(stored)")
        #expect(try repo.gitResult(["show-ref", "--verify", "refs/notes/modelgate"]).status != 0)
    }
}
