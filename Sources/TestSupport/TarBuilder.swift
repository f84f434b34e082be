import Foundation

/// Writes tar archives byte by byte with the ustar header layout, including headers no honest
/// tool writes (negative or base-256 sizes, links, devices, setuid modes): hostile layers for
/// tests of what a pull refuses.
public struct TarBuilder {
    /// The archive so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty archive.
    public init() {}

    /// How an entry's 12-byte size field is written.
    public enum SizeField {
        /// The content's length in octal (what tar writes).
        case octal
        /// This text, NUL-padded (`"-0000001000"`, `"00000000009"`).
        case text(String)
        /// These 12 bytes exactly (base-256 sizes start with 0x80 or 0xFF).
        case raw([UInt8])
    }

    /// Appends one entry: its header (typeflag `type`: "0" file, "1" hard link, "2" symbolic
    /// link, "3"/"4" devices, "5" folder, "6" FIFO, "x" pax record) and `content` padded to
    /// whole blocks.
    public mutating func add(
        _ name: String, _ content: [UInt8] = [], type: Character = "0", mode: String = "0000644",
        size: SizeField = .octal, link: String = ""
    ) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        put(name, at: 0, width: 100)
        put(mode, at: 100, width: 8)
        put("0000000", at: 108, width: 8)
        put("0000000", at: 116, width: 8)
        switch size {
        case .octal:
            let digits = String(content.count, radix: 8)
            put(String(repeating: "0", count: 11 - digits.count) + digits, at: 124, width: 12)
        case .text(let text): put(text, at: 124, width: 12)
        case .raw(let field):
            for (index, byte) in field.prefix(12).enumerated() { header[124 + index] = byte }
        }
        put("14000000000", at: 136, width: 12)
        header[156] = type.asciiValue ?? UInt8(ascii: "0")
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148, width: 6)
        header[154] = 0
        bytes += header + content
        bytes += [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    /// Appends a regular file with text content.
    public mutating func add(_ name: String, text: String, mode: String = "0000644") {
        add(name, Array(text.utf8), mode: mode)
    }

    /// Appends a pax extended header (`path=…` and friends) for the next entry.
    public mutating func pax(_ records: [(String, String)]) {
        var body: [UInt8] = []
        for (key, value) in records {
            let text = " \(key)=\(value)\n"
            var length = text.utf8.count + 1
            while String(length).utf8.count + text.utf8.count > length { length += 1 }
            body += Array("\(length)\(text)".utf8)
        }
        add("PaxHeaders/next", body, type: "x")
    }

    /// The archive with its end marker (two zero blocks).
    public var finished: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}
