import Foundation
import Pipeline
import Testing

@testable import Artifacts

/// The body of a release tag's message: metrics a person reads, the trailer keeping them whole.
@Suite struct ReleaseMessageTests {
    static func record(metrics: [String: Double], gated: [String]) throws -> RunRecord {
        let gates = gated.map {
            ["metric": $0, "kind": "min", "limit": 0, "relative": false, "passed": true, "status": "pass"]
        }
        let json: [String: Any] = [
            "schema": 1, "commit": String(repeating: "1", count: 40),
            "fingerprint": String(repeating: "a", count: 64),
            "verdict": "pass", "metrics": metrics, "gates": gates, "stages": [], "tool": "modelgate 0.1.0",
            "started": "2026-01-01T00:00:00Z", "duration_ms": 1, "source": "rev", "inputs": [:],
        ]
        let data = try JSONSerialization.data(withJSONObject: json)
        return try RecordDecoder().decode(data).get()
    }

    @Test func metricsReadAsRoundedNumbersGatedFirstDataChecksLast() throws {
        let record = try Self.record(
            metrics: [
                "rmse": 25.147343448109865, "r2": 0.9658592814299063, "rows": 20000, "missing.age": 0,
                "latency_ms": 1840.25,
            ],
            gated: ["rmse"])
        #expect(
            ReleaseBook.metricsParagraph(record)
                == "Metrics: rmse 25.15 · latency_ms 1.84 s · r2 0.9659 · rows 20,000 · missing.age 0\n\n")
    }

    @Test func manyMetricsAreCutAndNoneLeaveNoParagraph() throws {
        var metrics: [String: Double] = [:]
        for index in 0..<20 { metrics["m\(index < 10 ? "0" : "")\(index)"] = Double(index) }
        let paragraph = ReleaseBook.metricsParagraph(try Self.record(metrics: metrics, gated: []))
        #expect(paragraph.hasPrefix("Metrics: m00 0 · m01 1"))
        #expect(paragraph.hasSuffix("m11 11 · and 8 more\n\n"))
        #expect(ReleaseBook.metricsParagraph(try Self.record(metrics: [:], gated: [])) == "")
    }
}
