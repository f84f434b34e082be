import CLibCrypto
import Foundation

/// SHA-256 digests as lowercase hex, for page keys and content comparison.
///
/// Calls libcrypto directly with a table-driven hex encoding: a site build hashes tens of
/// thousands of keys and pages, and `Checksum.SHA256.finalize` formats each byte with
/// `String(format:)`, which cost a tenth of a build.
enum SHA256Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func of(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex(UnsafeRawBufferPointer($0)) }
    }

    static func of(_ data: Data) -> String { data.withUnsafeBytes { hex($0) } }

    /// A digest of several parts, separated so that ("ab","c") and ("a","bc") differ.
    static func of(parts: [String]) -> String { of(parts.joined(separator: "\u{0}")) }

    /// A digest fed piece by piece (libcrypto's streaming interface).
    struct Incremental {
        private var buffer: [UInt8] = []

        /// Adds the UTF-8 bytes of `text`.
        mutating func add(_ text: String) { buffer.append(contentsOf: text.utf8) }

        /// The digest of everything added so far.
        func hex() -> String { buffer.withUnsafeBytes { SHA256Hex.hex($0) } }
    }

    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        // EVP_Digest hashes in one call; a NULL engine means the default implementation.
        _ = EVP_Digest(
            bytes.baseAddress ?? UnsafeRawPointer(digest), bytes.count, &digest, &length, EVP_sha256(), nil)
        var out = [UInt8](repeating: 0, count: 64)
        for (index, byte) in digest.enumerated() {
            out[2 * index] = digits[Int(byte >> 4)]
            out[2 * index + 1] = digits[Int(byte & 15)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
