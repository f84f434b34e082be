#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A streaming RFC 4180 reader: a header row, then one record at a time from any `ByteSource`.
///
/// Handles quoted fields, doubled quotes, newlines inside quotes, CRLF and a UTF-8 byte-order
/// mark. Memory is one buffer that grows only to hold the longest record, and no further than
/// `maxRecordBytes` (64 MiB): a longer record, typically everything after a quote that is never
/// closed, is bad input rather than a reason to hold the whole file in memory. Fields are exposed as
/// byte ranges; nothing is copied or turned into a String unless asked. Blank lines are skipped
/// (as pandas does) unless the file has a single column, where a blank line is a missing value.
/// Every error names `file:line:column` (1-based; columns count characters).
public final class CSVReader {
    /// The file as the user wrote it, for error messages.
    public let name: String
    /// Column names from the header row, in file order.
    public private(set) var header: [String] = []
    /// The physical line on which the current record starts (1-based).
    public private(set) var line = 0
    /// Bytes consumed so far, for progress.
    public var bytesRead: Int64 { discarded + Int64(position) }
    /// Absolute byte offset where the current record starts.
    var recordOffset: Int64 { baseOffset + discarded + Int64(recordStart) }
    /// Absolute byte offset of the next unread byte.
    var nextOffset: Int64 { baseOffset + discarded + Int64(position) }
    /// The source's total size when known.
    public let totalBytes: Int64?
    /// Records starting at or after this absolute byte offset are not read (parallel ranges).
    var stopOffset: Int64 = .max
    /// Absolute offset of the source's first byte (a range reader starts mid-file).
    private var baseOffset: Int64 = 0
    /// The size of the longest record the buffer may grow to hold.
    let maxRecordBytes: Int
    /// 64 MiB: far beyond any row a trainer reads, far below the size of a file that is only big.
    static let defaultMaxRecordBytes = 64 << 20

    private var source: any ByteSource
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var position = 0
    private var end = 0
    private var atEOF = false
    private var discarded: Int64 = 0
    private var nextLine = 1

    private var recordStart = 0
    /// Number of fields in the current record.
    public private(set) var fieldCount = 0
    private var starts: UnsafeMutablePointer<Int>
    private var ends: UnsafeMutablePointer<Int>
    /// 0 plain, 1 quoted, 2 quoted with doubled quotes inside.
    private var flags: UnsafeMutablePointer<UInt8>
    private var fieldCapacity = 64
    private let powers = NumberParser.makePowers()

    private static let quote: UInt8 = 0x22
    private static let comma: UInt8 = 0x2C
    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D

    /// Reads the header from `source`; `name` is how errors refer to it.
    public convenience init(source: any ByteSource, name: String, chunkSize: Int = 1 << 20) throws {
        try self.init(
            source: source, name: name, chunkSize: chunkSize, maxRecordBytes: Self.defaultMaxRecordBytes)
    }

    /// Reads the header from `source`, holding records of at most `maxRecordBytes` bytes.
    package convenience init(source: any ByteSource, name: String, chunkSize: Int, maxRecordBytes: Int) throws
    {
        self.init(
            source: source, name: name, header: [], offset: 0, chunkSize: chunkSize,
            maxRecordBytes: maxRecordBytes)
        try readHeader()
    }

    /// Reads records of a file from `offset` on, without a header: `header` is the file's.
    /// `offset` must be the start of a line; `line` is its number when known (else errors count
    /// lines from the range start, so callers only use ranges that ended without an error).
    init(
        source: any ByteSource, name: String, header: [String], offset: Int64, line: Int = 1,
        chunkSize: Int = 1 << 20, maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes
    ) {
        self.source = source
        self.name = name
        totalBytes = source.totalBytes
        self.maxRecordBytes = max(maxRecordBytes, 16)
        capacity = min(max(chunkSize, 16), self.maxRecordBytes)
        buffer = .allocate(capacity: capacity)
        starts = .allocate(capacity: fieldCapacity)
        ends = .allocate(capacity: fieldCapacity)
        flags = .allocate(capacity: fieldCapacity)
        self.header = header
        baseOffset = offset
        nextLine = line
    }

    /// Opens the file at `url`; `name` is the path as the user wrote it.
    public convenience init(url: URL, name: String, chunkSize: Int = 1 << 20) throws {
        try self.init(source: FileByteSource(url: url, name: name), name: name, chunkSize: chunkSize)
    }

    deinit {
        buffer.deallocate()
        starts.deallocate()
        ends.deallocate()
        flags.deallocate()
        powers.deallocate()
    }

    // MARK: Records

    /// Moves to the next data record; false at the end. Throws on a ragged row or bad quoting.
    public func next() throws -> Bool {
        while try nextRecord() {
            if fieldCount == header.count { return true }
            if fieldCount == 1 && ends[0] == starts[0] && flags[0] == 0 { continue }  // blank line
            throw raggedRowError()
        }
        return false
    }

    /// The bytes of field `index` (quotes removed, doubled quotes still doubled).
    @inline(__always)
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: buffer + starts[index], count: ends[index] - starts[index]))
    }

    /// Field `index` read as a number, missing value, text or non-finite number.
    @inline(__always)
    public func cell(_ index: Int) -> CellValue {
        let start = starts[index]
        let count = ends[index] - start
        if flags[index] == 2 { return .text }
        return NumberParser.cell(buffer + start, count)
    }

    /// Field `index` as a String, unescaped.
    public func string(_ index: Int) -> String {
        let text = String(
            decoding: UnsafeBufferPointer(start: buffer + starts[index], count: ends[index] - starts[index]),
            as: UTF8.self)
        return flags[index] == 2 ? String(text.unicodeScalars.replacing(["\"", "\""], with: ["\""])) : text
    }

    /// A seeded 64-bit hash of the current record's bytes (line ending excluded): the same row
    /// gets the same value wherever it sits in the file.
    package func recordHash(seed: UInt64) -> UInt64 {
        let last = fieldCount - 1
        let stop = ends[last] + (flags[last] == 0 ? 0 : 1)
        var hash = seed ^ 0x9E37_79B9_7F4A_7C15
        var cursor = recordStart
        while cursor + 8 <= stop {
            var word: UInt64 = 0
            memcpy(&word, buffer + cursor, 8)
            hash = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            cursor += 8
        }
        var tail: UInt64 = UInt64(stop - cursor)
        while cursor < stop {
            tail = (tail << 8) | UInt64(buffer[cursor])
            cursor += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        return SplitRule.mix(hash)
    }

    /// `file:line:column` of field `index` in the current record.
    public func location(ofField index: Int) -> String {
        let offset = starts[index] - (flags[index] == 0 ? 0 : 1)
        return location(ofOffset: offset)
    }

    /// `file:line:column` of the byte at `offset` inside the current record.
    private func location(ofOffset offset: Int) -> String {
        var lineNumber = line
        var lineStart = recordStart
        var cursor = recordStart
        while cursor < offset {
            if buffer[cursor] == Self.lineFeed {
                lineNumber += 1
                lineStart = cursor + 1
            }
            cursor += 1
        }
        var column = 1
        cursor = lineStart
        while cursor < offset {
            if buffer[cursor] & 0xC0 != 0x80 { column += 1 }
            cursor += 1
        }
        return "\(name):\(lineNumber):\(column)"
    }

    // MARK: Fast numeric rows

    /// What `nextNumericRow` managed.
    public enum NumericRow {
        /// A record was read; every wanted field parsed on the fast path when `complete`,
        /// otherwise some hold NaN and need `cell(_:)`.
        case parsed(complete: Bool)
        /// Nothing was consumed: the record needs the general path (`next()`), e.g. quotes, CRLF,
        /// a record crossing the buffer end, a ragged row, or the end of the input.
        case general
    }

    /// Reads one plain record (no quotes, LF endings, one field per header column), parsing each
    /// column `c` with `slots[c] >= 0` straight into `values[slots[c]]` in the same pass over the
    /// bytes. Field positions are recorded, so `cell(_:)`, `withField` and `location` work after it.
    @inline(__always)
    public func nextNumericRow(slots: UnsafePointer<Int>, into values: UnsafeMutablePointer<Double>)
        -> NumericRow
    {
        let bytes = buffer
        let limit = end
        var cursor = position
        let columns = header.count
        guard columns <= fieldCapacity, cursor < limit, bytes[cursor] != Self.lineFeed || columns == 1,
            baseOffset + discarded + Int64(cursor) < stopOffset
        else {
            return .general
        }
        var complete = true
        for column in 0..<columns {
            let start = cursor
            let slot = slots[column]
            if slot >= 0 {
                let (value, stop) = NumberParser.prefixDouble(bytes, from: cursor, to: limit, powers: powers)
                cursor = stop
                if let value, cursor < limit, bytes[cursor] == Self.comma || bytes[cursor] == Self.lineFeed {
                    values[slot] = value
                } else {
                    values[slot] = .nan
                    complete = false
                }
            }
            while cursor < limit {
                let byte = bytes[cursor]
                if byte == Self.comma || byte == Self.lineFeed { break }
                if byte == Self.quote || byte == Self.carriageReturn { return .general }
                cursor += 1
            }
            guard cursor < limit else { return .general }
            starts[column] = start
            ends[column] = cursor
            flags[column] = 0
            let last = column == columns - 1
            if (bytes[cursor] == Self.lineFeed) != last { return .general }
            cursor += 1
        }
        fieldCount = columns
        recordStart = position
        line = nextLine
        nextLine += 1
        position = cursor
        return .parsed(complete: complete)
    }

    // MARK: Parsing

    private func readHeader() throws {
        while end - position < 3 && !atEOF { try refill() }
        if end - position >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
            position = 3
        }
        guard try nextRecord() else {
            throw DataError(
                .emptyFile, "'\(name)' is empty; expected a header row naming the columns",
                location: "\(name):1:1", hint: "write a header row such as 'x1,x2,y' followed by data rows")
        }
        var seen: [String: Int] = [:]
        for index in 0..<fieldCount {
            let column = string(index)
            if let first = seen[column] {
                throw DataError(
                    .duplicateColumn,
                    "column name '\(column)' appears twice in the header (columns \(first + 1) and \(index + 1))",
                    location: location(ofField: index), hint: "give every column a distinct name")
            }
            seen[column] = index
            header.append(column)
        }
    }

    private func raggedRowError() -> DataError {
        if fieldCount > header.count {
            return DataError(
                .raggedRow,
                "row has \(fieldCount) fields but the header has \(header.count); expected \(header.count) (last column '\(header.last ?? "")')",
                location: location(ofField: header.count),
                hint: "remove the extra field or quote a value that contains a comma")
        }
        let missing = header[fieldCount]
        return DataError(
            .raggedRow,
            "row has \(fieldCount) fields but the header has \(header.count); expected a value for column '\(missing)'",
            location: location(ofOffset: ends[fieldCount - 1] + (flags[fieldCount - 1] == 0 ? 0 : 1)),
            hint: "add the missing field(s); every row needs one value per header column")
    }

    /// Parses one physical record into the field arrays; false at the end of the input.
    private func nextRecord() throws -> Bool {
        while true {
            if baseOffset + discarded + Int64(position) >= stopOffset { return false }
            if position == end {
                if atEOF { return false }
                try refill()
                continue
            }
            switch try scan(final: atEOF) {
            case .record(let next, let lines):
                recordStart = position
                line = nextLine
                nextLine += lines
                position = next
                return true
            case .needMore:
                try refill()
            }
        }
    }

    private enum Scan {
        case record(next: Int, lines: Int)
        case needMore
    }

    @inline(__always)
    private func growFields() {
        let newCapacity = fieldCapacity * 2
        func grow<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            new.moveInitialize(from: old, count: fieldCapacity)
            old.deallocate()
            return new
        }
        starts = grow(starts)
        ends = grow(ends)
        flags = grow(flags)
        fieldCapacity = newCapacity
    }

    private func scan(final: Bool) throws -> Scan {
        let bytes = buffer
        let limit = end
        var cursor = position
        var count = 0
        var lines = 0
        while true {
            if count == fieldCapacity { growFields() }
            if cursor < limit && bytes[cursor] == Self.quote {
                var probe = cursor + 1
                var flag: UInt8 = 1
                while true {
                    while probe < limit && bytes[probe] != Self.quote {
                        if bytes[probe] == Self.lineFeed { lines += 1 }
                        probe += 1
                    }
                    if probe >= limit {
                        if final {
                            recordStart = position
                            line = nextLine
                            throw DataError(
                                .unterminatedQuote, "quoted field is never closed; expected a closing '\"'",
                                location: location(ofOffset: cursor),
                                hint: "close the quote, and double any '\"' inside a quoted field")
                        }
                        return .needMore
                    }
                    if probe + 1 < limit && bytes[probe + 1] == Self.quote {
                        flag = 2
                        probe += 2
                        continue
                    }
                    if probe + 1 >= limit && !final { return .needMore }
                    break
                }
                starts[count] = cursor + 1
                ends[count] = probe
                flags[count] = flag
                count += 1
                cursor = probe + 1
                if cursor >= limit { break }
                let byte = bytes[cursor]
                if byte == Self.comma {
                    cursor += 1
                    continue
                }
                if byte == Self.lineFeed {
                    cursor += 1
                    lines += 1
                    break
                }
                if byte == Self.carriageReturn {
                    if cursor + 1 < limit {
                        cursor += bytes[cursor + 1] == Self.lineFeed ? 2 : 1
                    } else if final {
                        cursor += 1
                    } else {
                        return .needMore
                    }
                    lines += 1
                    break
                }
                recordStart = position
                line = nextLine
                fieldCount = count
                throw DataError(
                    .badQuote,
                    "unexpected character after a closing quote; expected ',' or the end of the line",
                    location: location(ofOffset: cursor),
                    hint: "quote the whole field and double any '\"' inside it")
            } else {
                var probe = cursor
                while probe < limit {
                    let byte = bytes[probe]
                    if byte == Self.comma || byte == Self.lineFeed || byte == Self.carriageReturn { break }
                    probe += 1
                }
                starts[count] = cursor
                ends[count] = probe
                flags[count] = 0
                count += 1
                if probe >= limit {
                    if final {
                        cursor = limit
                        break
                    }
                    return .needMore
                }
                let byte = bytes[probe]
                if byte == Self.comma {
                    cursor = probe + 1
                    continue
                }
                if byte == Self.lineFeed {
                    cursor = probe + 1
                    lines += 1
                    break
                }
                if probe + 1 < limit {
                    cursor = probe + (bytes[probe + 1] == Self.lineFeed ? 2 : 1)
                } else if final {
                    cursor = probe + 1
                } else {
                    return .needMore
                }
                lines += 1
                break
            }
        }
        fieldCount = count
        return .record(next: cursor, lines: lines)
    }

    /// Moves unread bytes to the front, grows the buffer if one record fills it, reads more.
    private func refill() throws {
        if position > 0 {
            let remaining = end - position
            if remaining > 0 { memmove(buffer, buffer + position, remaining) }
            discarded += Int64(position)
            end = remaining
            position = 0
        }
        if end == capacity {
            guard capacity < maxRecordBytes else {
                let limit =
                    maxRecordBytes >= 1 << 20 ? "\(maxRecordBytes >> 20) MiB" : "\(maxRecordBytes) bytes"
                throw DataError(
                    .recordTooLong, "the record starting here is longer than \(limit); expected its end",
                    location: "\(name):\(nextLine):1",
                    hint:
                        "look for a quote that is never closed; a field may hold a line break only inside quotes"
                )
            }
            let newCapacity = min(capacity * 2, maxRecordBytes)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            bigger.moveInitialize(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity = newCapacity
        }
        let count = try source.read(
            into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
        if count == 0 { atEOF = true } else { end += count }
    }
}
