import Checksum
import Foundation

/// SHA-256 digests as lowercase hex, for page keys and content comparison.
enum SHA256Hex {
    static func of(_ text: String) -> String { SHA256.hex(of: text) }

    static func of(_ data: Data) -> String { SHA256.hex(of: data) }

    /// A digest of several parts, separated so that ("ab","c") and ("a","bc") differ.
    static func of(parts: [String]) -> String { of(parts.joined(separator: "\u{0}")) }
}
