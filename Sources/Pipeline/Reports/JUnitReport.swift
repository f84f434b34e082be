import Foundation

/// A report as JUnit XML, for GitLab's `artifacts:reports:junit`, Jenkins and other CI readers.
///
/// One test case per gate (a failed or missing gate is a `<failure>` whose message has the
/// value, the limit and the baseline; a change bound with no baseline is `<skipped>`), and one
/// per stage (a crashed stage is an `<error>` with the record's error text). No CDATA is used:
/// every string from a record is escaped by `escape(_:)` — the five XML specials become
/// entities, characters XML 1.0 forbids (most control characters, U+FFFE, U+FFFF) are dropped,
/// tab and line breaks in attributes become character references — and cut to `fieldLimit`
/// characters, so a record cannot end an element, smuggle markup or make the file unreadable.
public enum JUnitReport {
    /// The most characters of one record string.
    static let fieldLimit = 4096

    /// Renders `report`.
    public static func render(_ report: ForgeReport) -> String {
        let record = report.record
        var cases: [String] = []
        var failures = 0
        var errors = 0
        var skipped = 0
        for gate in record.gates {
            let name = "\(gate.metric) \(RunReport.describeLimit(gate))"
            let detail =
                "\(gate.metric) = \(RunReport.format(gate.value)), limit \(RunReport.describeLimit(gate)), baseline \(RunReport.format(report.baseline(of: gate)))"
            var body = ""
            switch gate.status {
            case .pass: break
            case .fail, .missing:
                failures += 1
                let message = gate.status == .missing ? "\(gate.metric) was not reported; \(detail)" : detail
                body =
                    "\n      <failure type=\"gate\" message=\"\(escape(message))\">\(escape(message))</failure>\n    "
            case .noBaseline:
                skipped += 1
                body =
                    "\n      <skipped message=\"\(escape("no baseline to compare with; \(detail)"))\"/>\n    "
            }
            cases.append(
                "    <testcase classname=\"modelgate.gates\" name=\"\(escape(name))\" time=\"0\">\(body)</testcase>"
            )
        }
        for stage in record.stages {
            let seconds = String(format: "%.3f", Double(max(0, stage.durationMilliseconds)) / 1000)
            var body = ""
            if stage.status == "error" {
                errors += 1
                let message = record.error ?? "stage \(stage.name) failed"
                body =
                    "\n      <error type=\"stage\" message=\"\(escape(message))\">\(escape(message))</error>\n    "
            } else if stage.status == "skipped" {
                skipped += 1
                body = "\n      <skipped message=\"not reached\"/>\n    "
            }
            cases.append(
                "    <testcase classname=\"modelgate.stages\" name=\"\(escape(stage.name))\" time=\"\(seconds)\">\(body)</testcase>"
            )
        }
        let seconds = String(format: "%.3f", Double(max(0, record.durationMilliseconds)) / 1000)
        let suite =
            "tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds)\""
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="modelgate" \(suite)>
              <testsuite name="\(escape("modelgate \(report.subject): \(record.verdict.rawValue)"))" \(suite)>
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>

            """
    }

    /// `value` safe inside XML text and double-quoted attributes; see the type's summary.
    public static func escape(_ value: String) -> String {
        var out = ""
        var count = 0
        for scalar in value.unicodeScalars {
            guard count < fieldLimit else {
                out += "…"
                break
            }
            count += 1
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default:
                // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
                let v = scalar.value
                guard (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v) || v >= 0x10000 else {
                    continue
                }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
