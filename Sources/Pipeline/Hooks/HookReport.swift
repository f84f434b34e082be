import Diagnostics
import Foundation

/// The text a hook prints when it lets something through or refuses it.
///
/// A refusal is compact and ends with what matters: the failed gates (metric, value, limit,
/// baseline, delta), which files changed, the command that reproduces it, and how to skip once.
public enum HookReport {
    /// The failed (or unjudgeable) gates as a table: metric, value, limit, baseline, delta.
    public static func failedGateTable(_ record: RunRecord) -> String {
        failedGateTable(record.failedGates)
    }

    /// `gates` as a table: metric, value, limit, baseline, delta.
    public static func failedGateTable(_ gates: [GateResult]) -> String {
        var rows = [["metric", "value", "limit", "baseline", "delta"]]
        for gate in gates {
            rows.append([
                gate.metric, gate.value == nil ? "missing" : RunReport.format(gate.value),
                RunReport.describeLimit(gate),
                RunReport.format(gate.baseline), RunReport.formatDelta(gate.delta),
            ])
        }
        return [RunReport.table(rows), RunReport.significanceLines(gates)].compactMap { $0 }.joined(
            separator: "\n")
    }

    /// The failed gates grouped by metric, each metric named once with the limits it broke:
    /// "r2 (>= 0.9, drop <= 0.01), rmse (missing)".
    public static func failedMetrics(_ record: RunRecord) -> String {
        var order: [String] = []
        var limits: [String: [String]] = [:]
        for gate in record.failedGates {
            if limits[gate.metric] == nil { order.append(gate.metric) }
            limits[gate.metric, default: []].append(
                gate.status == .missing ? "missing" : RunReport.describeLimit(gate))
        }
        return order.map { metric in
            let broken = limits[metric, default: []].reduce(into: [String]()) {
                if !$0.contains($1) { $0.append($1) }
            }
            return
                "\(TerminalText.cell(metric, limit: RunReport.nameWidth)) (\(broken.joined(separator: ", ")))"
        }.joined(separator: ", ")
    }

    /// "a.csv, b.csv and 3 more".
    public static func list(_ paths: [String], limit: Int = 5) -> String {
        let shown = paths.prefix(limit).map { TerminalText.cell($0, limit: 120) }
        guard paths.count > limit else { return shown.joined(separator: ", ") }
        return shown.joined(separator: ", ") + " and \(paths.count - limit) more"
    }

    /// How to skip the hook `hook` once.
    public static func skipLine(_ hook: String) -> String {
        let command = hook == "pre-push" ? "git push" : "git commit"
        return "  skip once: \(command) --no-verify, or MODELGATE_SKIP=1 \(command) (skips only modelgate)"
    }

    /// The body of a refusal after its headline: gates, changed files, reproduce, skip once.
    public static func refusalDetails(
        _ record: RunRecord, changed: [String], reproduce: String, hook: String
    ) -> [String] {
        var lines: [String] = []
        if record.verdict == .fail {
            lines.append(failedGateTable(record))
            if let baseline = record.baseline,
                baseline.commit != nil
                    || record.failedGates.contains(where: { $0.kind == .maxDrop || $0.kind == .maxRise })
            {
                lines.append(
                    "  baseline: \(baseline.policy) -> \(baseline.commit.map { String($0.prefix(7)) } ?? "none") (\(baseline.comparison))"
                )
            }
        } else if let error = record.error {
            lines.append(contentsOf: error.split(separator: "\n").map { "  " + $0 })
        }
        if !changed.isEmpty { lines.append("  changed: \(list(changed))") }
        lines.append("  reproduce: \(reproduce)")
        lines.append(skipLine(hook))
        return lines
    }

    /// One line for a passing verdict: "r2 0.92 (>= 0.9), rmse 2.1 (<= 2.5)".
    public static func passSummary(_ record: RunRecord) -> String {
        let gates = record.gates.filter { $0.status == .pass }.prefix(4).map {
            "\(TerminalText.cell($0.metric, limit: RunReport.nameWidth)) \(RunReport.format($0.value)) (\(RunReport.describeLimit($0)))"
        }
        return gates.isEmpty ? "no gates" : gates.joined(separator: ", ")
    }
}
