import Foundation

/// Where output goes: results on stdout, diagnostics on stderr.
enum Terminal {
    /// Writes one diagnostic (any number of lines) to standard error.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Prints a value as pretty, key-sorted JSON on standard output, dates as ISO 8601 text.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
