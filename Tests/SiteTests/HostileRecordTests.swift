import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

@testable import Site

/// Numbers and SVG coordinates are total over every finite double, and a note that is not a
/// usable record is listed with its reason while everything else renders.
@Suite struct HostileRecordTests {
    static let extremes: [Double] = [
        1.7e308, -1.7e308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
        -.leastNonzeroMagnitude, -0.0, 0,
        .leastNormalMagnitude, 1e-300, 1e15, -1e15, 9.2e18, 1, 0.92,
    ]

    @Test func numbersFormatForEveryFiniteDouble() {
        for value in Self.extremes + [.nan, .infinity, -.infinity] {
            #expect(!Format.number(value).isEmpty)
            #expect(!Format.delta(value).isEmpty)
            #expect(!JSONText.number(value).isEmpty)
            #expect(!PrometheusExport.value(value).isEmpty)
            let coordinate = Format.coordinate(value)
            #expect(Double(coordinate) != nil, "\(coordinate)")
        }
        #expect(Format.number(1.7e308) == "1.7×10³⁰⁸")
        #expect(Format.number(.leastNonzeroMagnitude) == "4.941×10⁻³²⁴")
        #expect(Format.number(-0.0) == "0")
        #expect(Format.coordinate(1.7e308) == "1000000000.0")
        #expect(Format.coordinate(.nan) == "0.0")
    }

    @Test func datesFormatForEveryDate() {
        for seconds in [-1e300, -62_135_596_801, 0, 253_402_300_800, 1e18, 9.3e18, 1e300, .nan, .infinity] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Format.date(date).hasSuffix(" UTC"))
            #expect(Format.isoDate(date).hasSuffix("Z"))
        }
        #expect(Format.date(Date(timeIntervalSince1970: 1e300)) == "9999-12-31 23:59 UTC")
        #expect(Format.duration(milliseconds: .max).hasSuffix(" s"))
        #expect(Format.duration(milliseconds: 185_000) == "3 min 05 s")
    }

    /// Every pair of extremes as a chart: coordinates are numbers within the view, never nan/inf.
    @Test func chartsDrawAnyFiniteValues() throws {
        for first in Self.extremes {
            for second in Self.extremes {
                let chart = Chart(
                    metric: "m",
                    points: [
                        .init(x: 0, value: first, commit: "a", date: "d", failed: false, href: "a.html"),
                        .init(
                            x: 1, value: second, commit: "b", date: "d", failed: true, href: "b.html",
                            interval: min(first, second)...max(first, second)),
                    ],
                    thresholds: [.init(value: first, label: "gate")], xRange: 0...1, startLabel: "a",
                    endLabel: "b")
                let svg = chart.svg()
                #expect(!svg.contains("nan") && !svg.contains("inf"), "\(first), \(second)")
                for attribute in ["cy", "y1", "y2", "y"] {
                    for value in Self.values(of: attribute, in: svg) {
                        #expect(
                            value >= 0 && value <= chart.size.height,
                            "\(attribute)=\(value) for \(first), \(second)")
                    }
                }
            }
        }
    }

    static func values(of attribute: String, in svg: String) -> [Double] {
        svg.components(separatedBy: " \(attribute)=\"").dropFirst().compactMap {
            Double($0.prefix { $0 != "\"" })
        }
    }

    @Test func unreadableNotesAreListedWithTheirReasonAndTheRestRenders() throws {
        let fixture = try SiteFixture()
        try fixture.commit("first run", r2: 0.91)
        let huge = try fixture.commit("huge value", r2: 1.7e308)
        let broken = try fixture.commit("broken note", record: false)
        try fixture.repo.open().setNote(
            "{\"schema\": 1, \"verdict\": NaN}", on: ObjectID(hex: broken)!, ref: RecordNotes.ref)
        let escaped = try fixture.commit(
            "escaped name", extraMetrics: ["x\u{1B}]0;pwned\u{07}\u{1B}[32mverdict: pass": 1])
        try fixture.commit("last run", r2: 0.95)
        try fixture.build()

        let index = try fixture.text("index.html")
        #expect(index.contains("<span class=\"verdict unreadable\">unreadable</span>"))
        #expect(
            index.contains(
                "it holds &#39;NaN&#39; (byte 25), which is not a JSON number; numbers must be finite"))
        #expect(index.contains("holds U+001B, a control, line-break or invisible character"))
        #expect(!index.contains("\u{1B}") && !index.contains("\u{07}"))
        #expect(index.contains("<span class=\"verdict pass\">pass</span>"))
        for id in [huge, escaped, broken] { #expect(index.contains(String(id.prefix(7)))) }
        let page = try fixture.text("commit/\(broken).html")
        #expect(page.contains("The run record of this commit is unreadable: it holds &#39;NaN&#39;"))
        let hugePage = try fixture.text("commit/\(huge).html")
        #expect(hugePage.contains("1.7×10³⁰⁸"))

        let part = try JSONSerialization.jsonObject(with: Data(try fixture.text("history/1.json").utf8))
        let records = try #require((part as? [String: Any])?["records"] as? [[String: Any]])
        let listed = try #require(records.first { $0["commit"] as? String == broken })
        #expect(listed["record"] == nil)
        #expect((listed["unreadable"] as? String)?.hasPrefix("it holds 'NaN'") == true)
        #expect(records.filter { $0["record"] != nil }.count == 3)
        let history = try JSONSerialization.jsonObject(with: Data(try fixture.text("history.json").utf8))
        let parts = try #require((history as? [String: Any])?["parts"] as? [[String: Any]])
        #expect(parts.first?["records"] as? Int == 3)
        #expect(parts.first?["unreadable"] as? Int == 2)
    }

    @Test func oneRecordsManyMetricsCannotMultiplyThePages() throws {
        let fixture = try SiteFixture()
        try fixture.commit("first run", r2: 0.91)
        let flood = Dictionary(uniqueKeysWithValues: (0..<40).map { ("a\($0)", Double($0)) })
        let flooded = try fixture.commit("flood", extraMetrics: flood)
        try fixture.commit("last run", r2: 0.95)
        var options = SiteOptions()
        options.layout.chartedMetrics = 3
        try fixture.build(options)
        let files = try fixture.files()
        // r2 is gated, rmse is in every record; one flooded name fills the third place.
        #expect(
            Set(files.keys.filter { $0.hasPrefix("metrics/") }) == [
                "metrics/r2/1.html", "metrics/rmse/1.html", "metrics/a0/1.html",
            ])
        let list = try fixture.text("metrics.html")
        #expect(list.contains("Of 42 metrics, the 3 gated or reported by the most records have charts."))
        #expect(list.contains("<td>a39</td>") && list.contains("<a href=\"metrics/rmse/1.html\">rmse</a>"))
        let page = try fixture.text("commit/\(flooded).html")
        #expect(page.contains("<tr><td>a39</td>") && page.contains("<a href=\"../metrics/a0/1.html\">a0</a>"))
        for (path, data) in files where path.hasSuffix(".html") {
            for link in try ScannedPage.parse(data).links
            where link.hasPrefix("../metrics/") || link.hasPrefix("metrics/") {
                let resolved = URL(fileURLWithPath: "/site/" + path).deletingLastPathComponent()
                    .appendingPathComponent(link).standardizedFileURL.path.dropFirst("/site/".count)
                #expect(files[String(resolved)] != nil, "\(path) links to \(link)")
            }
        }
    }

    @Test func theFuzzEntryPointRendersAnything() throws {
        let record = try Self.sampleNote()
        for text in [
            record, record.replacingOccurrences(of: "0.91", with: "1.7e308"),
            record.replacingOccurrences(of: "0.91", with: "NaN"), "", "[]", "{",
            String(repeating: "{\"a\":", count: 600),
        ] {
            #expect(RecordFuzzTarget.run(Data(text.utf8)) > 0)
        }
        #expect(RecordFuzzTarget.run(Data([0xFF, 0xFE, 0x00])) > 0)
    }

    /// Seeded byte mutations of a real note (flips, insertions of JSON's special characters,
    /// cuts): the decoder and every renderer return for each, which is what a fuzzer checks at scale.
    @Test func mutatedNotesNeverTrap() throws {
        let original = Array(try Self.sampleNote().utf8)
        var generator = SeededGenerator(seed: 7)
        let specials: [UInt8] =
            Array("{}[]\",:-+.eE0123456789nN\\u".utf8) + [0x00, 0x1B, 0x7F, 0xC2, 0x9B, 0xFF]
        for _ in 0..<500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = specials.randomElement(using: &generator)!
                case 1: bytes.insert(specials.randomElement(using: &generator)!, at: position)
                default: bytes.removeSubrange(position..<min(bytes.count, position + 8))
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            #expect(RecordFuzzTarget.run(Data(bytes)) >= 0)
        }
    }

    /// A record as the site fixture writes it.
    static func sampleNote() throws -> String {
        let fixture = try SiteFixture()
        let id = try fixture.commit("one", r2: 0.91)
        return try fixture.repo.git(["notes", "--ref=modelgate", "show", id])
    }
}
