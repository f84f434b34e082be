import Foundation
import Testing

@testable import Pipeline

/// The significance fields of a gate in a note (`confidence`, `interval`, `p_value`, …): read back
/// when modelgate wrote them, absent from plain gates, refused with a reason when out of range.
@Suite struct SignificanceRecordTests {
    /// `RecordDecoderTests.validNote()` with its gate given the significance `fields` (JSON text).
    static func note(gateFields fields: String) throws -> Data {
        let text = try RecordDecoderTests.validNote()
        let range = try #require(text.range(of: "\"status\" : \"pass\""))
        return Data(text.replacingCharacters(in: range, with: "\"status\" : \"pass\", \(fields)").utf8)
    }

    static let valid =
        "\"confidence\": 0.95, \"interval\": [0.905, 0.919], \"p_value\": 0.01, \"method\": \"clopper-pearson\", \"paired\": false, \"n\": 1000, \"outcome\": \"pass\", \"mde\": 0.025"

    @Test func readsWhatModelgateWritesAndOldRecordsWithout() throws {
        let record = try RecordDecoder().decode(try Self.note(gateFields: Self.valid)).get()
        let gate = try #require(record.gates.first)
        #expect(gate.interval == [0.905, 0.919] && gate.pValue == 0.01 && gate.n == 1000)
        #expect(gate.outcome == "pass" && gate.method == "clopper-pearson" && gate.mde == 0.025)
        let encoded = String(decoding: try record.encoded(), as: UTF8.self)
        #expect(encoded.contains("\"p_value\" : 0.01"))
        // A record written before these fields decodes with them absent, and writes none back.
        let old = try RecordDecoder().decode(Data(try RecordDecoderTests.validNote().utf8)).get()
        #expect(old.gates.first?.interval == nil && old.gates.first?.confidence == nil)
        #expect(!String(decoding: try old.encoded(), as: UTF8.self).contains("interval"))
    }

    @Test(arguments: [
        ("\"interval\": [0.9]", "interval"), ("\"interval\": [0.9, 0.8]", "interval"),
        ("\"interval\": [0.1, 0.2, 0.3]", "interval"), ("\"p_value\": 1.5", "p_value"),
        ("\"p_value\": -0.1", "p_value"), ("\"confidence\": 2", "confidence"), ("\"n\": -1", "n"),
        ("\"outcome\": \"maybe\"", "outcome"), ("\"method\": \"a\\u001b[31m\"", "method"),
        ("\"mde\": 1e999", "numbers must be finite"),
    ])
    func outOfRangeFieldsMakeTheNoteUnreadable(field: String, name: String) throws {
        let reason = try #require(RecordDecoderTests.reason(try Self.note(gateFields: field)))
        #expect(reason.contains(name), "\(reason)")
    }
}

/// The refusal table a hook prints names each confident gate's interval and outcome in words.
@Suite struct SignificanceReportTests {
    @Test func refusalTableShowsTheIntervalInWords() {
        var gate = GateResult(
            metric: "accuracy", kind: .maxDrop, limit: 0.01, relative: false, value: 0.912, baseline: 0.916,
            passed: false, status: .fail)
        gate.confidence = 0.95
        gate.interval = [-0.002, 0.01]
        gate.pValue = 0.04
        gate.method = "mcnemar"
        gate.paired = true
        gate.n = 1000
        gate.outcome = "inconclusive"
        gate.mde = 0.012
        let table = HookReport.failedGateTable([gate])
        #expect(
            table.contains(
                "accuracy 0.912, drop 0.004 [-0.002, 0.01] vs 0.916 (allowed drop <= 0.01) — inconclusive, this test set detects drops ≥ 0.012 (mcnemar, paired, n 1000, 95 %)"
            ), "\(table)")
        var plain = gate
        plain.confidence = nil
        #expect(!HookReport.failedGateTable([plain]).contains("["))
    }
}
