import Foundation
import Testing

@testable import Learning

/// A reader over `text` served in `chunk`-byte pieces, so records cross buffer boundaries.
private func reader(_ text: String, chunk: Int = 3) throws -> CSVReader {
    try CSVReader(source: ChunkByteSource(string: text, chunkSize: chunk), name: "t.csv", chunkSize: 16)
}

private func records(_ text: String, chunk: Int = 3) throws -> [[String]] {
    let csv = try reader(text, chunk: chunk)
    var rows: [[String]] = [csv.header]
    while try csv.next() { rows.append((0..<csv.fieldCount).map { csv.string($0) }) }
    return rows
}

/// The error thrown while reading every row of `text` as numbers (target `y` unless given).
private func tableError(
    _ text: String, target: String? = "y", kind: TargetKind = .numeric, features: [String]? = nil
) -> DataError? {
    do {
        let table = try TableReader(
            csv: reader(text), target: target, targetKind: kind, features: features, policy: .error)
        var row = [Double](repeating: 0, count: table.featureColumns.count)
        while try row.withUnsafeMutableBufferPointer({ try table.next(into: $0.baseAddress!) }) != nil {}
        return nil
    } catch let error as DataError {
        return error
    } catch {
        return nil
    }
}

@Suite struct CSVReaderTests {
    @Test(arguments: [1, 2, 3, 7, 1 << 16])
    func readsRFC4180AcrossChunkBoundaries(chunk: Int) throws {
        let text =
            "\u{FEFF}name,note,value\r\n\"Smith, J\",\"said \"\"hi\"\"\",1.5\r\nplain,\"two\nlines\",-2\r\n\"\",x,3"
        let rows = try records(text, chunk: chunk)
        #expect(
            rows == [
                ["name", "note", "value"], ["Smith, J", "said \"hi\"", "1.5"], ["plain", "two\nlines", "-2"],
                ["", "x", "3"],
            ])
    }

    @Test func skipsBlankLinesButNotInSingleColumnFiles() throws {
        #expect(try records("a,b\n1,2\n\n3,4\n\n") == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try records("a\n1\n\n2\n") == [["a"], ["1"], [""], ["2"]])
    }

    @Test func keepsTrailingEmptyField() throws {
        #expect(try records("a,b\n1,\n") == [["a", "b"], ["1", ""]])
    }

    @Test func tracksLinesThroughQuotedNewlines() throws {
        let csv = try reader("a,b\n\"x\ny\",1\n2,3\n")
        #expect(try csv.next())
        #expect(csv.line == 2)
        #expect(try csv.next())
        #expect(csv.line == 4)
        #expect(csv.location(ofField: 1) == "t.csv:4:3")
    }

    @Test func raggedRowWithTooManyFields() throws {
        let error = try #require(tableError("a,b\n1,2\n3,4,5\n", target: "b"))
        #expect(error.kind == .raggedRow)
        #expect(error.location == "t.csv:3:5")
        #expect(error.summary.contains("3 fields but the header has 2"))
    }

    @Test func raggedRowWithTooFewFields() throws {
        let error = try #require(tableError("a,b,c\n1,2,3\n1,2\n", target: "c"))
        #expect(error.kind == .raggedRow)
        #expect(error.location == "t.csv:3:4")
        #expect(error.summary.contains("expected a value for column 'c'"))
    }

    @Test func textInNumericColumn() throws {
        let error = try #require(tableError("x,y\n1,2\n3,abc\n"))
        #expect(error.kind == .notNumeric)
        #expect(error.location == "t.csv:3:3")
        #expect(error.summary == "text 'abc' in numeric column 'y'; expected a number (regression target)")
        #expect(error.exitStatus == .badInput)
    }

    @Test func textInFeatureColumnAfterAQuotedNewline() throws {
        let error = try #require(tableError("n,x,y\n\"a\nb\",1,2\n\"c\",zz,3\n", features: ["x"]))
        #expect(error.kind == .notNumeric)
        #expect(error.location == "t.csv:4:5")
        #expect(error.summary.contains("column 'x'"))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let error = try #require(tableError("a,b,y\n\"é\",1,x\n", features: ["b"]))
        #expect(error.location == "t.csv:2:7")
    }

    @Test func nonFiniteValue() throws {
        let error = try #require(tableError("x,y\n1,2\n1e999,2\n"))
        #expect(error.kind == .nonFinite)
        #expect(error.location == "t.csv:3:1")
        #expect(error.summary.contains("column 'x'"))
    }

    @Test func emptyFile() throws {
        let error = try #require(tableError(""))
        #expect(error.kind == .emptyFile)
        #expect(error.location == "t.csv:1:1")
    }

    @Test func headerOnly() throws {
        let error = try #require(tableError("x,y\r\n"))
        #expect(error.kind == .headerOnly)
        #expect(error.location == "t.csv:2:1")
    }

    @Test func duplicateColumnNames() throws {
        let error = try #require(tableError("x,y,x\n1,2,3\n"))
        #expect(error.kind == .duplicateColumn)
        #expect(error.location == "t.csv:1:5")
        #expect(error.summary.contains("'x' appears twice"))
    }

    @Test func targetColumnMissing() throws {
        let error = try #require(tableError("x,z\n1,2\n"))
        #expect(error.kind == .missingColumn)
        #expect(error.location == "t.csv:1:1")
        #expect(error.summary == "target column 'y' is not in 't.csv'")
        #expect(error.hint?.contains("'x', 'z'") == true)
    }

    @Test func unterminatedQuote() throws {
        let error = try #require(tableError("x,y\n1,\"2\n"))
        #expect(error.kind == .unterminatedQuote)
        #expect(error.location == "t.csv:2:3")
    }

    @Test func characterAfterClosingQuote() throws {
        let error = try #require(tableError("x,y\n\"1\"2,3\n"))
        #expect(error.kind == .badQuote)
        #expect(error.location == "t.csv:2:4")
    }

    @Test(arguments: ["", "NA", "NaN"])
    func missingValueIsAnErrorByDefault(spelling: String) throws {
        let error = try #require(tableError("x,y\n1,2\n\(spelling),3\n"))
        #expect(error.kind == .missingValue)
        #expect(error.location == "t.csv:3:1")
        #expect(error.hint?.contains("drop-row") == true)
    }

    @Test func missingValuesCanDropRows() throws {
        let table = try TableReader(
            csv: reader("x,y\n1,2\nNA,3\n4,\n5,6\n"), target: "y", targetKind: .numeric, features: nil,
            policy: .dropRow)
        var row = [0.0]
        var kept: [[Double]] = []
        while let y = try row.withUnsafeMutableBufferPointer({ try table.next(into: $0.baseAddress!) }) {
            kept.append([row[0], y])
        }
        #expect(kept == [[1, 2], [5, 6]])
        #expect(table.droppedRows == 2)
    }

    @Test func infersNumericFeaturesFromTheFirstRow() throws {
        let table = try TableReader(
            csv: reader("id,city,a,b,y\n1,Oslo,2,3,4\n"), target: "y", targetKind: .numeric, features: nil,
            policy: .error)
        #expect(table.featureNames == ["id", "a", "b"])
    }

    @Test func missingFileIsBadInput() throws {
        #expect {
            _ = try CSVReader(url: URL(fileURLWithPath: "/nonexistent/data.csv"), name: "data/data.csv")
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .cannotOpen && error?.exitStatus == .badInput
                && error?.location == "data/data.csv"
                && error?.summary == "cannot open 'data/data.csv': No such file or directory"
        }
    }

    @Test func readsFromAFileInSmallChunks() throws {
        let scratch = try Scratch()
        var text = "a,b\n"
        for i in 0..<5000 { text += "\(i),\"\(i * 2)\"\n" }
        let url = try scratch.file("big.csv", text)
        let csv = try CSVReader(url: url, name: "big.csv", chunkSize: 64)
        var sum = 0.0
        var count = 0
        while try csv.next() {
            if case .number(let value) = csv.cell(1) { sum += value }
            count += 1
        }
        #expect(count == 5000)
        #expect(sum == 2 * Double(4999 * 5000 / 2))
        #expect(csv.bytesRead == Int64(text.utf8.count))
    }
}

@Suite struct NumberParsingTests {
    private func parse(_ text: String) -> CellValue {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer {
            NumberParser.cell($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count)
        }
    }

    @Test(arguments: [
        "0", "-0.5", ".5", "5.", "+3", "1e5", "1E-5", "123456789012345678901234", "0.1",
        "2.2250738585072014e-308",
        "4.9e-324", "1.7976931348623157e308", "3.141592653589793238462643", " 7 ", "1e-400", "12345.678e-3",
    ])
    func parsesLikeSwift(text: String) {
        let expected = Double(text.trimmingCharacters(in: .whitespaces))!
        #expect(parse(text) == .number(expected))
    }

    @Test func roundTripsRandomDoubles() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let value =
                Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1)
            #expect(parse("\(value)") == .number(value))
            let short = (Double.random(in: -1000...1000) * 1e6).rounded() / 1e6
            #expect(parse("\(short)") == .number(short))
        }
    }

    @Test func fastRowPathAgreesWithTheCarefulParser() throws {
        let cells = [
            "0", "-0.5", "12.25", "1e5", "1E-5", "-3.5e+2", "2.5e-30", "1e23", "123456789012345678",
            "0.000001",
            "7e", ".5", "5.", "-", "abc", "1.7976931348623157e308", "9007199254740993", "0e400",
        ]
        let text = "c\n" + cells.joined(separator: "\n") + "\n"
        let csv = try CSVReader(source: ChunkByteSource(string: text), name: "t.csv", chunkSize: 1 << 16)
        var slot = 0
        var value = 0.0
        for cell in cells {
            guard
                case .parsed = withUnsafePointer(
                    to: &slot, { slots in csv.nextNumericRow(slots: slots, into: &value) })
            else {
                Issue.record("fast path declined '\(cell)'")
                continue
            }
            #expect(value.isNaN ? csv.cell(0) != .number(value) : csv.cell(0) == .number(value), "\(cell)")
        }
    }

    /// Random decimal spellings of every shape (1–25 digits, a point anywhere or none, exponents
    /// up to the limits and past them, signs), each parsed by the cell parser and by `strtod`:
    /// the two must agree to the bit, and the row fast path must give the same value or decline.
    @Test func agreesWithStrtodOnRandomDecimals() throws {
        var generator = SplitMixGenerator(seed: 19)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(generator.next() % 10)) })
        }
        var texts = [
            "-0", "0.0", "-0.0", "0e0", "4.9406564584124654e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "2.2250738585072011e-308", "1.7976931348623158e308",
            "1.7976931348623159e308", "9007199254740992", "9007199254740993", "9007199254740993.0000000001",
            "18446744073709551615", "18446744073709551616", "99999999999999999999", "1e22", "1e23", "1e-22",
            "1e-23", "0.000000000000000000000000001", "123456789012345.6", "1234567890123456.7",
            "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ]
        for _ in 0..<20000 {
            let count = 1 + Int(generator.next() % 25)
            var text = digits(count)
            if generator.next() % 3 != 0 {
                let point = Int(generator.next() % UInt64(count + 1))
                text.insert(".", at: text.index(text.startIndex, offsetBy: point))
                if text == "." { text = "0." }
            }
            if generator.next() % 2 == 0 { text += "e\(Int(generator.next() % 700) - 350)" }
            if generator.next() % 2 == 0 { text = "-" + text }
            texts.append(text)
        }
        let powers = NumberParser.makePowers()
        defer { powers.deallocate() }
        for text in texts {
            var end: UnsafeMutablePointer<CChar>?
            let expected = text.withCString { strtod($0, &end) }
            let result = parse(text)
            if expected.isFinite {
                #expect(result == .number(expected), "\(text)")
                if case .number(let value) = result {
                    #expect(value.bitPattern == expected.bitPattern, "\(text): sign of zero")
                }
            } else {
                #expect(result == .nonFinite, "\(text)")
            }
            let bytes = Array(text.utf8)
            let (fast, stop) = bytes.withUnsafeBufferPointer { buffer in
                NumberParser.prefixDouble(buffer.baseAddress!, from: 0, to: buffer.count, powers: powers)
            }
            if let fast, stop == bytes.count {
                #expect(fast.bitPattern == expected.bitPattern, "\(text): fast path")
            }
        }
    }

    /// The row fast path inside a buffer that goes on past the number: decimals of every digit
    /// count up to 22 on both sides of the point, followed by each kind of byte that ends a number
    /// (and bytes above 0x7F), must parse to `strtod`'s bits and stop exactly where the number ends.
    @Test func digitRunsOfEveryLengthAgreeWithStrtod() {
        var generator = SplitMixGenerator(seed: 23)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(generator.next() % 10)) })
        }
        let powers = NumberParser.makePowers()
        defer { powers.deallocate() }
        let enders: [[UInt8]] = [
            [0x2C], [0x0A], [0x0D, 0x0A], [0x22], [0x2F], [0x3A], [0x80], [0xFF], [0x41],
        ]
        for integerDigits in 0...22 {
            for fractionDigits in [-1, 0, 1, 5, 6, 7, 8, 9, 15, 16, 17, 22] {
                for ender in enders {
                    var text = digits(integerDigits)
                    if fractionDigits >= 0 { text += "." + digits(fractionDigits) }
                    if generator.next() % 2 == 0 { text = "-" + text }
                    let expected = strtod(text, nil)
                    let bytes = Array(text.utf8) + ender + Array("9999999999999999".utf8)
                    let (value, stop) = bytes.withUnsafeBufferPointer { buffer in
                        NumberParser.prefixDouble(
                            buffer.baseAddress!, from: 0, to: buffer.count, powers: powers)
                    }
                    #expect(stop == text.utf8.count, "\(text)")
                    if integerDigits + max(fractionDigits, 0) == 0 {
                        #expect(value == nil, "\(text)")
                    } else if let value {
                        #expect(value.bitPattern == expected.bitPattern, "\(text)")
                    } else {
                        // Declined only past the fast path's limits.
                        #expect(integerDigits + max(fractionDigits, 0) > 15, "\(text)")
                    }
                }
            }
        }
    }

    @Test func infinityAndNaNSpellingsKeepTheirMeaning() {
        for text in ["inf", "-inf", "Infinity", "-INFINITY", "1e999", "-1e400"] {
            #expect(parse(text) == .nonFinite, "\(text)")
        }
        for text in ["NA", "NaN", ""] { #expect(parse(text) == .missing, "\(text)") }
        let notNumbers = [
            "nan", "NAN", "nan(1)", "0x1p3", "1e", "e5", "--1", "+-1", "1..2", "1e+", "in", "infinit",
        ]
        for text in notNumbers { #expect(parse(text) == .text, "\(text)") }
    }

    @Test func classifiesNonNumbers() {
        #expect(parse("abc") == .text)
        #expect(parse("1.2.3") == .text)
        #expect(parse("0x10") == .text)
        #expect(parse("+-1") == .text)
        #expect(parse("1e5x") == .text)
        #expect(parse("inf") == .nonFinite)
        #expect(parse("-Infinity") == .nonFinite)
        #expect(parse("1e999") == .nonFinite)
        #expect(parse("NA") == .missing)
        #expect(parse("NaN") == .missing)
        #expect(parse("") == .missing)
        #expect(parse("nan") == .text)
    }
}
