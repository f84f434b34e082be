import Foundation
import Pipeline
import TestSupport
import Testing

/// A verdict taken from the cache keeps the training time of the run that measured it, and says
/// it was reused and when that run was: in the record, `show`, the Markdown report, the site and
/// the hook's message.
@Suite struct CachedVerdictTimingTests {
    func record(_ fixture: HookFixture, _ rev: String) throws -> [String: Any] {
        let shown = try fixture.modelgate(["show", rev, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
    }

    func stage(_ record: [String: Any]) -> [String: Any]? {
        (record["stages"] as? [[String: Any]])?.first
    }

    @Test func aReusedVerdictShowsTheOriginalTrainingTime() throws {
        let fixture = try HookFixture()
        // A stage that takes a while, so its time is well above 0 ms.
        let counter = fixture.repo.directory.appending("runs.log").path
        let slow = "sleep 0.3\n" + ScoringPipeline.script(counter: counter, testRows: false)
        let trained = try fixture.commit(
            ["score.sh": slow, "data/a.csv": "x\n1\n2\n3\n"], message: "slower stage, more data")
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(fixture.runCount == 1)
        let trainedID = try fixture.head()

        // The commit the pre-commit hook trained shows its own run: the time, not "cached".
        let original = try record(fixture, trainedID)
        let milliseconds = try #require(stage(original)?["duration_ms"] as? Int)
        #expect(milliseconds > 0)
        #expect(stage(original)?["cached"] as? Bool == false)
        #expect(original["cached_from"] == nil)
        let started = try #require(original["started"] as? String)

        // A commit that changes no input reuses that verdict and keeps its time.
        #expect(try fixture.commit(["README.md": "more words\n"], message: "docs").status == 0)
        let docs = try fixture.head()
        // Read before any note exists (the verdict found by fingerprint), then recorded by a run.
        #expect(stage(try record(fixture, docs))?["duration_ms"] as? Int == milliseconds)
        let run = try fixture.modelgate(["run"])
        #expect(run.status == 0 && run.stdout.contains("(cached)"), "\(run.stdout)")
        #expect(fixture.runCount == 1)
        let reused = try record(fixture, docs)
        #expect(stage(reused)?["duration_ms"] as? Int == milliseconds)
        #expect(stage(reused)?["cached"] as? Bool == true)
        let from = try #require(reused["cached_from"] as? [String: Any])
        #expect(from["started"] as? String == started)
        #expect(from["duration_ms"] as? Int == original["duration_ms"] as? Int)

        let took = RunReport.formatDuration(milliseconds: milliseconds)
        let phrase = "cached verdict from the run of \(started), whose stages took \(took); no stage ran now"
        let shown = try fixture.modelgate(["show", docs])
        #expect(shown.stdout.contains("  time: \(phrase)"), "\(shown.stdout)")
        let trainedText = try fixture.modelgate(["show", trainedID])
        #expect(trainedText.stdout.contains("  time: stages took \(took)"), "\(trainedText.stdout)")
        let markdown = try fixture.modelgate(["report", docs, "--format", "markdown"])
        #expect(markdown.stdout.contains("Time: \(phrase)"), "\(markdown.stdout)")

        let site = fixture.repo.directory.appending("site")
        #expect(try fixture.modelgate(["site", "--out", site.path]).status == 0)
        let docsPage = try String(
            contentsOf: site.appendingPathComponent("commit/\(docs).html"), encoding: .utf8)
        #expect(docsPage.contains("<td class=\"num\">\(took) (cached)</td><td>hit</td>"), "\(docsPage)")
        #expect(docsPage.contains(phrase))
        let trainedPage = try String(
            contentsOf: site.appendingPathComponent("commit/\(trainedID).html"), encoding: .utf8)
        #expect(trainedPage.contains("<td class=\"num\">\(took)</td><td>ran</td>"))

        // New data trains; going back to the earlier data reuses the first run, and the hook says so.
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n4\n"], message: "even more data").status == 0)
        #expect(fixture.runCount == 2)
        let back = try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "back to three rows")
        #expect(back.status == 0, "\(back.stderr)")
        #expect(fixture.runCount == 2)
        #expect(back.stderr.contains("on the staged files (\(phrase))"), "\(back.stderr)")
    }
}
