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
        discussion: Help.discussion())

    @Argument(help: "Where the history starts.") var rev = "HEAD"
    @Option(
        name: .customLong("metric"),
        help: "Show only this metric (repeatable); with --json, records hold only these metrics.")
    var metrics: [String] = []
    @Option(name: [.customShort("n"), .long], help: "How many commits.") var limit = 20
    @Flag(help: "Print the entries as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let entries = try PipelineInspector(repository: repository).log(from: rev, limit: limit)
        if json {
            // --metric narrows the records to those metrics, as it narrows the text.
            let names = Set(metrics)
            return try Terminal.printJSON(names.isEmpty ? entries : entries.map { $0.keepingMetrics(names) })
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        for entry in entries {
            let verdict = entry.record?.verdict.rawValue ?? "-"
            let shown =
                entry.record.map { record in
                    (metrics.isEmpty ? record.metrics.keys.sorted() : metrics)
                        .compactMap { name in record.metrics[name].map { "\(name)=\(RunReport.format($0))" } }
                        .joined(separator: " ")
                } ?? "(not evaluated)"
            print(
                "\(entry.commit.prefix(7))  \(formatter.string(from: entry.date))  \(verdict.padding(toLength: 5, withPad: " ", startingAt: 0))  \(shown)  \(entry.summary)"
            )
        }
    }
}
