import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate log`: first-parent history with verdicts and metrics.
struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the first-parent history with each commit's verdict and metrics.",
        discussion: Help.discussion(
            """
            A commit whose note is not a readable run record shows '?' and the reason; in --json
            its entry has no "record" and "unreadable": REASON instead. With a 'trust:' policy, each
            record's line ends with who vouched for it ([ci@example.com, verified] or
            [local, unsigned]).

            """))

    @Argument(help: "Where the history starts.") var rev = "HEAD"
    @Option(
        name: .customLong("metric"),
        help: "Show only this metric (repeatable); with --json, records hold only these metrics.")
    var metrics: [String] = []
    @Option(name: [.customShort("n"), .long], help: "How many commits.") var limit = 20
    @Flag(help: "Print the entries as JSON.") var json = false

    /// The most metrics one line shows (with --metric, those named are all shown).
    static let metricsPerLine = 12

    /// "r2=0.92 rmse=2.1": the metrics named `only` (all when empty, up to `metricsPerLine`).
    static func metricsText(_ record: RunRecord, only: [String]) -> String {
        let names = only.isEmpty ? record.metrics.keys.sorted() : only
        var parts = names.prefix(only.isEmpty ? metricsPerLine : names.count).compactMap { name in
            record.metrics[name].map {
                "\(TerminalText.cell(name, limit: RunReport.nameWidth))=\(RunReport.format($0))"
            }
        }
        if only.isEmpty && names.count > metricsPerLine {
            parts.append("(\(names.count - metricsPerLine) more)")
        }
        return parts.joined(separator: " ")
    }

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let entries = try PipelineInspector(repository: repository).log(from: rev, limit: limit)
        if json {
            // --metric narrows the records to those metrics, as it narrows the text.
            let names = Set(metrics)
            return try Terminal.printJSON(names.isEmpty ? entries : entries.map { $0.keepingMetrics(names) })
        }
        // With a trust policy, each evaluated line says who vouched for its record.
        let trust = (try? TrustedVerdicts.policy(in: repository))?.map {
            TrustedVerdicts(repository: repository, signers: $0.1)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        for entry in entries {
            let verdict = entry.record?.verdict.rawValue ?? (entry.unreadable != nil ? "?" : "-")
            let voucher =
                entry.record == nil
                ? nil
                : (ObjectID(hex: entry.commit)).flatMap { try? trust?.voucher(for: $0) }
            let shown =
                entry.record.map { Self.metricsText($0, only: metrics) + (voucher.map { "  [\($0)]" } ?? "") }
                ?? entry.unreadable.map { "(unreadable record: \($0))" } ?? "(not evaluated)"
            print(
                "\(entry.commit.prefix(7))  \(formatter.string(from: entry.date))  \(verdict.padding(toLength: 5, withPad: " ", startingAt: 0))  \(shown)  \(entry.summary)"
            )
        }
    }
}
