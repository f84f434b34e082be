import Foundation
import Pipeline

/// Text for numbers, dates and durations as the site shows them.
enum Format {
    /// A metric value, as the terminal prints it.
    static func number(_ value: Double?) -> String { RunReport.format(value) }

    /// `value` with one decimal, for SVG coordinates ("12.5", "-3.0").
    static func coordinate(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        return "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    private static func pad2(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }

    /// "+0.002", "-1.5", "±0"; "" when unknown.
    static func delta(_ value: Double?) -> String {
        guard let value else { return "" }
        if value == 0 { return "±0" }
        return (value > 0 ? "+" : "") + number(value)
    }

    /// "up", "down" or "same", for styling a delta.
    static func direction(_ value: Double?) -> String {
        guard let value else { return "" }
        return value > 0 ? "up" : value < 0 ? "down" : "same"
    }

    /// "2026-01-01 09:30 UTC".
    static func date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return
            "\(parts.tm_year + 1900)-\(pad2(parts.tm_mon + 1))-\(pad2(parts.tm_mday)) \(pad2(parts.tm_hour)):\(pad2(parts.tm_min)) UTC"
    }

    /// "2026-01-01T09:30:00Z".
    static func isoDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return
            "\(parts.tm_year + 1900)-\(pad2(parts.tm_mon + 1))-\(pad2(parts.tm_mday))T\(pad2(parts.tm_hour)):\(pad2(parts.tm_min)):\(pad2(parts.tm_sec))Z"
    }

    /// "850 ms", "2.4 s", "3 min 05 s".
    static func duration(milliseconds: Int) -> String {
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 60_000 { return String(format: "%.1f s", Double(milliseconds) / 1000) }
        let seconds = milliseconds / 1000
        return String(format: "%d min %02d s", seconds / 60, seconds % 60)
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
