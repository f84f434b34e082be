/// Rows of numbers held in 4 bytes a value where that is exact, in 8 where it is not.
///
/// Data files mostly hold short decimals (`-12.345678`), and such a value, as parsed, is exactly
/// the correctly rounded quotient `Double(m) / 10^k` of an integer mantissa `m` and a power of
/// ten `k`: both are exact Doubles (|m| < 2^31, k ≤ 22), and IEEE division rounds correctly, so
/// the quotient is the same bits on every machine. Rows are kept in pages; each column of a page
/// holds Int32 mantissas of one power of ten (its smallest that fits every value of the page), or
/// Doubles.
///
/// **Guarantee: every row reads back bit for bit as appended.** A mantissa is stored only after
/// decoding it gives back the value's exact bit pattern; a value that does not round-trip (17
/// significant digits, a magnitude past 2^31 at that power of ten) raises the column's power when
/// the page's earlier mantissas still fit, and otherwise turns that column of that page into
/// Doubles. `-0` is kept as the one reserved mantissa `Int32.min`. So the narrow form is a memory
/// saving only: trainers reading these rows compute exactly what they would from Doubles.
///
/// Appending another set of rows moves its pages (no copy), so chunks read in parallel are joined
/// at no cost; readers address rows by their index across all pages.
final class DecimalRows {
    let width: Int
    /// Rows per page: 80 KiB of mantissas at 20 columns; a partly filled page wastes little.
    static let pageRows = 1024
    private(set) var count = 0
    private var pages: [DecimalPage] = []
    /// Index of each page's first row.
    private var pageStarts: [Int] = []

    init(width: Int) {
        self.width = width
    }

    /// Appends one row of `width` values.
    @inline(__always)
    func append(_ row: UnsafePointer<Double>) {
        if pages.isEmpty || pages[pages.count - 1].isFull {
            pages.append(DecimalPage(width: width, capacity: Self.pageRows))
            pageStarts.append(count)
        }
        pages[pages.count - 1].append(row)
        count += 1
    }

    /// Appends every row of `other` after these, taking its pages; `other` is left empty.
    func append(contentsOf other: DecimalRows) {
        for page in other.pages where page.count > 0 {
            pages.append(page)
            pageStarts.append(count)
            count += page.count
        }
        other.pages = []
        other.pageStarts = []
        other.count = 0
    }

    /// Writes rows `first..<first + rowCount` into `output`, row-major, `width` values each.
    func decode(from first: Int, count rowCount: Int, into output: UnsafeMutablePointer<Double>) {
        var page = pageIndex(of: first)
        var row = first
        var written = 0
        while written < rowCount {
            let offset = row - pageStarts[page]
            let take = min(rowCount - written, pages[page].count - offset)
            pages[page].decode(from: offset, count: take, into: output + written * width)
            written += take
            row += take
            page += 1
        }
    }

    /// The page holding row `index` (binary search over the page starts).
    private func pageIndex(of index: Int) -> Int {
        var lower = 0
        var upper = pages.count - 1
        while lower < upper {
            let middle = (lower + upper + 1) / 2
            if pageStarts[middle] <= index { lower = middle } else { upper = middle - 1 }
        }
        return lower
    }

    /// The same rows as Doubles (`DenseRows`), freeing each page once decoded.
    func dense() -> DenseRows {
        let rows = DenseRows(width: width)
        var taken: [DecimalPage?] = pages
        pages = []
        pageStarts = []
        count = 0
        for index in taken.indices {
            guard let page = taken[index] else { continue }
            for row in 0..<page.count { page.decode(from: row, count: 1, into: rows.appendSlot()) }
            taken[index] = nil
        }
        return rows
    }

    /// Bytes held for values (for tests and figures): 4 per narrow value, 8 per wide one.
    var valueBytes: Int { pages.reduce(0) { $0 + $1.valueBytes } }

    /// Columns (page by page) held as Doubles, for tests.
    var wideColumns: Int { pages.reduce(0) { $0 + $1.wideColumns } }
}

extension DecimalRows: RowBlocks {
    @inline(__always)
    func rows(from first: Int, count: Int, scratch: UnsafeMutablePointer<Double>) -> UnsafePointer<Double> {
        decode(from: first, count: count, into: scratch)
        return UnsafePointer(scratch)
    }
}

/// Up to `capacity` rows, column by column: per column, Int32 mantissas of one power of ten,
/// or Doubles (see `DecimalRows`).
final class DecimalPage {
    let width: Int
    let capacity: Int
    private(set) var count = 0
    /// Per column: the power of ten of its mantissas, or `wide` when it holds Doubles.
    private let scales: UnsafeMutablePointer<Int>
    /// `width` columns of `capacity` mantissas.
    private let narrow: UnsafeMutablePointer<Int32>
    /// Per column: its Doubles once wide.
    private let wide: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>
    private static let wideScale = -1
    /// The mantissa standing for `-0`, which no integer spells.
    private static let negativeZero = Int32.min
    /// 10⁰ … 10²², exact Doubles.
    private static let powers: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    init(width: Int, capacity: Int) {
        self.width = width
        self.capacity = capacity
        scales = .allocate(capacity: max(width, 1))
        scales.initialize(repeating: 0, count: max(width, 1))
        narrow = .allocate(capacity: max(width * capacity, 1))
        wide = .allocate(capacity: max(width, 1))
        wide.initialize(repeating: nil, count: max(width, 1))
    }

    deinit {
        for column in 0..<width { wide[column]?.deallocate() }
        scales.deallocate()
        narrow.deallocate()
        wide.deallocate()
    }

    var isFull: Bool { count == capacity }

    var valueBytes: Int { (0..<width).reduce(0) { $0 + (scales[$1] == Self.wideScale ? 8 : 4) } * count }

    var wideColumns: Int { (0..<width).filter { scales[$0] == Self.wideScale }.count }

    /// Appends one row.
    @inline(__always)
    func append(_ row: UnsafePointer<Double>) {
        Self.powers.withUnsafeBufferPointer { powers in
            for column in 0..<width {
                let value = row[column]
                let scale = scales[column]
                if scale == Self.wideScale {
                    wide[column]![count] = value
                    continue
                }
                if let mantissa = Self.mantissa(of: value, power: powers[scale]) {
                    narrow[column * capacity + count] = mantissa
                } else {
                    appendSlowly(value, column: column)
                }
            }
        }
        count += 1
    }

    /// The mantissa m with `Double(m) / power` == `value` to the bit, if it is an Int32 other
    /// than the reserved `Int32.min`.
    @inline(__always)
    private static func mantissa(of value: Double, power: Double) -> Int32? {
        let scaled = value * power
        // Also false for NaN; keeps Int32(_) from trapping and Int32.min free.
        guard abs(scaled) < 2_147_483_647.5 else { return nil }
        let mantissa = Int32(scaled.rounded(.toNearestOrEven))
        return (Double(mantissa) / power).bitPattern == value.bitPattern ? mantissa : nil
    }

    /// A value the column's power does not hold: `-0`, a higher power, or Doubles.
    private func appendSlowly(_ value: Double, column: Int) {
        if value == 0 && value.sign == .minus {
            narrow[column * capacity + count] = Self.negativeZero
            return
        }
        let scale = scales[column]
        let values = narrow + column * capacity
        for higher in (scale + 1)..<Self.powers.count {
            let scaled = value * Self.powers[higher]
            if !(abs(scaled) < 2_147_483_647.5) { break }  // higher powers only grow it
            guard let mantissa = Self.mantissa(of: value, power: Self.powers[higher]) else { continue }
            // The earlier mantissas must fit at the higher power: m × 10^(higher - scale).
            guard rescale(values, byPowerOfTen: higher - scale) else { break }
            scales[column] = higher
            values[count] = mantissa
            return
        }
        widen(column)
        wide[column]![count] = value
    }

    /// Multiplies the first `count` mantissas by 10^`steps` if every one still fits; else
    /// changes nothing and returns false.
    private func rescale(_ values: UnsafeMutablePointer<Int32>, byPowerOfTen steps: Int) -> Bool {
        // Past 10^9 only zeros fit (and stay as they are); below it the products fit in an Int64.
        var factor: Int64 = 1
        for _ in 0..<min(steps, 10) { factor *= 10 }
        for row in 0..<count where values[row] != Self.negativeZero && values[row] != 0 {
            if factor > Int64(Int32.max) || abs(Int64(values[row]) * factor) > Int64(Int32.max) {
                return false
            }
        }
        for row in 0..<count where values[row] != Self.negativeZero {
            values[row] = Int32(truncatingIfNeeded: Int64(values[row]) &* factor)
        }
        return true
    }

    /// Turns `column` into Doubles, decoding the mantissas already there.
    private func widen(_ column: Int) {
        let doubles = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        decodeColumn(column, from: 0, count: count, into: doubles, stride: 1)
        wide[column] = doubles
        scales[column] = Self.wideScale
    }

    /// Writes rows `first..<first + rowCount` into `output`, row-major.
    @inline(__always)
    func decode(from first: Int, count rowCount: Int, into output: UnsafeMutablePointer<Double>) {
        for column in 0..<width {
            decodeColumn(column, from: first, count: rowCount, into: output + column, stride: width)
        }
    }

    @inline(__always)
    private func decodeColumn(
        _ column: Int, from first: Int, count rowCount: Int, into output: UnsafeMutablePointer<Double>,
        stride: Int
    ) {
        let scale = scales[column]
        if scale == Self.wideScale {
            let values = wide[column]! + first
            for row in 0..<rowCount { output[row * stride] = values[row] }
            return
        }
        let power = Self.powers[scale]
        let values = narrow + column * capacity + first
        for row in 0..<rowCount {
            let mantissa = values[row]
            output[row * stride] = mantissa == Self.negativeZero ? -0.0 : Double(mantissa) / power
        }
    }
}
