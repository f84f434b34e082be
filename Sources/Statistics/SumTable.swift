import Foundation

/// Per-example values laid out for resampling: one row of `width` numbers per example, whose
/// column sums determine the statistic (a mean loss, the sums behind r², the confusion counts
/// behind f1).
///
/// When the rows take few distinct values (classification: a row is a confusion cell), the table
/// keeps each distinct row once with its count, and a resample is a multinomial draw of counts
/// over those rows — O(distinct rows) per resample instead of O(examples), exactly the same
/// distribution as drawing example indices. Otherwise rows are packed into `SIMD2`/`SIMD4` groups
/// so a drawn example is added in one or a few vector additions.
public struct SumTable: Sendable {
    /// The number of meaningful columns.
    public let width: Int
    /// The number of examples.
    public let count: Int
    /// Distinct rows with their counts, when there are at most `categoryLimit` of them.
    let categories: (rows: [[Double]], counts: [Int])?
    /// Rows packed in vector groups (empty when `categories` is used).
    let packed: PackedRows

    /// The most distinct rows resampled as categories.
    static let categoryLimit = 256

    /// A table from row-major `values` (count × width); nil when the sizes disagree or a value is
    /// not finite, or there are 2³² rows or more.
    public init?(width: Int, values: [Double]) {
        guard width > 0, values.count % width == 0, values.count / width < 1 << 32,
            values.allSatisfy(\.isFinite)
        else { return nil }
        self.width = width
        count = values.count / width
        var index: [[UInt64]: Int] = [:]
        var rows: [[Double]] = []
        var counts: [Int] = []
        for row in 0..<count {
            let slice = Array(values[(row * width)..<((row + 1) * width)])
            let key = slice.map(\.bitPattern)
            if let known = index[key] {
                counts[known] += 1
                continue
            }
            guard rows.count < Self.categoryLimit else {
                rows = []
                break
            }
            index[key] = rows.count
            rows.append(slice)
            counts.append(1)
        }
        if !rows.isEmpty && rows.count <= Self.categoryLimit && counts.reduce(0, +) == count {
            categories = (rows, counts)
            packed = .none
        } else {
            categories = nil
            packed = PackedRows(width: width, values: values)
        }
    }

    /// The column sums over all rows, in row order.
    public func sums() -> [Double] {
        var totals = [Double](repeating: 0, count: width)
        if let categories {
            for (row, n) in zip(categories.rows, categories.counts) {
                for column in 0..<width { totals[column] += row[column] * Double(n) }
            }
            return totals
        }
        for row in 0..<count {
            for column in 0..<width { totals[column] += packed.value(row: row, column: column) }
        }
        return totals
    }
}

/// Rows packed by width: one `Double`, one `SIMD2`, or `groups` `SIMD4`s per row.
enum PackedRows: Sendable {
    case none
    case one([Double])
    case two([SIMD2<Double>])
    case four([SIMD4<Double>], groups: Int)

    init(width: Int, values: [Double]) {
        let count = values.count / width
        switch width {
        case 1: self = .one(values)
        case 2: self = .two((0..<count).map { SIMD2(values[2 * $0], values[2 * $0 + 1]) })
        default:
            let groups = (width + 3) / 4
            var storage = [SIMD4<Double>](repeating: .zero, count: count * groups)
            for row in 0..<count {
                for column in 0..<width {
                    storage[row * groups + column / 4][column % 4] = values[row * width + column]
                }
            }
            self = .four(storage, groups: groups)
        }
    }

    func value(row: Int, column: Int) -> Double {
        switch self {
        case .none: return 0
        case .one(let values): return values[row]
        case .two(let values): return values[row][column]
        case .four(let values, let groups): return values[row * groups + column / 4][column % 4]
        }
    }
}
