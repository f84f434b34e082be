import Foundation
import Testing

@testable import Site

/// Charts a person reads: steady series folded into one line, intervals as bands, round ticks,
/// readable deltas on the pages.
@Suite struct ReadableChartsTests {
    static let checks: [String: Double] = ["missing.age": 0, "out_of_range.age": 0, "rows": 451]

    static func chartLabel(_ metric: String) -> String { "aria-label=\"\(metric) over commits\"" }

    @Test func steadyDataChecksFoldIntoOneLine() throws {
        let fixture = try SiteFixture()
        for (index, r2) in [0.91, 0.93, 0.92].enumerated() {
            try fixture.commit("run \(index)", r2: r2, extraMetrics: Self.checks)
        }
        try fixture.build()
        let index = try fixture.text("index.html")
        #expect(index.contains("<strong>Data checks: all clear</strong>"))
        #expect(index.contains("2 at 0 in every commit shown: missing.age, out_of_range.age"))
        #expect(index.contains("<strong>Unchanged</strong>"))
        #expect(index.contains("<a href=\"metrics/rows/1.html\">rows</a> 451"))
        #expect(!index.contains(Self.chartLabel("missing.age")))
        #expect(!index.contains(Self.chartLabel("out_of_range.age")))
        #expect(!index.contains(Self.chartLabel("rows")))
        // The metrics that moved are charted, the gated one first.
        let r2 = try #require(index.range(of: Self.chartLabel("r2")))
        let rmse = try #require(index.range(of: Self.chartLabel("rmse")))
        #expect(r2.lowerBound < rmse.lowerBound)
        // The folded series keep their own pages.
        #expect(try fixture.text("metrics/missing.age/1.html").contains(Self.chartLabel("missing.age")))
    }

    @Test func aCheckThatMovedGetsItsChartBack() throws {
        let fixture = try SiteFixture()
        try fixture.commit("clean", r2: 0.91, extraMetrics: Self.checks)
        var moved = Self.checks
        moved["missing.age"] = 0.02
        try fixture.commit("some ages missing", r2: 0.92, extraMetrics: moved)
        try fixture.build()
        let index = try fixture.text("index.html")
        #expect(index.contains(Self.chartLabel("missing.age")))
        #expect(index.contains("1 at 0 in every commit shown: out_of_range.age</span>"))
        #expect(!index.contains(Self.chartLabel("out_of_range.age")))
    }

    @Test func aGatedMetricIsChartedEvenWhenItNeverMoved() throws {
        let fixture = try SiteFixture()
        try fixture.commit("one", r2: 0.91)
        try fixture.commit("two", r2: 0.91)
        try fixture.build()
        let index = try fixture.text("index.html")
        #expect(index.contains(Self.chartLabel("r2")))
        #expect(!index.contains("Data checks: all clear"))
    }

    @Test func intervalsAreDrawnAsABand() throws {
        let fixture = try SiteFixture()
        for (index, r2) in [0.91, 0.93, 0.92].enumerated() {
            let id = try fixture.commit("run \(index)", r2: r2, record: false)
            try fixture.writeRecord(on: id, r2: r2, interval: [r2 - 0.01, r2 + 0.01])
        }
        try fixture.build()
        let r2 = try Self.svg(of: "r2", in: fixture.text("index.html"))
        #expect(r2.contains("<polygon class=\"band\""))
        #expect(r2.contains("0.91 [0.9, 0.92]"))
        // Without intervals, no band.
        let rmse = try Self.svg(of: "rmse", in: fixture.text("index.html"))
        #expect(!rmse.contains("class=\"band\""))
    }

    @Test func aLoneIntervalIsABar() throws {
        let fixture = try SiteFixture()
        try fixture.commit("plain", r2: 0.91)
        let id = try fixture.commit("judged", r2: 0.93, record: false)
        try fixture.writeRecord(on: id, r2: 0.93, interval: [0.92, 0.94])
        try fixture.build()
        let r2 = try Self.svg(of: "r2", in: fixture.text("index.html"))
        #expect(r2.contains("<rect class=\"band\""))
        #expect(!r2.contains("<polygon class=\"band\""))
    }

    @Test func chartsHaveRoundTicksAndPagesReadableDeltas() throws {
        let fixture = try SiteFixture()
        try fixture.commit("first", r2: 0.9712)
        let second = try fixture.commit("second", r2: 0.9328)
        try fixture.build()
        let r2 = try Self.svg(of: "r2", in: fixture.text("index.html"))
        let ticks = r2.components(separatedBy: "text-anchor=\"end\">").dropFirst().map {
            String($0.prefix { $0 != "<" })
        }
        // 0.9712, 0.9328 and the gate at 0.9: steps of 0.02, two decimals each.
        #expect(Array(ticks.prefix(5)) == ["0.90", "0.92", "0.94", "0.96", "0.98"], "\(ticks)")
        let page = try fixture.text("commit/\(second).html")
        // r2 0.9712 → 0.9328: −0.0384, relative to 0.9712.
        #expect(page.contains("−0.0384 (−4 %)"))
        #expect(!page.contains("e-0"))
    }

    @Test func aMetricsTrailerReadsAsNumbers() {
        #expect(
            Format.metrics(trailer: #"{"rows":4510,"accuracy":0.9712345678901234,"latency_ms":1840}"#)
                == "accuracy 0.9712, latency_ms 1.84 s, rows 4,510")
        #expect(Format.metrics(trailer: "not json") == "not json")
    }

    /// The `<svg>` of `metric`'s chart on a page.
    static func svg(of metric: String, in page: String) throws -> String {
        let start = try #require(page.range(of: chartLabel(metric)))
        let end = try #require(page.range(of: "</svg>", range: start.upperBound..<page.endIndex))
        return String(page[start.lowerBound..<end.upperBound])
    }
}
