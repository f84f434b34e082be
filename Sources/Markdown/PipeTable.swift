/// A GitHub-flavoured pipe table found in the lines of a paragraph, as text: which line starts
/// it, the alignment of each column and the unescaped text of every cell.
///
/// The rules are the GFM spec's (section 4.10, "Tables (extension)"): a header row, then a
/// delimiter row of `:?-+:?` cells with as many cells as the header, then body rows up to the
/// end of the paragraph (cmark already ended the paragraph at a blank line or another block).
/// Cells split at unescaped pipes, a leading and a trailing pipe are optional, `\|` stands for a
/// literal pipe inside a cell (also inside a code span), body rows with fewer cells are padded
/// and extra cells dropped.
///
/// Bounded: a table wider than `maximumColumns` is not a table, and the caller passes the cells
/// it may still build (`cellBudget`), so that short body rows padded to a huge header (the
/// quadratic blow-up cmark-gfm fixed in CVE-2022-39209) cannot exhaust memory. Everything is
/// linear in the paragraph's length.
struct PipeTable: Equatable {
    /// A column's alignment, from the colons of its delimiter cell.
    enum Alignment: Equatable {
        case none, left, center, right
    }

    /// Index of the paragraph line holding the header row; earlier lines stay a paragraph.
    let headerLine: Int
    let alignments: [Alignment]
    let header: [String]
    /// Body rows, each exactly `alignments.count` cells.
    let rows: [[String]]

    /// A table wider than this stays a paragraph.
    static let maximumColumns = 1_000

    /// The first table in `lines` (a paragraph's lines, container markers already removed), or
    /// nil when there is none or it would need more than `cellBudget` cells.
    static func find(in lines: [Substring], cellBudget: Int) -> PipeTable? {
        guard lines.count >= 2 else { return nil }
        for index in 0..<(lines.count - 1) {
            guard let alignments = delimiterRow(lines[index + 1]) else { continue }
            let header = cells(of: lines[index])
            guard header.count == alignments.count else { continue }
            let bodyLines = lines.count - index - 2
            let (product, overflow) = alignments.count.multipliedReportingOverflow(by: bodyLines + 1)
            guard !overflow, product <= cellBudget else { return nil }
            let rows = lines[(index + 2)...].map { line -> [String] in
                var row = cells(of: line)
                if row.count > alignments.count { row.removeLast(row.count - alignments.count) }
                while row.count < alignments.count { row.append("") }
                return row
            }
            return PipeTable(headerLine: index, alignments: alignments, header: header, rows: rows)
        }
        return nil
    }

    /// The alignments of a delimiter row, or nil when `line` is not one (or is too wide).
    static func delimiterRow(_ line: Substring) -> [Alignment]? {
        // Cheap rejection first: only these characters may appear, and a dash must.
        var hasDash = false
        for byte in line.utf8 {
            switch byte {
            case UInt8(ascii: "-"): hasDash = true
            case UInt8(ascii: "|"), UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\t"): break
            default: return nil
            }
        }
        guard hasDash else { return nil }
        let parts = cells(of: line)
        guard parts.count <= maximumColumns else { return nil }
        var alignments: [Alignment] = []
        alignments.reserveCapacity(parts.count)
        for part in parts {
            var bytes = Substring(part).utf8[...]
            let leading = bytes.first == UInt8(ascii: ":")
            if leading { bytes = bytes.dropFirst() }
            let trailing = bytes.last == UInt8(ascii: ":")
            if trailing { bytes = bytes.dropLast() }
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 == UInt8(ascii: "-") }) else { return nil }
            switch (leading, trailing) {
            case (true, true): alignments.append(.center)
            case (true, false): alignments.append(.left)
            case (false, true): alignments.append(.right)
            case (false, false): alignments.append(.none)
            }
        }
        return alignments
    }

    /// The trimmed cells of a row: split at unescaped pipes, without the optional outer pipes,
    /// with `\|` turned into `|` (other backslash escapes are left for cmark's inline parser).
    static func cells(of line: Substring) -> [String] {
        let bytes = Array(line.utf8)
        var start = 0
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        if start < end, bytes[start] == UInt8(ascii: "|") { start += 1 }
        var cells: [String] = []
        var current: [UInt8] = []
        var endsWithPipe = false
        var position = start
        while position < end {
            let byte = bytes[position]
            endsWithPipe = false
            if byte == UInt8(ascii: "\\"), position + 1 < end {
                if bytes[position + 1] != UInt8(ascii: "|") { current.append(byte) }
                current.append(bytes[position + 1])
                position += 2
            } else if byte == UInt8(ascii: "|") {
                cells.append(trimmed(current))
                current.removeAll(keepingCapacity: true)
                endsWithPipe = true
                position += 1
            } else {
                current.append(byte)
                position += 1
            }
        }
        if !endsWithPipe { cells.append(trimmed(current)) }
        return cells
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func trimmed(_ bytes: [UInt8]) -> String {
        var slice = bytes[...]
        while let first = slice.first, isBlank(first) { slice = slice.dropFirst() }
        while let last = slice.last, isBlank(last) { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
