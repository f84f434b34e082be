#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What one CSV cell holds when a number is expected.
public enum CellValue: Equatable, Sendable {
    case number(Double)
    /// `""`, `NA` or `NaN`.
    case missing
    /// Not a number at all.
    case text
    /// A number that is infinite (`inf`, `1e999`).
    case nonFinite
}

/// Parses decimal numbers straight from bytes, with no String per field.
///
/// The fast path is Clinger's: up to 15 significant digits and a power of ten up to 22 convert
/// exactly with one multiplication or division, so the result is correctly rounded. Everything
/// else goes to `strtod`, which is correctly rounded too.
enum NumberParser {
    /// 10⁰ … 10²², all exact in a Double; callers in hot loops keep their own copy (`makePowers`).
    static func makePowers() -> UnsafeMutablePointer<Double> {
        let powers = UnsafeMutablePointer<Double>.allocate(capacity: 23)
        for exponent in 0...22 { powers[exponent] = powersOfTen[exponent] }
        return powers
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// True for the spellings of a missing value: empty, `NA`, `NaN`.
    @inline(__always)
    static func isMissing(_ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        if count == 0 { return true }
        if count == 2 { return start[0] == 0x4E && start[1] == 0x41 }  // NA
        if count == 3 { return start[0] == 0x4E && start[1] == 0x61 && start[2] == 0x4E }  // NaN
        return false
    }

    /// Classifies and parses one cell.
    @inline(__always)
    static func cell(_ start: UnsafePointer<UInt8>, _ count: Int) -> CellValue {
        if isMissing(start, count) { return .missing }
        if let value = fastDouble(start, count) { return .number(value) }
        return slowCell(start, count)
    }

    /// The fast path for a whole cell: `prefixDouble` must consume all of it; anything else
    /// (spaces, long mantissas, large exponents, `inf`) is left to `slowCell`.
    @inline(__always)
    static func fastDouble(_ start: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        // A leading "+" is allowed in a cell (`prefixDouble` reads only "-"), but not "+-".
        let from = start[0] == 0x2B ? 1 : 0
        guard count > from, from == 0 || start[from] != 0x2D else { return nil }
        let (value, stop) = powersOfTen.withUnsafeBufferPointer {
            prefixDouble(start, from: from, to: count, powers: $0.baseAddress!)
        }
        return stop == count ? value : nil
    }

    /// Parses a decimal (`-12.5`, `3e-4`; at most 15 significant digits and a power of ten that
    /// is exact, Clinger's fast path) starting at `from`; returns the value (nil when it is not
    /// one the fast path can take) and where parsing stopped.
    @inline(__always)
    static func prefixDouble(
        _ bytes: UnsafePointer<UInt8>, from: Int, to limit: Int, powers: UnsafePointer<Double>
    ) -> (Double?, Int) {
        var index = from
        var negative = false
        if index < limit && bytes[index] == 0x2D {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        let integerStart = index
        while index < limit {
            let digit = bytes[index] &- 0x30
            if digit > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            if mantissa != 0 { digits &+= 1 }
            index &+= 1
        }
        var sawDigit = index > integerStart
        if index < limit && bytes[index] == 0x2E {
            index += 1
            let fractionStart = index
            while index < limit {
                let digit = bytes[index] &- 0x30
                if digit > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                if mantissa != 0 { digits &+= 1 }
                index &+= 1
            }
            exponent = fractionStart &- index
            sawDigit = sawDigit || index > fractionStart
        }
        if index < limit && bytes[index] | 0x20 == 0x65 && sawDigit {  // e or E
            var cursor = index + 1
            var exponentNegative = false
            if cursor < limit && (bytes[cursor] == 0x2D || bytes[cursor] == 0x2B) {
                exponentNegative = bytes[cursor] == 0x2D
                cursor += 1
            }
            var value = 0
            let exponentStart = cursor
            while cursor < limit {
                let digit = bytes[cursor] &- 0x30
                if digit > 9 || value > 10_000 { break }
                value = value &* 10 &+ Int(digit)
                cursor += 1
            }
            guard cursor > exponentStart else { return (nil, cursor) }
            exponent += exponentNegative ? -value : value
            index = cursor
        }
        guard sawDigit, digits <= 15, exponent >= -22, exponent <= 22 || mantissa == 0 else {
            return (nil, index)
        }
        var result = Double(mantissa)
        if exponent < 0 {
            result /= powers[-exponent]
        } else if exponent > 0 && mantissa != 0 {
            result *= powers[exponent]
        }
        return (negative ? -result : result, index)
    }

    /// Surrounding spaces, long mantissas, large exponents, `inf`: the careful path.
    static func slowCell(_ start: UnsafePointer<UInt8>, _ count: Int) -> CellValue {
        var lower = 0
        var upper = count
        while lower < upper && (start[lower] == 0x20 || start[lower] == 0x09) { lower += 1 }
        while upper > lower && (start[upper - 1] == 0x20 || start[upper - 1] == 0x09) { upper -= 1 }
        if lower != 0 || upper != count {
            if isMissing(start + lower, upper - lower) { return .missing }
            if let value = fastDouble(start + lower, upper - lower) { return .number(value) }
        }
        let length = upper - lower
        guard length > 0, length < 512 else { return .text }
        // strtod accepts hexadecimal and `nan(...)`; keep to decimal spellings and inf/infinity.
        for offset in lower..<upper {
            let byte = start[offset] | 0x20
            let allowed =
                (start[offset] >= 0x30 && start[offset] <= 0x39) || start[offset] == 0x2E
                || start[offset] == 0x2B || start[offset] == 0x2D || byte == 0x65 || byte == 0x69
                || byte == 0x6E || byte == 0x66 || byte == 0x74 || byte == 0x79
            if !allowed { return .text }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text in
            for offset in 0..<length { text[offset] = CChar(bitPattern: start[lower + offset]) }
            text[length] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &endPointer)
            guard let endPointer, endPointer - text.baseAddress! == length else { return .text }
            if value.isNaN { return .text }
            return value.isFinite ? .number(value) : .nonFinite
        }
    }
}
