#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JSON document as a tree, decoded by Foundation's `JSONDecoder`, so request decoding can name
/// the exact element that is wrong (`inputs[0].data[7] is not a number`) instead of passing on a
/// decoder's coding path.
///
/// Decoding never throws below the top level: a number outside Double's range becomes
/// `.unrepresentable`, so the caller reports it where it sits. Nesting is checked before decoding
/// (`JSONValue.depth(of:)`): the tree is built by recursion, so a hostile body of a million `[`
/// must be refused before it reaches the decoder.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// A number the decoder could not represent as a Double (e.g. 1e999).
    case unrepresentable

    /// The deepest nesting accepted; the request formats need five levels at most ([N, F] data
    /// nested as rows inside an input inside `inputs` inside the body), and more for tensors of
    /// higher rank, which are refused anyway.
    static let maxDepth = 16

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([JSONValue].self) {
            self = .array(items)
        } else if let members = try? container.decode([String: JSONValue].self) {
            self = .object(members)
        } else {
            self = .unrepresentable
        }
    }

    /// Parses `body`: nil-free result or a 400 naming what is malformed.
    static func parse(_ body: Data) throws(RequestProblem) -> JSONValue {
        guard depth(of: body) <= maxDepth else {
            throw .bad("the JSON body nests deeper than \(maxDepth) levels")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw .bad("the body is not valid JSON: \(Self.reason(error))")
        }
    }

    /// The deepest nesting of arrays and objects in `bytes`, counting brackets outside strings.
    /// Malformed input gives some number; the decoder reports what is wrong with it.
    static func depth(of bytes: Data) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// The decoder's own words, without Swift type names.
    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
        return "unreadable"
    }

    /// What kind of value this is, for messages ("a string", "true").
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        case .unrepresentable: return "a number too large for a double"
        }
    }
}
