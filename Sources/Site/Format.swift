import Foundation
import Pipeline

/// Text for numbers, dates and durations as the site shows them.
enum Format {
    /// A value as a person reads it (`ReadableNumber`): four significant digits, thousands
    /// separated, no exponent notation for everyday magnitudes.
    static func number(_ value: Double?) -> String { ReadableNumber.value(value) }

    /// A metric's value in the unit its name announces ("850 ms", "12.3 MiB").
    static func value(_ value: Double?, metric: String) -> String {
        ReadableNumber.value(value, metric: metric)
    }

    /// `value` with one decimal, for SVG coordinates ("12.5", "-3.0"); total over every double.
    static func coordinate(_ value: Double) -> String {
        // Charts place every point inside their plot; a value that is not finite or beyond any
        // screen is clamped first, so the conversion below cannot trap.
        let clamped = value.isFinite ? min(max(value, -1e9), 1e9) : 0
        let tenths = Int64((clamped * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        return "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    private static func pad2(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }

    /// "−0.0278 (−2.9 %)", "+12 ms", "±0"; "" when unknown (`ReadableNumber.delta`).
    static func delta(_ value: Double?, baseline: Double? = nil, metric: String = "") -> String {
        ReadableNumber.delta(value, baseline: baseline, metric: metric)
    }

    /// "up", "down" or "same", for styling a delta.
    static func direction(_ value: Double?) -> String {
        guard let value else { return "" }
        return value > 0 ? "up" : value < 0 ? "down" : "same"
    }

    /// "2026-01-01 09:30 UTC".
    static func date(_ date: Date) -> String {
        let parts = calendarParts(date)
        return
            "\(parts.tm_year + 1900)-\(pad2(parts.tm_mon + 1))-\(pad2(parts.tm_mday)) \(pad2(parts.tm_hour)):\(pad2(parts.tm_min)) UTC"
    }

    /// "2026-01-01T09:30:00Z".
    static func isoDate(_ date: Date) -> String {
        let parts = calendarParts(date)
        return
            "\(parts.tm_year + 1900)-\(pad2(parts.tm_mon + 1))-\(pad2(parts.tm_mday))T\(pad2(parts.tm_hour)):\(pad2(parts.tm_min)):\(pad2(parts.tm_sec))Z"
    }

    /// The UTC calendar fields of `date`, clamped to the years 1–9999 (a commit or record may
    /// carry any date; the conversion to `time_t` must not trap, nor `gmtime_r` fail).
    private static func calendarParts(_ date: Date) -> tm {
        let seconds = date.timeIntervalSince1970
        let bounded = seconds.isFinite ? min(max(seconds, -62_135_596_800), 253_402_300_799) : 0
        var clock = time_t(bounded.rounded(.down))
        var parts = tm()
        gmtime_r(&clock, &parts)
        return parts
    }

    /// "850 ms", "2.4 s", "3 min 05 s": the terminal's and the Markdown report's rule.
    static func duration(milliseconds: Int) -> String {
        RunReport.formatDuration(milliseconds: milliseconds)
    }

    /// A `Modelgate-Metrics` trailer as a person reads it: "accuracy 0.9712, rows 451" (names in
    /// order); the text as written when it is not a JSON object of numbers.
    static func metrics(trailer text: String) -> String {
        guard let metrics = try? JSONDecoder().decode([String: Double].self, from: Data(text.utf8)) else {
            return text
        }
        return metrics.keys.sorted().map { "\($0) \(value(metrics[$0], metric: $0))" }.joined(separator: ", ")
    }

    /// ">= 0.9", "drop <= 1%", as the gate table says it.
    static func limit(_ gate: GateResult) -> String { RunReport.describeLimit(gate) }
}

/// Escaping for text we put into HTML/SVG ourselves (Mustache escapes `{{values}}` on its own).
enum HTML {
    /// Escapes `& < > " '` so that `text` is inert in element content and quoted attributes.
    static func escape(_ text: String) -> String {
        if !text.utf8.contains(where: {
            $0 < 0x20 || $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27
        }) {
            return text
        }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default:
                // Control characters other than tab/newline are not allowed in XML text.
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}

/// JSON string escaping for the exports we assemble by hand.
enum JSONText {
    /// `text` as a quoted JSON string.
    static func quote(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x3C }) {
            return "\"" + text + "\""
        }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<": result += "\\u003c"  // harmless if the file is ever inlined into HTML
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A finite number as JSON, `null` otherwise.
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
