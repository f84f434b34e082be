import Diagnostics
import Foundation

/// Renders a record for a terminal: the gate table and the verdict line.
public enum RunReport {
    /// The most characters of a name (metric, stage, parameter) a table shows; longer ones end in `…`.
    public static let nameWidth = 48

    /// A metric value, compactly: integers whole, else up to 4 decimals without trailing zeros,
    /// `%.4g` for very large or small magnitudes. Built by hand: the site formats tens of
    /// thousands of values per build.
    public static func format(_ value: Double?) -> String {
        guard let value else { return "-" }
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 { return String(format: "%.4g", value) }
        let scaled = Int64((magnitude * 10_000).rounded())
        var fraction = scaled % 10_000
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(scaled / 10_000)
        if fraction != 0 {
            var digits = 4
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            let raw = String(fraction)
            text += "." + String(repeating: "0", count: digits - raw.count) + raw
        }
        return text
    }

    /// "+0.0020" / "-0.0100", or "" when unknown.
    static func formatDelta(_ delta: Double?) -> String {
        guard let delta else { return "" }
        return (delta >= 0 ? "+" : "") + format(delta)
    }

    /// ">= 0.9", "drop <= 1%": a gate's limit as the gate table and the site say it.
    public static func describeLimit(_ gate: GateResult) -> String {
        switch gate.kind {
        case .min: return ">= \(format(gate.limit))"
        case .max: return "<= \(format(gate.limit))"
        case .maxDrop, .maxRise:
            let word = gate.kind == .maxDrop ? "drop" : "rise"
            let amount = gate.relative ? format(gate.limit * 100) + "%" : format(gate.limit)
            return "\(word) <= \(amount)"
        }
    }

    /// The gates as an aligned table: metric, value, limit, baseline, delta, result.
    public static func gateTable(_ record: RunRecord) -> String {
        var rows = [["metric", "value", "limit", "baseline", "delta", "result"]]
        for gate in record.gates {
            rows.append([
                gate.metric, format(gate.value), describeLimit(gate), format(gate.baseline),
                formatDelta(gate.delta),
                gate.outcome == "inconclusive"
                    ? "\(gate.status.rawValue) (inconclusive)" : gate.status.rawValue,
            ])
        }
        return [table(rows), significanceLines(record.gates)].compactMap { $0 }.joined(separator: "\n")
    }

    /// Metrics with no gate, as "name value" lines.
    public static func metricsTable(_ record: RunRecord) -> String {
        let rows =
            [["metric", "value"]] + record.metrics.keys.sorted().map { [$0, format(record.metrics[$0])] }
        return table(rows)
    }

    /// Columns padded to their widest cell, two spaces apart, indented by two. Cells are
    /// sanitised (`TerminalText`) and cut to `nameWidth` characters, so a record's names can
    /// neither act on the terminal nor stretch the table.
    static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map { TerminalText.cell($0, limit: nameWidth) } }
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            "  "
                + row.enumerated().map { index, cell in
                    index == row.count - 1
                        ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
