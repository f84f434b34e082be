/// Makes a fuzzed tar's header checksums right, so that mutations get past the reader's first
/// check and reach the fields behind it (sizes, types, PAX records, paths).
///
/// A mutated header almost never keeps a valid checksum, and a tar reader rejects such a header
/// before it reads anything else; coverage-guided fuzzing stalls there. Every 512-byte block
/// with the ustar magic at offset 257 counts as a header; its checksum field is rewritten.
enum TarChecksums {
    /// `bytes` with the checksum of every block that looks like a ustar header recomputed.
    static func fixed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        var start = 0
        while start + 512 <= bytes.count {
            if bytes[(start + 257)..<(start + 262)].elementsEqual("ustar".utf8) {
                for index in (start + 148)..<(start + 156) { bytes[index] = 0x20 }
                let sum = bytes[start..<(start + 512)].reduce(0) { $0 + Int($1) }
                let digits = Array(String(sum, radix: 8).utf8)
                let field = [UInt8](repeating: 0x30, count: 6 - min(6, digits.count)) + digits.suffix(6)
                bytes.replaceSubrange((start + 148)..<(start + 154), with: field)
                bytes[start + 154] = 0
            }
            start += 512
        }
        return bytes
    }
}
