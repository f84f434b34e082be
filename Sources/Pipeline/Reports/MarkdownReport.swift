import Foundation

/// A report as GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY` and PR/MR comments.
///
/// The first line is the hidden marker `<!-- modelgate-report -->`, so a bot can find and
/// update one sticky comment. Numbers are `ReadableNumber` text, which holds no Markdown syntax.
/// Every string from a record goes through `text(_:)`: control characters are dropped, line
/// breaks become spaces, every ASCII punctuation character is
/// backslash-escaped (CommonMark's escape, valid for any of them; `|` too, which GitHub's tables
/// need) and it is cut to `cellLimit` characters, so a record can neither add Markdown or HTML
/// nor break a table. The whole report is at most `characterLimit` UTF-8 bytes (GitHub's
/// comment limit is 65,536 characters; bytes are never fewer): past it, whole lines are
/// dropped from the end and a note says so.
public enum MarkdownReport {
    /// The hidden marker line.
    public static let marker = "<!-- modelgate-report -->"
    /// The most bytes a report has.
    public static let characterLimit = 65_536
    /// The most characters of one record string.
    static let cellLimit = 200
    /// The most changed inputs listed.
    static let pathLimit = 50

    /// Renders `report`.
    public static func render(_ report: ForgeReport) -> String {
        let record = report.record
        var lines = [marker]
        let icon = record.verdict == .pass ? "✅" : record.verdict == .fail ? "❌" : "💥"
        lines.append(
            "### \(icon) modelgate: **\(record.verdict.rawValue)** on `\(report.subject)`")
        lines.append("")
        // `signer` is who vouched under the repository's trust policy (`TrustedVerdicts.voucher`).
        lines.append("Signed by: \(report.signer.map(text) ?? "local, unsigned")")
        if !record.stages.isEmpty {
            // Made of numbers, a date and a hex id (`RunReport.timing`): nothing to escape.
            lines.append("")
            lines.append("Time: \(RunReport.timing(record))")
        }
        if let error = record.error, record.verdict == .error {
            lines.append("")
            lines.append("Error: \(text(error))")
        }
        lines.append("")
        if record.gates.isEmpty {
            lines.append("No gates are configured.")
        } else {
            lines.append("| gate | value | limit | baseline | delta | result |")
            lines.append("|---|--:|---|--:|--:|---|")
            for gate in record.gates {
                let baseline = report.baseline(of: gate)
                let delta = ReadableNumber.delta(
                    report.delta(of: gate), baseline: baseline, metric: gate.metric)
                let value = ReadableNumber.value(gate.value, metric: gate.metric)
                lines.append(
                    "| \(text(gate.metric)) | \(value) | \(text(RunReport.describeLimit(gate))) | \(ReadableNumber.value(baseline, metric: gate.metric)) | \(delta) | \(gate.status == .pass ? "pass" : "**\(gate.status.rawValue)**") |"
                )
            }
        }
        if !report.metrics.isEmpty {
            lines.append("")
            let base = report.baselineCommit.map { " vs baseline `\(String($0.prefix(7)))`" } ?? ""
            lines.append("<details><summary>Metrics\(base)</summary>")
            lines.append("")
            lines.append("| metric | value | baseline | delta |")
            lines.append("|---|--:|--:|--:|")
            for metric in report.metrics {
                let delta = ReadableNumber.delta(metric.delta, baseline: metric.baseline, metric: metric.name)
                let value = ReadableNumber.value(metric.value, metric: metric.name)
                let baseline = ReadableNumber.value(metric.baseline, metric: metric.name)
                lines.append("| \(text(metric.name)) | \(value) | \(baseline) | \(delta) |")
            }
            lines.append("")
            lines.append("</details>")
        }
        if !report.changedInputs.isEmpty {
            lines.append("")
            lines.append("Changed inputs since the baseline:")
            for path in report.changedInputs.prefix(pathLimit) { lines.append("- \(text(path))") }
            if report.changedInputs.count > pathLimit {
                lines.append("- and \(report.changedInputs.count - pathLimit) more")
            }
        }
        lines.append("")
        lines.append("Reproduce: `\(report.reproduce)`")
        if let url = report.siteURL {
            lines.append("")
            lines.append("[This commit on the report site](<\(url)>)")
        }
        return trimmed(lines)
    }

    /// The lines joined, at most `characterLimit` bytes: whole lines dropped from the end, with a note.
    static func trimmed(_ lines: [String]) -> String {
        let whole = lines.joined(separator: "\n") + "\n"
        guard whole.utf8.count > characterLimit else { return whole }
        let note =
            "\n_Report trimmed to \(characterLimit) characters; see `modelgate show --json` for all._\n"
        var kept: [String] = []
        var size = note.utf8.count
        for line in lines {
            let cost = line.utf8.count + 1
            guard size + cost <= characterLimit else { break }
            kept.append(line)
            size += cost
        }
        return kept.joined(separator: "\n") + "\n" + note
    }

    /// A record's string made inert for Markdown: see the type's summary.
    public static func text(_ value: String) -> String {
        var out = ""
        var count = 0
        for scalar in value.unicodeScalars {
            guard count < cellLimit else {
                out += "…"
                break
            }
            count += 1
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                if scalar == "\n" || scalar == "\t" || scalar == "\r" || scalar == "\u{2028}"
                    || scalar == "\u{2029}"
                {
                    out += " "
                }
                continue
            default: break
            }
            if scalar.isASCII, scalar.properties.isPatternSyntax || scalar == "_" {
                out += "\\"
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
