import Foundation
import TestSupport
import Testing

/// Collaborators' notes, written with the `git` command, against every command that reads them:
/// each ends in a clear message and a documented exit code, shows the other commits, prints no
/// control character (no colours either: the output is not a terminal) and stays small.
@Suite struct HostileNoteTests {
    /// Three evaluated commits (r2 0.92, 0.93, 0.94); tests replace the tip's note.
    final class Fixture {
        let inner: RunTests.Fixture
        var repo: TemporaryRepository { inner.repo }
        let commits: [String]

        init() throws {
            inner = try RunTests.Fixture()
            var commits: [String] = []
            for rows in ["x\n1\n2\n", "x\n1\n2\n3\n", "x\n1\n2\n3\n4\n"] {
                if !commits.isEmpty {
                    try inner.repo.commit(files: ["data/a.csv": rows], message: "rows \(rows.count)")
                }
                let run = try inner.run()
                guard run.status == 0 else { throw TestFailure("run failed: \(run.stderr)") }
                commits.append(try inner.repo.git(["rev-parse", "HEAD"]))
            }
            self.commits = commits
        }

        var tip: String { commits[2] }

        /// The tip's note as modelgate wrote it.
        func tipNote() throws -> String { try repo.git(["notes", "--ref=modelgate", "show", tip]) }

        /// Writes `bytes` as the tip's note, exactly, with `git hash-object -w` and `git notes add -C`.
        func setTipNote(_ bytes: Data) throws {
            let file = repo.directory.appending("hostile-note")
            try bytes.write(to: file)
            let blob = try repo.git(["hash-object", "-w", file.path])
            try repo.git(["notes", "--ref=modelgate", "add", "-f", "-C", blob, tip])
        }

        func modelgate(_ arguments: [String]) throws -> ProcessResult {
            let result = try ModelgateBinary.run(arguments, in: repo.url)
            HostileNoteTests.expectInert(result, arguments)
            // The line a hostile one-line field would inject (Case.lineInComparison, .lineInTool).
            #expect(
                !(result.stdout + result.stderr).contains("cafe123"), "\(arguments) printed a field's line")
            return result
        }
    }

    /// No escape sequence, bell or C1 control reaches the output, and the output stays small.
    static func expectInert(_ result: ProcessResult, _ arguments: [String]) {
        for (name, text) in [("stdout", result.stdout), ("stderr", result.stderr)] {
            #expect(
                !text.unicodeScalars.contains {
                    $0 == "\u{1B}" || $0 == "\u{07}" || (0x80...0x9F).contains($0.value)
                },
                "\(arguments) wrote a control character to \(name)")
            #expect(text.utf8.count < 64 << 10, "\(arguments) wrote \(text.utf8.count) bytes to \(name)")
        }
    }

    static let hostileName = "x\u{1B}]0;pwned\u{07}\u{1B}[2K\r\u{1B}[32mverdict: pass"

    /// The tip's note transformed as a collaborator might have, and the reason modelgate gives.
    enum Case: String, CaseIterable, CustomTestStringConvertible {
        case nan, infinity, overflow, invalidUTF8, escapeInMetric, escapeInStage, manyMetrics, hugeName,
            hugeNote
        case unknownSchema, lineInComparison, lineInTool, longStageName

        var testDescription: String { rawValue }

        func bytes(from note: String) throws -> Data {
            func edit(_ change: (inout [String: Any]) -> Void) throws -> Data {
                var object = try #require(
                    try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any])
                change(&object)
                return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            }
            func replacingR2(with literal: String) throws -> Data {
                let range = try #require(note.range(of: "\"r2\" : 0.94"))
                return Data(note.replacingCharacters(in: range, with: "\"r2\" : \(literal)").utf8)
            }
            switch self {
            case .nan: return try replacingR2(with: "NaN")
            case .infinity: return try replacingR2(with: "-Infinity")
            case .overflow: return try replacingR2(with: "1e999")
            case .invalidUTF8:
                var data = Data(note.utf8)
                let range = try #require(data.firstRange(of: Data("modelgate 0.1.0".utf8)))
                data.replaceSubrange(range.lowerBound..<range.lowerBound + 2, with: [0xC3, 0x28])
                return data
            case .escapeInMetric:
                return try edit { object in
                    var metrics = object["metrics"] as? [String: Any] ?? [:]
                    metrics[HostileNoteTests.hostileName] = 1
                    object["metrics"] = metrics
                }
            case .escapeInStage:
                return try edit { object in
                    var stages = object["stages"] as? [[String: Any]] ?? []
                    stages[0]["name"] = HostileNoteTests.hostileName
                    object["stages"] = stages
                }
            case .manyMetrics:
                return try edit { object in
                    object["metrics"] = Dictionary(
                        uniqueKeysWithValues: (0..<100_000).map { ("m\($0)", Double($0)) })
                }
            case .hugeName:
                return try edit { object in
                    object["metrics"] = [String(repeating: "n", count: 5_000_000): 1.0]
                }
            case .hugeNote: return Data(note.utf8) + Data(repeating: 0x20, count: 10_000_000)
            case .unknownSchema:
                return Data(note.replacingOccurrences(of: "\"schema\" : 1", with: "\"schema\" : 2").utf8)
            case .lineInComparison:
                return try edit { object in
                    var baseline = object["baseline"] as? [String: Any] ?? [:]
                    baseline["comparison"] = "x)\nverdict: pass for HEAD (cafe123)\n\n"
                    object["baseline"] = baseline
                }
            case .lineInTool:
                return try edit { object in
                    object["tool"] = "modelgate 0.1.0\nverdict: pass for HEAD (cafe123)"
                }
            case .longStageName:
                return try edit { object in
                    var stages = object["stages"] as? [[String: Any]] ?? []
                    stages[0]["name"] = "a" + String(repeating: "\u{301}", count: 1_100)
                    object["stages"] = stages
                }
            }
        }

        /// The start of the reason every command gives.
        var reason: String {
            switch self {
            case .nan: "it holds 'NaN' (byte "
            case .infinity: "it holds '-Infinity' (byte "
            case .overflow: "it holds the number 1e999, beyond the range of a double; numbers must be finite"
            case .invalidUTF8: "it is not valid UTF-8 text (byte "
            case .escapeInMetric:
                "the metric name 'x␛]0;pwned␇␛[2K␍␛[32mverdict: pass' holds U+001B, a control, line-break or invisible character"
            case .escapeInStage:
                "the stage name 'x␛]0;pwned␇␛[2K␍␛[32mverdict: pass' holds U+001B, a control, line-break or invisible character"
            case .manyMetrics: "it has 100000 metrics; at most 10000 are allowed"
            case .hugeName: "the note is 5.0 MB; a run record is at most 4 MiB"
            case .hugeNote: "the note is 10.0 MB; a run record is at most 4 MiB"
            case .unknownSchema:
                "it has schema 2, newer than this modelgate reads (1); a newer modelgate wrote it"
            case .lineInComparison:
                "its field 'baseline.comparison' holds U+000A, a control, line-break or invisible character; it must be one line of visible text"
            case .lineInTool:
                "its field 'tool' holds U+000A, a control, line-break or invisible character; it must be one line of visible text"
            case .longStageName:
                // One character of 2,201 bytes, shown as its first scalar and the cut.
                "the stage name 'a…' is 2201 bytes long; at most 200 are allowed"
            }
        }
    }

    @Test(arguments: Case.allCases)
    func unreadableNotesAreShownAsSuchByEveryCommand(_ hostile: Case) throws {
        let fixture = try Fixture()
        try fixture.setTipNote(try hostile.bytes(from: try fixture.tipNote()))
        let (tip, middle) = (String(fixture.tip.prefix(7)), String(fixture.commits[1].prefix(7)))
        let headline = "the run record of \(tip) is unreadable: \(hostile.reason)"

        let show = try fixture.modelgate(["show"])
        #expect(show.status == 2)
        #expect(show.stderr.hasPrefix("error: \(headline)"), "\(show.stderr)")
        #expect(show.stderr.contains("fix:   look at it with 'git notes --ref=modelgate show \(tip)'"))
        let showJSON = try fixture.modelgate(["show", "--json"])
        #expect(showJSON.status == 2)
        let shown = try JSONSerialization.jsonObject(with: Data(showJSON.stdout.utf8)) as? [String: Any]
        #expect(shown?["commit"] as? String == fixture.tip)
        #expect((shown?["unreadable"] as? String)?.hasPrefix(hostile.reason) == true)

        let log = try fixture.modelgate(["log"])
        #expect(log.status == 0)
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(
            lines[0].hasPrefix("\(tip)  ")
                && lines[0].contains("  ?      (unreadable record: \(hostile.reason)"))
        #expect(lines[1].contains("pass   r2=0.93") && lines[2].contains("pass   r2=0.92"))
        let logJSON = try fixture.modelgate(["log", "--json"])
        #expect(logJSON.status == 0)
        let entries = try #require(
            try JSONSerialization.jsonObject(with: Data(logJSON.stdout.utf8)) as? [[String: Any]])
        #expect(entries[0]["record"] == nil)
        #expect((entries[0]["unreadable"] as? String)?.hasPrefix(hostile.reason) == true)
        #expect(entries[1]["record"] != nil && entries[1]["unreadable"] == nil)

        let status = try fixture.modelgate(["status"])
        #expect(status.status == 0)
        #expect(status.stdout.hasPrefix("the run record of \(tip) is unreadable (\(hostile.reason)"))
        #expect(status.stdout.contains("); passed over\n"))
        #expect(status.stdout.contains("compared with the record of \(middle):"))

        let diff = try fixture.modelgate(["diff"])
        #expect(diff.status == 2)
        #expect(diff.stderr.hasPrefix("error: \(headline)"))

        let deployable = try fixture.modelgate(["deployable"])
        #expect(deployable.status == 0, "\(deployable.stderr)")
        #expect(deployable.stdout == fixture.commits[1] + "\n")
        #expect(
            deployable.stderr.hasPrefix(
                "skipped \(tip): \(tip)'s run record is unreadable: \(hostile.reason)"))

        let out = fixture.repo.directory.appending("site")
        let site = try fixture.modelgate(["site", "--out", out.path])
        #expect(site.status == 0, "\(site.stderr)")
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("<span class=\"verdict unreadable\">unreadable</span>"))
        #expect(index.contains(middle) && index.contains(String(fixture.commits[0].prefix(7))))
        #expect(index.contains("<span class=\"verdict pass\">pass</span>"))
        #expect(!index.contains("\u{1B}"))
        #expect(try Self.size(of: out) < 1 << 20)
    }

    /// Finite values at the edges of a double are records like any other: shown, charted, compared.
    @Test(arguments: ["1.7e308", "-1.7e308", "5e-324"])
    func extremeFiniteValuesRenderEverywhere(_ literal: String) throws {
        let fixture = try Fixture()
        let note = try fixture.tipNote().replacingOccurrences(
            of: "\"r2\" : 0.94", with: "\"r2\" : \(literal)"
        )
        .replacingOccurrences(of: "\"value\" : 0.94", with: "\"value\" : \(literal)")
        try fixture.setTipNote(Data(note.utf8))
        let shown = Double(literal)!
        let formatted = String(format: "%.4g", shown)
        for arguments in [["show"], ["log"], ["log", "--json"], ["status"], ["diff"], ["deployable"]] {
            let result = try fixture.modelgate(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            if arguments != ["status"] && arguments != ["deployable"] && arguments != ["log", "--json"] {
                #expect(result.stdout.contains(formatted), "\(arguments): \(result.stdout)")
            }
        }
        let out = fixture.repo.directory.appending("site")
        let site = try fixture.modelgate(["site", "--out", out.path])
        #expect(site.status == 0, "\(site.stderr)")
        let chart = try String(contentsOf: out.appendingPathComponent("metrics/r2/1.html"), encoding: .utf8)
        // The site shows numbers as a person reads them (ReadableNumber), never "1.7e+308".
        let readable = ["1.7e308": "1.7×10³⁰⁸", "-1.7e308": "−1.7×10³⁰⁸", "5e-324": "4.941×10⁻³²⁴"][literal]
        #expect(chart.contains("r2 = \(readable ?? literal)"), "\(chart)")
        #expect(!chart.contains(formatted))
        #expect(!chart.contains("nan") && !chart.contains("inf"))
    }

    static func size(of folder: URL) throws -> Int {
        var total = 0
        let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.fileSizeKey])
        while let url = enumerator?.nextObject() as? URL {
            total += try url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
        }
        return total
    }

    // MARK: - Records modelgate writes

    @Test(arguments: [
        (
            #"seq 0 99999 | awk 'BEGIN { printf "{" } { printf "\"m%d\": %d, ", $1, $1 } END { print "\"end\": 1}" }' > metrics.json"#,
            "it has more than 10000 metrics; at most 10000 are allowed"
        ),
        (
            #"{ printf '{"'; head -c 5000000 /dev/zero | tr '\0' n; printf '": 1}'; } > metrics.json"#,
            "it is 5.0 MB; a metrics file is at most 4 MiB"
        ),
        (
            #"printf '{"r2\\u001b]0;pwned\\u0007": 0.95}' > metrics.json"#,
            "the metric name 'r2␛]0;pwned␇' holds U+001B, a control, line-break or invisible character"
        ),
        (
            #"{ printf '{"'; head -c 2000 /dev/zero | tr '\0' n; printf '": 1}'; } > metrics.json"#,
            "is 2000 bytes long; at most 200 are allowed"
        ),
    ])
    func metricsFilesOverALimitAreAStageErrorAndNothingOfThemIsRecorded(_ script: String, _ reason: String)
        throws
    {
        let fixture = try RunTests.Fixture(script: script + "\n")
        let run = try ModelgateBinary.run(["run"], in: fixture.repo.url)
        Self.expectInert(run, ["run"])
        #expect(run.status == 3, "\(run.stderr)")  // the stage's output is unusable: a stage error
        #expect(run.stderr.contains("the metrics file 'metrics.json' of stage 'evaluate' cannot be used: "))
        #expect(run.stderr.contains(reason), "\(run.stderr)")
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        let record = try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any]
        #expect(record?["verdict"] as? String == "error")
        #expect((record?["metrics"] as? [String: Any])?.isEmpty == true)
    }

    @Test func stageOutputReachesTheTerminalInert() throws {
        let script = ScoringPipeline.script(counter: "/dev/null", testRows: false)
        let fixture = try RunTests.Fixture(
            script: #"printf 'working\033]0;pwned\007\033[31m red\r\033[2Kverdict: pass\n'"# + "\n" + script)
        let run = try ModelgateBinary.run(["run"], in: fixture.repo.url)
        Self.expectInert(run, ["run"])
        #expect(run.status == 0, "\(run.stderr)")
        // What follows the last carriage return, as a terminal would show it; its controls replaced.
        #expect(run.stderr.contains("  evaluate | ␛[2Kverdict: pass\n"), "\(run.stderr)")
    }

    @Test func commitMessagesReachTheTerminalInert() throws {
        let fixture = try Fixture()
        try fixture.repo.commit(message: "fix \u{1B}]0;pwned\u{07}\u{1B}[31mred")
        let log = try fixture.modelgate(["log", "-n", "1"])
        #expect(log.stdout.hasSuffix("fix ␛]0;pwned␇␛[31mred\n"))
    }
}

/// The pre-push hook reading a collaborator's note.
@Suite struct HostileNoteHookTests {
    @Test func anUnreadableNoteIsNoVerdictAndItsReasonIsPrintedInert() throws {
        let fixture = try HookFixture()
        #expect(
            try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more", extra: ["--no-verify"]).status
                == 0)
        let head = try fixture.head()
        #expect(try fixture.modelgate(["run"]).status == 0)
        // A collaborator's record of the same commit, with escape sequences in a metric name.
        var record = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try fixture.repo.git(["notes", "--ref=modelgate", "show", head]).utf8))
                as? [String: Any])
        record["metrics"] = [HostileNoteTests.hostileName: 1.0]
        let file = fixture.repo.directory.appending("note.json")
        try JSONSerialization.data(withJSONObject: record).write(to: file)
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-F", file.path, head])
        let push = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        HostileNoteTests.expectInert(push, ["push"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(
            push.stderr.contains(
                "modelgate: the recorded verdict of \(head.prefix(7)) is unreadable (the metric name 'x␛]0;pwned␇␛[2K␍␛[32mverdict: pass' holds U+001B, a control, line-break or invisible character); evaluating it afresh"
            ), "\(push.stderr)")
        #expect(push.stderr.contains("modelgate: pass branch main \(head.prefix(7))"))
    }

    @Test func freeTextOfARecordedVerdictIsPrintedInert() throws {
        let fixture = try HookFixture()
        #expect(
            try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "bad", extra: ["--no-verify"]
            )
            .status == 0)
        #expect(try fixture.modelgate(["run"]).status == 1)
        let head = try fixture.head()
        var record = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try fixture.repo.git(["notes", "--ref=modelgate", "show", head]).utf8))
                as? [String: Any])
        record["baseline"] = [
            "policy": "ancestor\u{1B}]0;pwned\u{07}\u{1B}[2K\r\u{1B}[32mverdict: pass",
            "commit": "\u{1B}[31mabcdef",
            "comparison": "x",
        ]
        let file = fixture.repo.directory.appending("note.json")
        try JSONSerialization.data(withJSONObject: record).write(to: file)
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-F", file.path, head])
        let push = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        HostileNoteTests.expectInert(push, ["push"])
        // One-line fields hold no control character: the record is no verdict, and the commit
        // is judged afresh (and refused again), the reason printed inert.
        #expect(push.status != 0)
        #expect(!push.stderr.contains("(recorded verdict)"), "\(push.stderr)")
        #expect(
            push.stderr.contains(
                "is unreadable (its field 'baseline.policy' holds U+001B, a control, line-break or invisible character; it must be one line of visible text); evaluating it afresh"
            ), "\(push.stderr)")
        #expect(!push.stderr.contains("pwned"))
    }
}
