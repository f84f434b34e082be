import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate diff [A] [B]`: metrics and parameters of two evaluations, with deltas.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the metrics and parameters of two evaluated commits (default: HEAD~1 and HEAD).",
        discussion: Help.discussion(
            """
            A side may also be 'staged' or 'worktree', found by its inputs in the run cache. Exit
            status 2 when a side has no record or its note is not a readable run record.

            """))

    @Argument(help: "The older side.") var a = "HEAD~1"
    @Argument(help: "The newer side.") var b = "HEAD"
    @Flag(help: "Print a Markdown table (for pull requests).") var md = false
    @Flag(help: "Print the comparison as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let comparison = try PipelineInspector(repository: repository).compare(Self.source(a), Self.source(b))
        if json { return try Terminal.printJSON(comparison) }
        var rows = [["metric", comparison.a, comparison.b, "change"]]
        rows += comparison.metrics.map { [$0.name, $0.old ?? "-", $0.new ?? "-", Self.delta($0.delta)] }
        if !comparison.params.isEmpty {
            rows.append(["param", "", "", ""])
            rows += comparison.params.map { [$0.name, $0.old ?? "-", $0.new ?? "-", Self.delta($0.delta)] }
        }
        // Names and parameter values come from records and the repository: shown sanitised and cut.
        rows = rows.map { $0.map { TerminalText.cell($0, limit: RunReport.nameWidth) } }
        print(md ? Self.markdown(rows) : Self.aligned(rows))
        // Side B's gates with a confidence: each interval in words (sanitised by the report).
        if let lines = comparison.significance.flatMap(RunReport.significanceLines) {
            print("\(comparison.b) gates with confidence:\n\(lines)")
        }
    }

    static func source(_ text: String) -> EvaluationSource {
        switch text {
        case "staged": return .staged
        case "worktree": return .worktree
        default: return .revision(text)
        }
    }

    static func delta(_ value: Double?) -> String {
        guard let value else { return "" }
        return (value >= 0 ? "+" : "") + RunReport.format(value)
    }

    static func aligned(_ rows: [[String]]) -> String {
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }.joined(separator: "\n")
    }

    static func markdown(_ rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        return ([line(rows[0]), line(["---", "---:", "---:", "---:"])] + rows.dropFirst().map(line)).joined(
            separator: "\n")
    }
}
