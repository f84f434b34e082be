import Diagnostics
import Foundation
import Pipeline

/// The fuzzing entry point for run records: raw bytes read as a note, then rendered the way
/// every output renders a record (terminal tables through the sanitiser, site numbers, dates and
/// chart coordinates, the Prometheus and JSON number formats); the same bytes read as a stage's
/// metrics file (`MetricsFile`), whose result must fit a record.
///
/// It must return for any input without trapping; it traps on purpose (a finding) when a
/// record the decoder accepted breaks a limit or when sanitised text still holds a character a
/// terminal acts on.
package enum RecordFuzzTarget {
    /// The record as `modelgate report` renders it for a forge, compared with itself as the
    /// baseline; traps when the Markdown is over its limit or holds a control character, or
    /// when the XML holds a character XML forbids or an unescaped `<`/`]]>` from the record.
    static func forgeReports(_ record: RunRecord) -> Int {
        let report = ForgeReport(
            record: record, commit: String(repeating: "a", count: 40),
            baseline: (String(repeating: "b", count: 40), record), siteURL: nil)
        let markdown = MarkdownReport.render(report)
        precondition(markdown.utf8.count <= MarkdownReport.characterLimit, "a Markdown report over its limit")
        precondition(
            !markdown.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" },
            "a control character in a Markdown report")
        let xml = JUnitReport.render(report)
        precondition(!xml.contains("]]>"), "']]>' in a JUnit report")
        precondition(
            !xml.unicodeScalars.contains {
                $0.value < 0x20 && $0 != "\n" || $0.value == 0xFFFE || $0.value == 0xFFFF
            }, "a character XML forbids in a JUnit report")
        // Markup the renderer writes: every '<' opens one of its own elements or the header.
        let allowed = [
            "<?xml", "<testsuites", "</testsuites", "<testsuite", "</testsuite", "<testcase",
            "</testcase", "<failure", "</failure", "<error", "</error", "<skipped",
        ]
        var rest = Substring(xml)
        while let open = rest.firstIndex(of: "<") {
            let tail = rest[open...]
            precondition(allowed.contains { tail.hasPrefix($0) }, "markup from a record in a JUnit report")
            rest = rest[rest.index(after: open)...]
        }
        return markdown.utf8.count + xml.utf8.count
    }

    /// Decodes `bytes` with `RecordDecoder` and renders the result; returns the rendered size.
    @discardableResult
    package static func run(_ bytes: Data) -> Int {
        if let metrics = try? MetricsFile.parse(bytes) {
            precondition(
                RecordLimits.metricsProblem(metrics) == nil, "a metrics file was accepted over a limit")
        }
        switch RecordDecoder().decode(bytes) {
        case .failure(let reason):
            return checked(reason.text)
        case .success(let record):
            precondition(
                RecordLimits.problem(in: record) == nil, "the decoder accepted a record over a limit")
            var size = checked(RunReport.gateTable(record)) + checked(RunReport.metricsTable(record))
            size += HookReport.refusalDetails(record, changed: [], reproduce: "r", hook: "pre-push").reduce(0)
            {
                $0 + checked($1)
            }
            size += checked(HookReport.passSummary(record)) + checked(RunReport.timing(record))
            size += forgeReports(record)
            size += checked(Format.date(record.started)) + checked(Format.isoDate(record.started))
            var points: [Chart.Point] = []
            for (offset, name) in record.metrics.keys.sorted().prefix(64).enumerated() {
                let value = record.metrics[name] ?? 0
                size += Format.number(value).utf8.count + JSONText.number(value).utf8.count
                size += PrometheusExport.value(value).utf8.count
                size += Format.delta(value - 1, baseline: value, metric: name).utf8.count
                size += Format.value(value, metric: name).utf8.count
                points.append(
                    Chart.Point(
                        x: offset, value: value, commit: "c", date: "d", failed: false, href: "h",
                        interval: Chart.valueInterval(of: name, in: record)))
            }
            let thresholds = record.gates.prefix(16).map {
                Chart.Threshold(value: $0.limit, label: $0.metric)
            }
            let chart = Chart(
                metric: "m", points: points, thresholds: thresholds, xRange: 0...max(0, points.count - 1),
                startLabel: "a", endLabel: "b")
            let axis = AxisTicks(covering: points.map(\.value))
            precondition(
                (2...AxisTicks.maxCount).contains(axis.values.count)
                    && zip(axis.values, axis.values.dropFirst()).allSatisfy { $0 < $1 },
                "an axis that is not 2-6 ascending ticks")
            return size + chart.svg().utf8.count
        }
    }

    /// `text` sanitised as the terminal layer does it, checked for anything left a terminal acts on.
    private static func checked(_ text: String) -> Int {
        let shown = TerminalText.sanitized(text)
        precondition(TerminalText.firstUnsafe(in: shown) == nil, "sanitised text still holds a control")
        return shown.utf8.count
    }
}
