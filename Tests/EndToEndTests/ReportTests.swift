import Foundation
import Markdown
import TestSupport
import Testing

/// `modelgate report`: Markdown for the forge (read back through cmark) and JUnit XML (read back
/// by the real `junitparser`), also for a hostile record.
@Suite struct ReportTests {
    /// junitparser's Python (PyPI, installed by `scripts/install-test-tools.sh junit`).
    static let python: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidate = root.appendingPathComponent(".build-tools/junit/bin/python").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    /// Reads `xml` with junitparser: one line per case, "classname|name|result kinds|messages".
    func readJUnit(_ xml: String, in directory: URL) throws -> [String] {
        guard let python = Self.python else {
            Issue.record("junitparser is not installed; run 'scripts/install-test-tools.sh junit'")
            return []
        }
        let file = directory.appendingPathComponent("junit.xml")
        try Data(xml.utf8).write(to: file)
        let script = """
            import sys
            from junitparser import JUnitXml
            xml = JUnitXml.fromfile(sys.argv[1])
            for suite in xml:
                for case in suite:
                    kinds = ",".join(type(r).__name__ for r in case.result)
                    messages = ",".join((r.message or "") for r in case.result)
                    print(repr((case.classname, case.name, kinds, messages)))
            """
        let result = try ProcessRunner.run(python, ["-c", script, file.path], in: directory)
        #expect(result.status == 0, "junitparser: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// A passing commit, then one whose gate fails (committed past the hook, then run).
    func failingFixture() throws -> (HookFixture, String) {
        let fixture = try HookFixture()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows").status == 0)
        #expect(
            try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "fewer", extra: ["--no-verify"]
            )
            .status == 0)
        let run = try fixture.modelgate(["run", "--rev", "HEAD"])
        #expect(run.status == 1, "\(run.stderr)")
        return (fixture, try fixture.head())
    }

    @Test func markdownHasTheMarkerGatesBaselineChangedInputsAndLink() throws {
        let (fixture, head) = try failingFixture()
        let result = try fixture.modelgate(["report", "--site-url", "https://ci.example/models/"])
        #expect(result.status == 0, "\(result.stderr)")
        let markdown = result.stdout
        #expect(markdown.hasPrefix("<!-- modelgate-report -->\n"))
        #expect(markdown.contains("modelgate: **fail** on `\(head.prefix(7))`"))
        #expect(markdown.contains("Signed by: local, unsigned"))
        #expect(markdown.contains("| gate | value | limit | baseline | delta | result |"))
        // Record strings are escaped (every ASCII punctuation); numbers are ours.
        // The delta is absolute and relative, with a real minus sign (ReadableNumber).
        #expect(markdown.contains("| r2 | 0.91 | \\>\\= 0\\.92 | 0.93 | −0.02 (−2.2 %) | **fail** |"))
        #expect(markdown.contains("- data\\/a\\.csv"))
        #expect(markdown.contains("Reproduce: `modelgate run --rev \(head.prefix(7))`"))
        #expect(markdown.contains("(<https://ci.example/models/commit/\(head).html>)"))
        // Through cmark: the escapes come out as the plain values, the marker as a comment
        // (cmark drops raw HTML), the gate table as a table (as GitHub shows it) and the link as
        // a link.
        let html = Markdown.html(from: markdown)
        #expect(
            html.contains(
                "<tr>\n<td>r2</td>\n<td align=\"right\">0.91</td>\n<td>&gt;= 0.92</td>\n<td align=\"right\">0.93</td>\n<td align=\"right\">−0.02 (−2.2 %)</td>\n<td><strong>fail</strong></td>\n</tr>"
            ))
        #expect(html.contains("<a href=\"https://ci.example/models/commit/\(head).html\">"))
        #expect(html.contains("<li>data/a.csv</li>"))

        let bad = try fixture.modelgate(["report", "--site-url", "javascript:alert(1)"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("it is not an http:// or https:// URL"))
        let none = try fixture.modelgate(["report", "HEAD~2"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("has not been evaluated"))
    }

    @Test func junitHasACasePerGateAndStageReadByJunitparser() throws {
        let (fixture, _) = try failingFixture()
        let result = try fixture.modelgate(["report", "--format", "junit"])
        #expect(result.status == 0, "\(result.stderr)")
        let cases = try readJUnit(result.stdout, in: fixture.repo.directory.url)
        #expect(
            cases == [
                "('modelgate.gates', 'r2 >= 0.92', 'Failure', 'r2 = 0.91, limit >= 0.92, baseline 0.93')",
                "('modelgate.stages', 'evaluate', '', '')",
            ])
        let json = try fixture.modelgate(["report", "--format", "json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(decoded?["changedInputs"] as? [String] == ["data/a.csv"])
    }

    /// A record from anyone: markup, `]]>`, control characters and a long string in its names
    /// and error text stay text in both formats.
    @Test func aHostileRecordStaysText() throws {
        let fixture = try HookFixture(install: false)
        let commit = try fixture.head()
        // Names may not hold control characters (the record decoder refuses them); error text may.
        let nasty = "]]></failure><x a='1'>&amp;|<script>alert(1)</script> # head"
        let control = "\u{01}\u{1B}[31m\n# head\u{FFFE}"
        let long = String(repeating: "]]>", count: 20_000)
        let record: [String: Any] = [
            "schema": 1, "commit": commit, "fingerprint": "ab", "verdict": "error", "source": "rev",
            "metrics": [nasty: 1.5], "inputs": [nasty: "00"], "tool": "modelgate 0.1.0",
            "started": "2026-01-01T00:00:00Z", "duration_ms": 1, "error": nasty + control + long,
            "gates": [
                [
                    "metric": nasty, "kind": "min", "limit": 2, "relative": false, "value": 1.5,
                    "passed": false,
                    "status": "fail",
                ]
            ],
            "stages": [
                [
                    "name": "]]><x a='1'>&amp;|<b>bold", "status": "error", "duration_ms": 1, "cached": false,
                    "fingerprint": "ab", "metrics": [:],
                ]
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: record)
        let file = fixture.repo.directory.appending("note.json")
        try data.write(to: file)
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-F", file.path, commit])
        #expect(try fixture.modelgate(["show", commit]).status == 3)  // read as an error record

        let junit = try fixture.modelgate(["report", "--format", "junit"])
        #expect(junit.status == 0, "\(junit.stderr)")
        #expect(!junit.stdout.contains("]]>"))
        #expect(!junit.stdout.contains("<x "))
        #expect(!junit.stdout.contains("\u{01}"))
        #expect(junit.stdout.utf8.count < 100_000)
        let cases = try readJUnit(junit.stdout, in: fixture.repo.directory.url)
        #expect(cases.count == 2)
        #expect(cases.first?.contains("'Failure'") == true)
        #expect(cases.last?.contains("'Error'") == true)

        let markdown = try fixture.modelgate(["report"])
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.utf8.count <= 65_536)
        #expect(!markdown.stdout.contains("\u{1B}"))
        let html = Markdown.html(from: markdown.stdout)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<x "))
        #expect(!html.contains("<h1"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    /// A report over the size limit keeps its head and says it was trimmed.
    @Test func aHugeReportIsTrimmedWithANote() throws {
        let fixture = try HookFixture(install: false)
        let commit = try fixture.head()
        var metrics: [String: Double] = [:]
        for index in 0..<3000 { metrics["metric_with_a_long_name_\(index)"] = Double(index) }
        let record: [String: Any] = [
            "schema": 1, "commit": commit, "fingerprint": "ab", "verdict": "pass", "source": "rev",
            "metrics": metrics, "inputs": [:], "tool": "modelgate 0.1.0", "started": "2026-01-01T00:00:00Z",
            "duration_ms": 1, "gates": [], "stages": [],
        ]
        let file = fixture.repo.directory.appending("note.json")
        try JSONSerialization.data(withJSONObject: record).write(to: file)
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-F", file.path, commit])
        let result = try fixture.modelgate(["report"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.utf8.count <= 65_536)
        #expect(result.stdout.hasPrefix("<!-- modelgate-report -->"))
        #expect(result.stdout.contains("_Report trimmed to 65536 characters"))
    }
}
