import Foundation

/// Reads a stage's metrics JSON: an object whose nested keys become dotted names (`test.r2`).
public enum MetricsFile {
    /// A metrics file that could not be used.
    public struct Problem: Error, Equatable {
        /// What is wrong with it.
        public let reason: String
    }

    /// Flattens `data` (a JSON object) into name → number; booleans count as 0/1, other values are refused.
    public static func parse(_ data: Data) throws -> [String: Double] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let error as DecodingError {
            throw Problem(reason: "it is not valid JSON (\(Self.describe(error)))")
        }
        guard case .object(let object) = value else {
            throw Problem(reason: "it is not a JSON object ({\"name\": number, …})")
        }
        var metrics: [String: Double] = [:]
        try flatten(object, prefix: "", into: &metrics)
        return metrics
    }

    private static func flatten(
        _ object: [String: JSONValue], prefix: String, into metrics: inout [String: Double]
    )
        throws
    {
        for (key, value) in object {
            let name = prefix + key
            switch value {
            case .object(let nested): try flatten(nested, prefix: name + ".", into: &metrics)
            case .number(let number): metrics[name] = number
            case .bool(let flag): metrics[name] = flag ? 1 : 0
            case .null: throw Problem(reason: "'\(name)' is null; write a number")
            case .string(let text):
                throw Problem(reason: "'\(name)' is the string \"\(text)\"; write a number")
            case .array: throw Problem(reason: "'\(name)' is a list; write a number or an object")
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            let underlying =
                (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        default: return "\(error)"
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
