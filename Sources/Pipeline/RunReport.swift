import Foundation

/// Renders a record for a terminal: the gate table and the verdict line.
public enum RunReport {
    /// Formats a metric value compactly (4 significant decimals, no exponent for usual sizes).
    public static func format(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 { return String(format: "%.4g", value) }
        return String(format: "%.4f", value).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    /// "+0.0020" / "-0.0100", or "" when unknown.
    static func formatDelta(_ delta: Double?) -> String {
        guard let delta else { return "" }
        return (delta >= 0 ? "+" : "") + format(delta)
    }

    /// "r2 >= 0.9", "rmse drop <= 1%".
    static func describeLimit(_ gate: GateResult) -> String {
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
                gate.metric, format(gate.value), describeLimit(gate), format(gate.baseline), formatDelta(gate.delta),
                gate.status.rawValue,
            ])
        }
        return table(rows)
    }

    /// Metrics with no gate, as "name value" lines.
    public static func metricsTable(_ record: RunRecord) -> String {
        let rows = [["metric", "value"]] + record.metrics.keys.sorted().map { [$0, format(record.metrics[$0])] }
        return table(rows)
    }

    /// Columns padded to their widest cell, two spaces apart, indented by two.
    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            "  " + row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
