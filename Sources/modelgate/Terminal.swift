import Diagnostics
import Foundation

/// Where output goes: results on stdout, diagnostics on stderr; and the one place where text
/// from records, notes, configs, commits and stages is made safe for a terminal.
///
/// Every line this executable prints passes through here: `print` below shadows the standard
/// library's for the whole module, and `Terminal.printError` writes every diagnostic. Both replace
/// control characters with visible stand-ins (`TerminalText.sanitized`, line breaks and tabs
/// kept), so a metric name, a commit message or a stage's output cannot recolour the terminal,
/// rewrite a line or set the window title. The only escape sequences that reach a terminal are
/// the colours modelgate adds itself (`TerminalLine`, only on a terminal, never with NO_COLOR).
/// JSON goes out exact (`printJSON`): JSON's own escaping makes it inert.
enum Terminal {
    /// Writes one diagnostic (any number of lines) to standard error, sanitised.
    static func printError(_ message: String) {
        printError(TerminalLine(message))
    }

    /// Writes one diagnostic with modelgate's own colours to standard error, its text sanitised.
    static func printError(_ line: TerminalLine) {
        FileHandle.standardError.write(Data((line.rendered + "\n").utf8))
    }

    /// Prints a value as pretty, key-sorted JSON on standard output, dates as ISO 8601 text.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        printJSON(data: try encoder.encode(value))
    }

    /// Prints JSON text on standard output as it is, except that characters a terminal acts on
    /// which JSON leaves raw (DEL, C1 and bidirectional controls) are written as `\uXXXX`
    /// escapes: the same JSON value, inert on a terminal.
    static func printJSON(data: Data, terminator: String = "\n") {
        let text = String(decoding: data, as: UTF8.self)
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            // Outside strings JSON holds only ASCII structure, so a match is always inside one.
            if scalar.value >= 0x20 && TerminalText.isUnsafe(scalar) {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        Swift.print(result, terminator: terminator)
    }
}

/// The executable's `print`: the standard library's, with control characters replaced
/// (`TerminalText.sanitized`, line breaks and tabs kept). Every `print` in this module is this one.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.sanitized(text, keepingLineBreaks: true), terminator: terminator)
}

/// Text for stderr with colour spans modelgate adds itself: the text is sanitised when written,
/// the colours are not, so no record can fake them.
struct TerminalLine: ExpressibleByStringInterpolation {
    private var spans: [(text: String, colour: String?)]

    /// Plain text.
    init(_ text: String) { spans = [(text, nil)] }

    /// Plain text from a literal (interpolations included).
    init(stringLiteral text: String) { self.init(text) }

    /// `text` in the SGR colour `code` ("32" green), or plain when `code` is nil.
    init(_ text: String, colour code: String?) { spans = [(text, code)] }

    /// The text to write: each span sanitised, then wrapped in its colour.
    var rendered: String {
        spans.map { span in
            let text = TerminalText.sanitized(span.text, keepingLineBreaks: true)
            guard let colour = span.colour else { return text }
            return "\u{1B}[\(colour)m\(text)\u{1B}[0m"
        }.joined()
    }

    /// One after the other.
    static func + (lhs: TerminalLine, rhs: TerminalLine) -> TerminalLine {
        var joined = lhs
        joined.spans += rhs.spans
        return joined
    }

    /// Plain text after `lhs`.
    static func + (lhs: TerminalLine, rhs: String) -> TerminalLine { lhs + TerminalLine(rhs) }
}
