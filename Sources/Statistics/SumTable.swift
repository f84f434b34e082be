/// Per-example values laid out for resampling: one row of `width` numbers per example, whose
/// column sums determine the statistic (a mean loss, the sums behind r², the confusion counts
/// behind f1). Rows are padded to whole `SIMD4` groups so a resample adds a row in one or two
/// vector additions.
public struct SumTable: Sendable {
    /// The number of meaningful columns.
    public let width: Int
    /// The number of examples.
    public let count: Int
    /// SIMD4 groups per row.
    let groups: Int
    /// count × groups vectors, row-major.
    let storage: [SIMD4<Double>]

    /// A table from row-major `values` (count × width); nil when the sizes disagree or a value is
    /// not finite.
    public init?(width: Int, values: [Double]) {
        guard width > 0, values.count % width == 0, values.allSatisfy(\.isFinite) else { return nil }
        self.width = width
        count = values.count / width
        groups = (width + 3) / 4
        var storage = [SIMD4<Double>](repeating: .zero, count: count * groups)
        for row in 0..<count {
            for column in 0..<width {
                storage[row * groups + column / 4][column % 4] = values[row * width + column]
            }
        }
        self.storage = storage
    }

    /// The column sums over all rows, in row order.
    public func sums() -> [Double] {
        var totals = [SIMD4<Double>](repeating: .zero, count: groups)
        for row in 0..<count {
            for group in 0..<groups { totals[group] += storage[row * groups + group] }
        }
        return (0..<width).map { totals[$0 / 4][$0 % 4] }
    }
}
