/// The common KServe v1 body, `{"instances": [[n, …], …]}` with every row an array of numbers,
/// read in one pass over the bytes straight into doubles.
///
/// It accepts a strict subset of JSON: the object has exactly the key `instances`, spelled without
/// escapes; every row is an array of exactly `width` numbers in JSON's number grammar; JSON
/// whitespace may stand between any two tokens. Anything else returns nil (another key, a string or
/// `null`, a row of another width, a number that is not finite as a double or rounds to zero from a
/// non-zero spelling, a zero written with an exponent, no rows or more than `maxRows`), and the
/// caller decodes the body with
/// `JSONDecoder`, which also names what is wrong. Each number is correctly rounded to the nearest
/// double, as `JSONDecoder` rounds it, so both give the same value bit for bit: Clinger's exact fast
/// path when the decimal significand and its power of ten are both exact doubles, else the
/// standard library's `Double(_:)`.
///
/// Guarantee on hostile input: no recursion, and every step of the loop consumes at least one
/// byte, so any body is read in time linear in its length; the output never holds more than
/// `maxRows × width` values.
package enum PositionalRows {
    /// The rows of `body`, row-major, or nil when the body is anything but the plain form.
    package static func decode(_ body: UnsafeRawBufferPointer, width: Int, maxRows: Int) -> (
        rows: Int, values: [Double]
    )? {
        guard width > 0, maxRows > 0 else { return nil }
        var reader = Reader(bytes: body)
        guard reader.take(UInt8(ascii: "{")), reader.take(key: "\"instances\""),
            reader.take(UInt8(ascii: ":")),
            reader.take(UInt8(ascii: "["))
        else { return nil }
        var values: [Double] = []
        // At most one number per two bytes (a digit and a separator), and the limit (which
        // `--max-rows` may set near Int.max, so the product must not overflow).
        let limit = maxRows.multipliedReportingOverflow(by: width)
        values.reserveCapacity(min(limit.overflow ? Int.max : limit.partialValue, body.count / 2 + 1))
        var rows = 0
        repeat {
            guard rows < maxRows, reader.take(UInt8(ascii: "[")) else { return nil }
            for column in 0..<width {
                guard column == 0 || reader.take(UInt8(ascii: ",")), let value = reader.number() else {
                    return nil
                }
                values.append(value)
            }
            guard reader.take(UInt8(ascii: "]")) else { return nil }
            rows += 1
        } while reader.take(UInt8(ascii: ","))
        guard reader.take(UInt8(ascii: "]")), reader.take(UInt8(ascii: "}")), reader.finished() else {
            return nil
        }
        return (rows, values)
    }

    /// A cursor over the body's bytes.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// True when only whitespace is left.
        mutating func finished() -> Bool {
            skipWhitespace()
            return index == bytes.count
        }

        /// Skips JSON whitespace (space, tab, line feed, carriage return).
        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// Consumes `byte` after any whitespace; false, consuming nothing more, when it is not next.
        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// Consumes the exact bytes of `key` after any whitespace.
        mutating func take(key: StaticString) -> Bool {
            skipWhitespace()
            let expected = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
            guard bytes.count - index >= expected.count,
                expected.indices.allSatisfy({ bytes[index + $0] == expected[$0] })
            else { return false }
            index += expected.count
            return true
        }

        /// A JSON number after any whitespace, as the nearest double; nil when the next token is not
        /// a number, or its value is not finite, or a non-zero spelling rounds to zero.
        mutating func number() -> Double? {
            skipWhitespace()
            let start = index
            let negative = peek == UInt8(ascii: "-")
            if negative { index += 1 }
            // The first 19 significant digits (any 19 fit in a UInt64), and the power of ten that
            // scales them; `truncated` when more digits follow.
            var significand: UInt64 = 0
            var digits = 0
            var exponent = 0
            var truncated = false
            var nonZero = false
            guard let first = digit else { return nil }
            if first == 0 {
                index += 1
            } else {
                while let value = digit {
                    index += 1
                    if digits < 19 {
                        significand = significand &* 10 &+ UInt64(value)
                        digits += 1
                    } else {
                        exponent += 1
                        truncated = truncated || value != 0
                    }
                }
                nonZero = true
            }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard digit != nil else { return nil }
                while let value = digit {
                    index += 1
                    if value != 0 { nonZero = true }
                    if digits < 19 {
                        if significand != 0 || value != 0 { digits += 1 }
                        significand = significand &* 10 &+ UInt64(value)
                        exponent -= 1
                    } else {
                        truncated = truncated || value != 0
                    }
                }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                // JSONDecoder refuses some spellings of zero with an exponent (`0e5`, `-0.0e1`,
                // `0.000E5`; not `0e-1` or `0.0e5`): every such body takes its path, so both agree.
                guard nonZero else { return nil }
                index += 1
                let negativeExponent = peek == UInt8(ascii: "-")
                if negativeExponent || peek == UInt8(ascii: "+") { index += 1 }
                guard digit != nil else { return nil }
                var power = 0
                while let value = digit {
                    index += 1
                    // Beyond this any double is 0 or infinite; the bound keeps `power` from overflowing.
                    if power < 100_000 { power = power * 10 + value }
                }
                exponent += negativeExponent ? -power : power
            }
            let value: Double
            if !truncated, significand <= 1 << 53, (-22...22).contains(exponent) {
                // Both operands are exact doubles, so the one rounding of `*` or `/` is the correct one.
                let scale = Self.powersOfTen[abs(exponent)]
                let magnitude = exponent < 0 ? Double(significand) / scale : Double(significand) * scale
                value = negative ? -magnitude : magnitude
            } else {
                // Longer spellings are rare and left to JSONDecoder, so no body makes this loop slow.
                guard index - start <= Self.longestSpelling,
                    let parsed = Double(
                        String(
                            decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                else { return nil }
                value = parsed
            }
            guard value.isFinite, value != 0 || !nonZero else { return nil }
            return value
        }

        /// The next byte, or 0 at the end.
        private var peek: UInt8 { index < bytes.count ? bytes[index] : 0 }

        /// The value of the next byte when it is a decimal digit.
        private var digit: Int? {
            let byte = peek
            return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                ? Int(byte - UInt8(ascii: "0")) : nil
        }

        /// The longest number spelling parsed here (a shortest round-trip double needs at most 24 bytes).
        private static let longestSpelling = 64

        /// 10⁰ … 10²², every one exact in a double.
        private static let powersOfTen: [Double] = (0...22).map { power in
            (0..<power).reduce(1.0) { value, _ in value * 10 }
        }
    }
}
