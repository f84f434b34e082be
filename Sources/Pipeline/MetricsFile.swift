import Diagnostics
import FileSafety
import Foundation

/// Reads a stage's metrics JSON: an object whose nested keys become dotted names (`test.r2`).
///
/// The metrics become part of a run record, so the file must fit `RecordLimits`: at most
/// `RecordLimits.noteBytes` (checked before it is read), at most `RecordLimits.metrics` metrics,
/// names that follow `NameRules` (as a gate's metric in `modelgate.yml` does), finite numbers. A file
/// that breaks one is the stage's error, with the reason, and none of its metrics is recorded.
public enum MetricsFile {
    /// A metrics file that could not be used.
    public struct Problem: Error, Equatable {
        /// What is wrong with it.
        public let reason: String
    }

    /// The metrics in `file` (opened inside the checkout, so never through a link leading out of
    /// it); its size is checked before it is read.
    package static func read(_ file: OpenedFile) throws -> [String: Double] {
        var info = stat()
        if fstat(file.descriptor, &info) == 0, info.st_size > RecordLimits.noteBytes {
            throw Problem(
                reason:
                    "it is \(RecordDecoder.byteCount(Int(info.st_size))); a metrics file is at most \(RecordDecoder.byteCount(RecordLimits.noteBytes))"
            )
        }
        // At most one byte past the limit: a file that grew after the check is still refused.
        return try parse(try file.read(atMost: RecordLimits.noteBytes))
    }

    /// Flattens `data` (a JSON object) into name → number; booleans count as 0/1, other values are refused.
    public static func parse(_ data: Data) throws -> [String: Double] {
        if data.count > RecordLimits.noteBytes {
            throw Problem(reason: "it is over \(RecordDecoder.byteCount(RecordLimits.noteBytes))")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Problem(reason: RecordDecoder.describe(error, in: data))
        }
        guard case .object(let object) = value else {
            throw Problem(reason: "it is not a JSON object ({\"name\": number, …})")
        }
        var metrics: [String: Double] = [:]
        try flatten(object, prefix: "", into: &metrics)
        if let problem = RecordLimits.metricsProblem(metrics) { throw Problem(reason: problem.description) }
        return metrics
    }

    private static func flatten(
        _ object: [String: JSONValue], prefix: String, into metrics: inout [String: Double]
    )
        throws
    {
        for key in object.keys.sorted() {
            let name = prefix + key
            // Checked as names grow, so a deep or wide file stops at the first name over a limit.
            if name.utf8.count > NameRules.maxBytes, let problem = RecordLimits.nameProblem(name) {
                throw Problem(reason: problem.description)
            }
            switch object[key]! {
            case .object(let nested): try flatten(nested, prefix: name + ".", into: &metrics)
            case .number(let number): metrics[name] = number
            case .bool(let flag): metrics[name] = flag ? 1 : 0
            case .null: throw Problem(reason: "\(NameRules.quoted(name)) is null; write a number")
            case .string(let text):
                throw Problem(
                    reason:
                        "\(NameRules.quoted(name)) is the string \"\(TerminalText.cell(text, limit: 60))\"; write a number"
                )
            case .array:
                throw Problem(reason: "\(NameRules.quoted(name)) is a list; write a number or an object")
            }
            if metrics.count > RecordLimits.metrics {
                throw Problem(
                    reason:
                        "it has more than \(RecordLimits.metrics) metrics; at most \(RecordLimits.metrics) are allowed"
                )
            }
        }
    }
}

/// Any JSON value, decoded without loss of the number/boolean distinction.
enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case number(Double)
    case bool(Bool)
    case string(String)
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
