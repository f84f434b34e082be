import Diagnostics
import Foundation
import GitKit
import TestSupport
import Testing

@testable import Pipeline

/// `RecordDecoder`, `RecordLimits`, `RecordNotes.read` and `MetricsFile` on hostile input: every
/// note is a record within the limits or an unreadable one with its reason, never a trap.
@Suite struct RecordDecoderTests {
    /// A record as modelgate writes it, as pretty JSON text (the note's text).
    static func validNote(metrics: [String: Double] = ["r2": 0.92], stage: String = "evaluate") throws
        -> String
    {
        let record = RunRecord(
            commit: String(repeating: "1", count: 40), tree: String(repeating: "2", count: 40),
            fingerprint: String(repeating: "a", count: 64), verdict: .pass, metrics: metrics,
            gates: [
                GateResult(
                    metric: "r2", kind: .min, limit: 0.9, relative: false, value: metrics["r2"],
                    baseline: nil,
                    passed: true, status: .pass)
            ],
            stages: [
                .init(
                    name: stage, status: "pass", durationMilliseconds: 12, cached: false,
                    fingerprint: String(repeating: "b", count: 64), metrics: metrics)
            ],
            artifact: nil, tool: "modelgate 0.1.0", started: Date(timeIntervalSince1970: 1_767_225_600),
            durationMilliseconds: 40, baseline: nil, source: "rev",
            inputs: ["data/a.csv": String(repeating: "3", count: 40)],
            error: nil)
        return String(decoding: try record.encoded(), as: UTF8.self)
    }

    /// `validNote()` with its first `"r2" : 0.92` (in `metrics`) replaced by `"r2" : <literal>`.
    static func note(r2 literal: String) throws -> Data {
        let text = try validNote()
        let range = try #require(text.range(of: "\"r2\" : 0.92"))
        return Data(text.replacingCharacters(in: range, with: "\"r2\" : \(literal)").utf8)
    }

    static func reason(_ bytes: Data) -> String? {
        if case .failure(let reason) = RecordDecoder().decode(bytes) { return reason.text }
        return nil
    }

    @Test func readsBackWhatModelgateWrites() throws {
        let text = try Self.validNote()
        let record = try RecordDecoder().decode(Data(text.utf8)).get()
        #expect(record.metrics == ["r2": 0.92])
        #expect(String(decoding: try record.encoded(), as: UTF8.self) == text)
    }

    @Test(arguments: ["1.7e308", "-1.7e308", "5e-324", "-0.0", "0", "123456789012345678901234567890"])
    func everyFiniteNumberIsAccepted(_ literal: String) throws {
        let record = try RecordDecoder().decode(try Self.note(r2: literal)).get()
        #expect(record.metrics["r2"] == Double(literal))
        #expect(!RunReport.format(record.metrics["r2"]).isEmpty)
    }

    @Test(arguments: [
        ("NaN", "it holds 'NaN' (byte"), ("Infinity", "it holds 'Infinity'"),
        ("-Infinity", "it holds '-Infinity'"),
        ("1e999", "it holds the number 1e999, beyond the range of a double"),
        ("-1e999", "it holds the number -1e999"),
        ("1e-400", "it holds a number outside the range of a double"),
    ])
    func numbersThatAreNotFiniteMakeTheNoteUnreadable(_ literal: String, _ expected: String) throws {
        let reason = try #require(Self.reason(try Self.note(r2: literal)))
        #expect(reason.hasPrefix(expected), "\(reason)")
    }

    @Test func invalidUTF8IsNamedWithItsOffset() throws {
        var bytes = Data(try Self.validNote().utf8)
        let offset = try #require(bytes.firstRange(of: Data("modelgate 0.1.0".utf8))).lowerBound
        bytes[offset] = 0xFF
        #expect(
            Self.reason(bytes)
                == "it is not valid UTF-8 text (byte \(offset) cannot start or continue a character)")
    }

    @Test func controlCharactersInNamesMakeTheNoteUnreadableAndTheReasonIsInert() throws {
        let hostile = "x\u{1B}]0;pwned\u{07}\u{1B}[2K\r\u{1B}[32mverdict: pass"
        for bytes in [
            Data(try Self.validNote(metrics: ["r2": 0.92, hostile: 1]).utf8),
            Data(try Self.validNote(stage: hostile).utf8),
            Data(try Self.validNote(metrics: ["r2": 0.92, "a\u{9B}31m": 1]).utf8),
            Data(try Self.validNote(metrics: ["r2": 0.92, "safe\u{202E}txt.exe": 1]).utf8),
        ] {
            let reason = try #require(Self.reason(bytes))
            #expect(reason.contains(", a control, line-break or invisible character"), "\(reason)")
            #expect(TerminalText.firstUnsafe(in: reason) == nil, "\(reason)")
        }
        let stage = try #require(Self.reason(Data(try Self.validNote(stage: hostile).utf8)))
        #expect(
            stage
                == "the stage name 'x␛]0;pwned␇␛[2K␍␛[32mverdict: pass' holds U+001B, a control, line-break or invisible character"
        )
    }

    @Test func countsAndLengthsAreBounded() throws {
        var many: [String: Double] = [:]
        for index in 0..<(RecordLimits.metrics + 1) { many["m\(index)"] = Double(index) }
        #expect(
            Self.reason(Data(try Self.validNote(metrics: many).utf8))?.hasPrefix(
                "it has 10001 metrics; at most 10000") == true)
        let long = String(repeating: "n", count: NameRules.maxBytes + 1)
        let reason = try #require(Self.reason(Data(try Self.validNote(metrics: ["r2": 1, long: 1]).utf8)))
        #expect(reason.hasSuffix("is 201 bytes long; at most 200 are allowed"), "\(reason)")
        #expect(reason.count < 200)
        #expect(
            Self.reason(Data(try Self.validNote(metrics: ["r2": 1, "": 2]).utf8)) == "a metric name is empty")
        let big = Data(try Self.validNote().utf8) + Data(repeating: 0x20, count: 10_000_000)
        #expect(Self.reason(big) == "the note is 10.0 MB; a run record is at most 4 MiB")
    }

    @Test(arguments: [
        (
            "{\"schema\": 2, \"verdict\": \"pass\"}",
            "it has schema 2, newer than this modelgate reads (1); a newer modelgate wrote it"
        ),
        ("[]", "it is not a JSON object"), ("", "it is not valid JSON"),
        ("{\"schema\": 1}", "the field 'fingerprint' is missing"),
        (
            String(repeating: "[", count: 100_000),
            "it is not valid JSON (Too many nested arrays or dictionaries"
        ),
    ])
    func otherDocumentsAreNamed(_ text: String, _ expected: String) throws {
        let reason = try #require(Self.reason(Data(text.utf8)))
        #expect(reason.hasPrefix(expected), "\(reason)")
    }

    @Test func aKnownSchemaWithAnotherLayoutNamesTheField() throws {
        let text = try Self.validNote().replacingOccurrences(
            of: "\"limit\" : 0.9", with: "\"limit\" : \"high\"")
        #expect(Self.reason(Data(text.utf8)) == "the field 'gates[0].limit' is not a number")
        let newer = try Self.validNote().replacingOccurrences(of: "\"schema\" : 1", with: "\"schema\" : 7")
        #expect(Self.reason(Data(newer.utf8))?.hasPrefix("it has schema 7") == true)
    }

    @Test func writerRefusesWhatReadersWouldRefuse() throws {
        var record = try RecordDecoder().decode(Data(try Self.validNote().utf8)).get()
        record.inputs = Dictionary(
            uniqueKeysWithValues: (0..<60_000).map {
                ("data/images/\($0).png", String(repeating: "0", count: 40))
            })
        #expect {
            try RecordLimits.requireWritable(record, subject: "HEAD")
        } throws: { error in
            guard case RecordError.overLimit(_, .noteTooLarge(_, let inputs, _), _) = error else {
                return false
            }
            let reason = (error as? RecordError)?.summary ?? ""
            return inputs == 60_000 && reason.contains("60000 input files")
                && reason.hasSuffix("a run record is at most 4 MiB")
                && (error as? RecordError)?.hint?.contains("narrow the stages' deps") == true
        }
        record.inputs = [:]
        record.metrics["bad\u{1B}[31m"] = 1
        #expect {
            try RecordLimits.requireWritable(record, subject: "HEAD")
        } throws: { error in
            guard case RecordError.overLimit(_, .name(.unsafeCharacter("\u{1B}"), _, .metric), _) = error
            else {
                return false
            }
            return (error as? RecordError)?.hint?.contains("visible characters only") == true
        }
    }

    // MARK: - Notes written with git

    /// Writes `bytes` as the note of HEAD with `git hash-object -w` and `git notes add -C`.
    static func addNote(_ bytes: Data, in repo: TemporaryRepository, on commit: String = "HEAD") throws {
        let file = repo.directory.appending("note.bin")
        try bytes.write(to: file)
        let blob = try repo.git(["hash-object", "-w", file.path])
        try repo.git(["notes", "--ref=modelgate", "add", "-f", "-C", blob, commit])
    }

    @Test func notesWrittenWithGitAreReadThroughTheDecoder() throws {
        let repo = try TemporaryRepository()
        let head = try ObjectID(hex: repo.commit(message: "one"))!
        let notes = RecordNotes(repository: try repo.open())
        #expect(try notes.read(on: head) == nil)
        try Self.addNote(try Self.note(r2: "NaN"), in: repo)
        let unreadable = try #require(try notes.read(on: head)?.unreadable)
        #expect(unreadable.commit == head.hex)
        #expect(unreadable.reason.hasPrefix("it holds 'NaN'"))
        #expect(try notes.record(on: head) == nil)
        try Self.addNote(Data(try Self.validNote().utf8) + Data(repeating: 0x20, count: 10_000_000), in: repo)
        #expect(
            try notes.read(on: head)?.unreadable?.reason
                == "the note is 10.0 MB; a run record is at most 4 MiB")
        try Self.addNote(Data(try Self.validNote().utf8), in: repo)
        #expect(try notes.record(on: head)?.metrics == ["r2": 0.92])
    }

    @Test func noteBlobsAreFoundUnderFanOutDirectoriesAsGitFindsThem() throws {
        let repo = try TemporaryRepository()
        let head = try repo.commit(message: "one")
        let blob = try repo.git(["hash-object", "-w", "--stdin"], input: try Self.validNote())
        // A notes tree fanned out as git does for large notes refs: ab/cd/<36 hex digits>.
        let inner = try repo.git(
            ["mktree"], input: "100644 blob \(blob)\t\(head.dropFirst(4))\n")
        let middle = try repo.git(["mktree"], input: "040000 tree \(inner)\t\(head.dropFirst(2).prefix(2))\n")
        let root = try repo.git(["mktree"], input: "040000 tree \(middle)\t\(head.prefix(2))\n")
        let commit = try repo.git(["commit-tree", root, "-m", "notes"])
        try repo.git(["update-ref", "refs/notes/modelgate", commit])
        #expect(try repo.git(["notes", "--ref=modelgate", "show", head]) == (try Self.validNote()))
        let repository = try repo.open()
        #expect(try repository.noteBlob(on: ObjectID(hex: head)!, ref: "modelgate")?.hex == blob)
        #expect(
            try RecordNotes(repository: repository).record(on: ObjectID(hex: head)!)?.metrics["r2"] == 0.92)
        let other = try ObjectID(hex: repo.commit(message: "two"))!
        #expect(try repository.noteBlob(on: other, ref: "modelgate") == nil)
    }

    // MARK: - Metrics files

    @Test func metricsFilesKeepTheRecordLimits() throws {
        var many = "{"
        for index in 0..<100_000 { many += "\"m\(index)\": \(index)," }
        many += "\"end\": 1}"
        #expect {
            try MetricsFile.parse(Data(many.utf8))
        } throws: {
            ($0 as? MetricsFile.Problem)?.reason
                == "it has more than 10000 metrics; at most 10000 are allowed"
        }
        let longName = "{\"" + String(repeating: "n", count: 5_000_000) + "\": 1}"
        #expect {
            try MetricsFile.parse(Data(longName.utf8))
        } throws: { ($0 as? MetricsFile.Problem)?.reason == "it is over 4 MiB" }
        let nested = "{\"test\": {\"" + String(repeating: "n", count: 2_000) + "\": 1}}"
        #expect {
            try MetricsFile.parse(Data(nested.utf8))
        } throws: {
            ($0 as? MetricsFile.Problem)?.reason.hasSuffix("is 2005 bytes long; at most 200 are allowed")
                == true
        }
        #expect {
            try MetricsFile.parse(Data("{\"r2\\u001b[31m\": 1}".utf8))
        } throws: {
            ($0 as? MetricsFile.Problem)?.reason.contains(
                "'r2␛[31m' holds U+001B, a control, line-break or invisible character") == true
        }
        #expect {
            try MetricsFile.parse(Data("{\"r2\": NaN}".utf8))
        } throws: { ($0 as? MetricsFile.Problem)?.reason.hasPrefix("it holds 'NaN'") == true }
        #expect(
            try MetricsFile.parse(Data("{\"test\": {\"r2\": 1.7e308}, \"ok\": true}".utf8)) == [
                "test.r2": 1.7e308, "ok": 1,
            ])
    }

    // MARK: - The terminal sanitiser

    @Test func sanitiserReplacesEveryControlVisibly() {
        let hostile = "a\u{1B}]0;t\u{07}b\r\u{08}c\u{7F}d\u{9B}31me\u{202E}f\u{2066}g\u{200F}h\u{2028}i\tj\nk"
        #expect(
            TerminalText.sanitized(hostile)
                == "a␛]0;t␇b␍␈c␡d\\u{9B}31me\\u{202E}f\\u{2066}g\\u{200F}h\\u{2028}i␉j␊k")
        #expect(TerminalText.sanitized(hostile, keepingLineBreaks: true).hasSuffix("i\tj\nk"))
        #expect(TerminalText.firstUnsafe(in: TerminalText.sanitized(hostile)) == nil)
        let plain = "r2 0.92 ünïcode 数据 ✓ — done"
        #expect(TerminalText.sanitized(plain) == plain)
        #expect(TerminalText.cell(String(repeating: "x", count: 100), limit: 10) == "xxxxxxxxx…")
        #expect(TerminalText.cell("short", limit: 10) == "short")
        #expect(TerminalText.truncated("ééé", limit: 3) == "ééé")
    }

    /// A cell is bounded in bytes too: one character of 2 KB (a base and 1,100 combining marks)
    /// or a long run of emoji sequences prints short; invisible characters that make two names
    /// look alike are shown, joiners kept.
    @Test func cellsAreBoundedInBytesAndGraphemes() {
        let zalgo = "a" + String(repeating: "\u{301}", count: 1_100)
        #expect(TerminalText.cell(zalgo, limit: 60) == "a…")
        #expect(TerminalText.cell("x" + zalgo, limit: 60) == "xa…")
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦"  // 25 bytes, one character
        let cell = TerminalText.cell(String(repeating: family, count: 100), limit: 60)
        #expect(cell.utf8.count <= 60 * TerminalText.bytesPerCharacter + 3 && cell.hasSuffix("…"))
        #expect(cell.count < 60)
        #expect(TerminalText.cell(String(repeating: "漢", count: 100), limit: 60).count == 60)
        let huge = String(repeating: "\u{1B}", count: 1_000_000)
        #expect(TerminalText.cell(huge, limit: 10) == String(repeating: "␛", count: 9) + "…")
        for scalar: Unicode.Scalar in ["\u{200B}", "\u{2060}", "\u{FEFF}", "\u{AD}", "\u{FFF9}", "\n", "\t"] {
            #expect(TerminalText.isUnsafe(scalar), "U+\(String(scalar.value, radix: 16))")
        }
        for scalar: Unicode.Scalar in ["\u{200D}", "\u{200C}", "é", "漢", "\u{FF01}"] {
            #expect(!TerminalText.isUnsafe(scalar), "U+\(String(scalar.value, radix: 16))")
        }
        #expect(TerminalText.sanitized("a\u{200B}b\u{FEFF}") == "a\\u{200B}b\\u{FEFF}")
    }
}
