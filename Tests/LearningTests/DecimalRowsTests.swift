import Foundation
import Testing

@testable import Learning

/// `DecimalRows` keeps rows in 4 bytes a value where that is exact and reads every value back
/// bit for bit; logistic regression on narrow rows writes the same model bytes as on Doubles.
@Suite struct DecimalRowsTests {
    /// Appends `columns` (one array per column, equal lengths) row by row.
    static func rows(_ columns: [[Double]]) -> DecimalRows {
        let rows = DecimalRows(width: columns.count)
        var row = [Double](repeating: 0, count: columns.count)
        for index in 0..<(columns.first?.count ?? 0) {
            for column in columns.indices { row[column] = columns[column][index] }
            row.withUnsafeBufferPointer { rows.append($0.baseAddress!) }
        }
        return rows
    }

    /// Every row decoded, as bit patterns.
    static func bits(_ rows: DecimalRows) -> [[UInt64]] {
        var buffer = [Double](repeating: 0, count: max(rows.count * rows.width, 1))
        buffer.withUnsafeMutableBufferPointer {
            rows.decode(from: 0, count: rows.count, into: $0.baseAddress!)
        }
        return (0..<rows.count).map { index in
            (0..<rows.width).map { buffer[index * rows.width + $0].bitPattern }
        }
    }

    static func expectedBits(_ columns: [[Double]]) -> [[UInt64]] {
        (0..<(columns.first?.count ?? 0)).map { index in columns.map { $0[index].bitPattern } }
    }

    /// Values as a parser gives them: `strtod` of each spelling.
    static func parsed(_ texts: [String]) -> [Double] { texts.map { strtod($0, nil) } }

    @Test func edgeColumnsReadBackBitForBit() {
        var generator = SplitMixGenerator(seed: 7)
        let count = 3 * DecimalRows.pageRows + 17
        func column(_ make: (Int) -> String) -> [Double] { Self.parsed((0..<count).map(make)) }
        let columns: [[Double]] = [
            // Six decimals, negative and positive: narrow at 10^6.
            column { _ in String(format: "%.6f", generator.nextUnit() * 100 - 50) },
            // Widths that grow within a page (1, 1.5, 1.25, …): the power rises, earlier values rescale.
            column { index in ["1", "-1.5", "1.25", "0.125", "-3", "0.0625"][index % 6] },
            // Exponents, and -0: the mantissas still fit at 10^5.
            column { index in ["1.5e-3", "-2.5e-4", "3e2", "7E-3", "-0", "0"][index % 6] },
            // 17 significant digits: never an Int32 mantissa, the column falls back to Doubles.
            column { _ in String(format: "%.17g", generator.nextUnit() * 1e6) },
            // Fits at first, then a value too large at that power forces the fallback mid-page.
            column { index in index % 1000 == 999 ? "123456789012.5" : String(format: "%.2f", Double(index))
            },
            // -0, subnormals, huge magnitudes and 2^31 itself.
            column { index in
                ["-0.0", "5e-324", "1.7976931348623157e308", "2147483648", "-2147483647"][index % 5]
            },
        ]
        let rows = Self.rows(columns)
        #expect(rows.count == count)
        #expect(Self.bits(rows) == Self.expectedBits(columns))
        // Columns 0–2 stay narrow; 3 and 5 are wide in all four pages, 4 in the three pages that
        // hold a large value (the last page, rows 3072–3088, has none).
        #expect((count + DecimalRows.pageRows - 1) / DecimalRows.pageRows == 4)
        #expect(rows.wideColumns == 4 + 4 + 3)
    }

    @Test func benchmarkShapedRowsTakeHalfTheBytes() {
        var generator = SplitMixGenerator(seed: 11)
        let columns = (0..<20).map { column in
            Self.parsed(
                (0..<5000).map { _ in
                    String(format: "%.6f", (generator.nextUnit() - 0.5) * Double(column + 1) * 20)
                }
            )
        }
        let rows = Self.rows(columns)
        #expect(rows.valueBytes == 4 * 20 * 5000)
        #expect(rows.wideColumns == 0)
        #expect(Self.bits(rows) == Self.expectedBits(columns))
    }

    @Test func joinedRowsAndDenseCopiesReadTheSame() {
        var generator = SplitMixGenerator(seed: 5)
        let columns = (0..<3).map { _ in
            Self.parsed((0..<2500).map { _ in String(format: "%.3f", generator.nextUnit() * 10 - 5) })
        }
        // Three parts of uneven sizes (partly filled pages) joined in order.
        let parts = [0..<700, 700..<2100, 2100..<2500].map { range in
            Self.rows(columns.map { Array($0[range]) })
        }
        let joined = DecimalRows(width: 3)
        for part in parts { joined.append(contentsOf: part) }
        #expect(parts.allSatisfy { $0.count == 0 })
        #expect(Self.bits(joined) == Self.expectedBits(columns))
        // A range across page boundaries.
        var middle = [Double](repeating: 0, count: 3 * 1500)
        middle.withUnsafeMutableBufferPointer { joined.decode(from: 600, count: 1500, into: $0.baseAddress!) }
        #expect(middle.map(\.bitPattern) == Self.expectedBits(columns)[600..<2100].flatMap { $0 })
        let dense = joined.dense()
        #expect(dense.count == 2500)
        #expect(joined.count == 0)
        for index in [0, 1023, 1024, 2499] {
            #expect((0..<3).map { dense.row(index)[$0].bitPattern } == Self.expectedBits(columns)[index])
        }
    }

    /// Data whose columns exercise every form: short decimals, negatives, exponents, many
    /// digits (Doubles), and widths that change row to row.
    static func classificationData(in scratch: Scratch, rows: Int) throws -> URL {
        var generator = SplitMixGenerator(seed: 23)
        var text = "a,b,c,d,e,label\n"
        for index in 0..<rows {
            let a = generator.nextUnit() * 20 - 10
            let b = generator.nextUnit() * 4 - 2
            let c = (generator.nextUnit() - 0.5) * 1e-4
            let d = generator.nextUnit() * 3
            let e = Double(index % 7) - 3
            let score = a * 0.3 - b + c * 1e4 + d * 0.2 + e * 0.1 + (generator.nextUnit() - 0.5) * 3
            text += String(format: "%.6f,%.17g,%.3e,", a, b, c)
            text += index % 5 == 0 ? String(format: "%.1f", d) : String(format: "%.4f", d)
            text +=
                ",\(e == 0 && index % 2 == 0 ? "-0" : String(format: "%g", e)),\(score > 0 ? "yes" : "no")\n"
        }
        return try scratch.file("edge.csv", text)
    }

    @Test(.tags(.slow))
    func logisticRegressionWritesTheSameModelFromNarrowRows() throws {
        let scratch = try Scratch()
        let url = try Self.classificationData(in: scratch, rows: 40_000)
        let request = TrainingRequest(
            data: url, test: .split(fraction: 0.2, seed: 3), target: "label",
            features: ["a", "b", "c", "d", "e"],
            dataName: "edge.csv")
        var models: [Data] = []
        var metrics: [[String: UInt64]] = []
        for (narrow, threads) in [(false, 1), (true, 1), (true, 2), (true, 7)] {
            var trainer = try LogisticRegressionTrainer()
            trainer.narrowRows = narrow
            trainer.threads = threads
            trainer.chunkBytes = 32 << 10
            trainer.warmStartRows = 10_000
            let outcome = try trainer.train(request, progress: nil)
            let file = scratch.directory.appendingPathComponent("model-\(narrow)-\(threads).json")
            try outcome.model.write(to: file)
            models.append(try Data(contentsOf: file))
            metrics.append(outcome.metrics.mapValues(\.bitPattern))
        }
        for index in models.indices.dropFirst() {
            #expect(models[index] == models[0])
            #expect(metrics[index] == metrics[0])
        }
    }
}
