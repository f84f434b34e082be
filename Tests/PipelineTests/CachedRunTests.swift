import Foundation
import GitKit
import Testing

@testable import Pipeline

/// `PipelineRunner.reusing` keeps a reused verdict's training time and names the run it came
/// from; `RunReport.timing` says so; a hostile `cached_from` is read under the record limits.
@Suite struct CachedRunTests {
    static let tree = String(repeating: "2", count: 40)

    static func record(durations: [Int], cached: Bool = false, tree: String = Self.tree) throws -> RunRecord {
        let note = try RecordDecoderTests.validNote()
        var record = try RecordDecoder().decode(Data(note.utf8)).get()
        record.tree = tree
        record.stages = durations.enumerated().map { index, milliseconds in
            .init(
                name: "stage\(index)", status: "pass", durationMilliseconds: milliseconds, cached: cached,
                fingerprint: "f", metrics: [:])
        }
        return record
    }

    @Test func aReusedRecordKeepsItsStageTimesAndNamesItsRun() throws {
        let original = try Self.record(durations: [1_500, 250])
        let reused = PipelineRunner.reusing(original)
        #expect(reused.stages.map(\.durationMilliseconds) == [1_500, 250])
        #expect(reused.stages.allSatisfy { $0.cached })
        #expect(reused.cachedFrom == RunRecord.CachedRun(original))
        #expect(reused.cachedFrom?.commit == original.commit)
        #expect(RunReport.stageMilliseconds(reused) == 1_750)
        #expect(
            RunReport.timing(reused)
                == "cached verdict from the run of 2026-01-01T00:00:00Z on 1111111, whose stages took 1.75 s; no stage ran now"
        )
        #expect(RunReport.timing(original) == "stages took 1.75 s")

        // Reused again (a verdict synced from a commit that itself reused it): still the first run.
        var later = reused
        later.started = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(PipelineRunner.reusing(later).cachedFrom == RunRecord.CachedRun(original))
    }

    @Test func anOlderReusedRecordDoesNotInventWhenItRan() throws {
        let older = try Self.record(durations: [0, 0], cached: true)
        let reused = PipelineRunner.reusing(older)
        #expect(reused.cachedFrom == nil)
        #expect(
            RunReport.timing(reused)
                == "cached verdict; no stage ran (the earlier run's time was not recorded)")
    }

    @Test func hostileTimesNeitherTrapNorOverflow() throws {
        var record = try Self.record(durations: [Int.max, Int.max, -5, Int.min])
        #expect(RunReport.stageMilliseconds(record) == RunReport.longestStage)
        #expect(RunReport.formatDuration(milliseconds: Int.min) == "0 ms")
        #expect(!RunReport.timing(record).isEmpty)
        // A commit that is not a hex id is not shown.
        record.cachedFrom = RunRecord.CachedRun(record)
        record.cachedFrom?.commit = "not a commit; rm -rf"
        #expect(!RunReport.timing(record).contains("rm"))
    }

    @Test func aCachedFromCommitBreakingTheFieldRulesMakesTheRecordUnreadable() throws {
        let text = try RecordDecoderTests.validNote()
        let hostile = text.replacingOccurrences(
            of: "\"commit\" : \"1111111111111111111111111111111111111111\",",
            with:
                "\"cached_from\" : {\"started\" : \"2026-01-01T00:00:00Z\", \"commit\" : \"a\\u001b[2Jb\", \"duration_ms\" : 5},\n  \"commit\" : \"1111111111111111111111111111111111111111\",",
            options: [], range: nil)
        #expect(hostile != text)
        let reason = RecordDecoderTests.reason(Data(hostile.utf8))
        #expect(reason?.contains("cached_from.commit") == true, "\(reason ?? "read")")
        // A well-formed one reads back.
        let fine = hostile.replacingOccurrences(of: "a\\u001b[2Jb", with: String(repeating: "c", count: 40))
        let record = try RecordDecoder().decode(Data(fine.utf8)).get()
        #expect(record.cachedFrom?.commit == String(repeating: "c", count: 40))
        #expect(record.cachedFrom?.durationMilliseconds == 5)
    }
}
