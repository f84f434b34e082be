import Foundation

/// A minimal, deterministic ustar (POSIX.1-1988) writer: regular files and directories only,
/// uid/gid 0, one fixed time stamp, entries in the order given, mode 0755 for directories and
/// 0644 for files unless the caller fixes another. Paths longer than ustar's
/// name/prefix split are carried by a PAX `path` record.
///
/// Writing our own trusted files is small and a fixed, byte-exact output is what makes
/// packaging reproducible. Reading untrusted layers is libarchive's job (`TarReader`).
enum TarArchive {
    static let blockSize = 512

    /// The 512-byte ustar header of one entry.
    static func header(
        path: String, size: Int64, isDirectory: Bool, mtime: Int64, type: UInt8? = nil, mode: Int64? = nil
    ) throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        let (prefix, name) = try split(path)
        put(name, into: &block, at: 0, width: 100)
        put(octal(mode ?? (isDirectory ? 0o755 : 0o644), width: 8), into: &block, at: 100, width: 8)
        put(octal(0, width: 8), into: &block, at: 108, width: 8)
        put(octal(0, width: 8), into: &block, at: 116, width: 8)
        guard size < 0o77777777777 else {
            throw ArtifactError(
                "'\(path)' is larger than 8 GiB, which a ustar layer cannot hold", location: path)
        }
        put(octal(size, width: 12), into: &block, at: 124, width: 12)
        put(octal(mtime, width: 12), into: &block, at: 136, width: 12)
        block[156] = type ?? (isDirectory ? UInt8(ascii: "5") : UInt8(ascii: "0"))
        put("ustar", into: &block, at: 257, width: 6)
        put("00", into: &block, at: 263, width: 2)
        put(prefix, into: &block, at: 345, width: 155)
        // The checksum is computed with its own field read as spaces.
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int64($1) }
        put(octal(sum, width: 7), into: &block, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// Splits `path` into ustar's prefix (≤155 bytes) and name (≤100 bytes) fields; a path that
    /// does not fit throws `TarArchive.LongPath`, and the caller adds a PAX record.
    static func split(_ path: String) throws -> (String, String) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1)
        where bytes[index] == UInt8(ascii: "/") {
            let name = bytes.count - index - 1
            if name <= 100, name > 0 {
                return (
                    String(decoding: bytes[..<index], as: UTF8.self),
                    String(decoding: bytes[(index + 1)...], as: UTF8.self)
                )
            }
        }
        throw LongPath()
    }

    struct LongPath: Error {}

    /// The header block(s) for `path`: a PAX extended header first when the path is too long.
    static func headers(path: String, size: Int64, isDirectory: Bool, mtime: Int64, mode: Int64? = nil) throws
        -> [UInt8]
    {
        do {
            return try header(path: path, size: size, isDirectory: isDirectory, mtime: mtime, mode: mode)
        } catch is LongPath {
            let record = paxRecord("path", path)
            var blocks = try header(
                path: "PaxHeaders/\(String(path.suffix(80)).replacingOccurrences(of: "/", with: "_"))",
                size: Int64(record.count), isDirectory: false, mtime: mtime, type: UInt8(ascii: "x"))
            blocks += record
            blocks += padding(Int64(record.count))
            let short = String(decoding: path.utf8.suffix(99), as: UTF8.self)
            blocks += try header(path: short, size: size, isDirectory: isDirectory, mtime: mtime, mode: mode)
            return blocks
        }
    }

    /// "LEN key=value\n", where LEN counts itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count > length { length += 1 }
        return Array("\(length)\(body)".utf8)
    }

    /// Zero bytes that fill the last block of `size` bytes of content.
    static func padding(_ size: Int64) -> [UInt8] {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? [] : [UInt8](repeating: 0, count: blockSize - remainder)
    }

    /// The end-of-archive marker: two zero blocks.
    static let trailer = [UInt8](repeating: 0, count: blockSize * 2)

    private static func octal(_ value: Int64, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
    }

    private static func put(_ text: String, into block: inout [UInt8], at offset: Int, width: Int) {
        for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
    }
}
