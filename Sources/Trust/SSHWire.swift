import Foundation

/// RFC 4251 wire encoding (uint32, string, mpint) read from untrusted bytes.
///
/// Every read checks the remaining length first and throws `TrustError.malformed` instead of
/// trapping; a declared length can never make it read or allocate past the input it was given.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0
    /// What is being read, for the error message.
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// True when every byte was read.
    var isAtEnd: Bool { offset == bytes.count }

    /// The bytes not read yet.
    var rest: [UInt8] { Array(bytes[offset...]) }

    mutating func fixed(_ count: Int) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw TrustError(.malformed(what: what)) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func byte() throws -> UInt8 { try fixed(1)[0] }

    mutating func uint32() throws -> UInt32 {
        try fixed(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func string() throws -> [UInt8] {
        let length = try uint32()
        guard length <= UInt32(bytes.count - offset) else { throw TrustError(.malformed(what: what)) }
        return try fixed(Int(length))
    }

    /// A string that must be printable ASCII (names, namespaces, algorithms).
    mutating func text() throws -> String {
        let raw = try string()
        guard raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { throw TrustError(.malformed(what: what)) }
        return String(decoding: raw, as: UTF8.self)
    }

    /// Throws unless every byte was read.
    func requireEnd() throws {
        guard isAtEnd else { throw TrustError(.malformed(what: what)) }
    }
}

/// RFC 4251 wire encoding, written.
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func uint32(_ value: UInt32) {
        bytes += [
            UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff),
        ]
    }

    mutating func string(_ value: some Collection<UInt8>) {
        uint32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { string(Array(value.utf8)) }

    /// An mpint from unsigned big-endian magnitude bytes.
    mutating func mpint(_ magnitude: [UInt8]) {
        var trimmed = magnitude.drop { $0 == 0 }
        if let first = trimmed.first, first & 0x80 != 0 { trimmed.insert(0, at: trimmed.startIndex) }
        string(Array(trimmed))
    }
}

/// Base64 with the `-----BEGIN X-----` / `-----END X-----` armor OpenSSH uses.
enum Armor {
    /// The largest armored text read (signatures and keys are a few hundred bytes).
    static let maxBytes = 64 * 1024

    /// The base64 body between the header and footer of `label`, decoded.
    static func decode(_ text: some Collection<UInt8>, label: String, what: String) throws -> [UInt8] {
        guard text.count <= maxBytes else { throw TrustError(.malformed(what: what)) }
        let string = String(decoding: text, as: UTF8.self)
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(begin), trimmed.hasSuffix(end), trimmed.count >= begin.count + end.count
        else { throw TrustError(.malformed(what: what)) }
        let body = trimmed.dropFirst(begin.count).dropLast(end.count).filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)), !data.isEmpty else {
            throw TrustError(.malformed(what: what))
        }
        return [UInt8](data)
    }

    /// `bytes` armored with `label`, base64 in lines of 70 characters as ssh-keygen writes them.
    static func encode(_ bytes: [UInt8], label: String) -> String {
        let base64 = Data(bytes).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 70, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
