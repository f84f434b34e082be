import Testing

@testable import Pipeline

/// Numbers a person reads: significant digits, separators, minus sign, units, deltas, extremes.
@Suite struct ReadableNumberTests {
    @Test func valuesHaveFourSignificantDigitsAndSeparators() {
        #expect(ReadableNumber.value(0.971_234) == "0.9712")
        #expect(ReadableNumber.value(0.95) == "0.95")
        #expect(ReadableNumber.value(451) == "451")
        #expect(ReadableNumber.value(451.4) == "451.4")
        #expect(ReadableNumber.value(12_345.678) == "12,346")
        #expect(ReadableNumber.value(1_234_567) == "1,234,567")
        #expect(ReadableNumber.value(-0.0278) == "−0.0278")
        #expect(ReadableNumber.value(0.999_96) == "1")
        #expect(ReadableNumber.value(-0.0) == "0")
        #expect(ReadableNumber.value(0) == "0")
        #expect(ReadableNumber.value(nil) == "-")
    }

    @Test func hugeAndTinyValuesStayReadable() {
        #expect(ReadableNumber.value(1.846e-6) == "0.000001846")
        #expect(ReadableNumber.value(-1.846e-7) == "−1.846×10⁻⁷")
        #expect(ReadableNumber.value(999_999_999_999_999) == "999,999,999,999,999")
        #expect(ReadableNumber.value(2.5e15) == "2.5×10¹⁵")
        #expect(ReadableNumber.value(123_456_789_012_345) == "123,456,789,012,345")
        #expect(ReadableNumber.value(.greatestFiniteMagnitude) == "1.798×10³⁰⁸")
        #expect(ReadableNumber.value(.leastNonzeroMagnitude) == "4.941×10⁻³²⁴")
        #expect(ReadableNumber.value(9.999_99e-7) == "1×10⁻⁶")
    }

    @Test func nonFiniteValuesNeverTrap() {
        #expect(ReadableNumber.value(.nan) == "NaN")
        #expect(ReadableNumber.value(.infinity) == "∞")
        #expect(ReadableNumber.value(-.infinity) == "−∞")
        #expect(ReadableNumber.delta(.nan, baseline: 1) == "NaN")
        #expect(ReadableNumber.delta(1, baseline: .nan) == "+1")
        #expect(ReadableNumber.relative(1, baseline: .leastNonzeroMagnitude) == nil)
    }

    /// No value in any unit prints exponent notation or a hyphen-minus.
    @Test func everyDoubleGivesPlainText() {
        var values: [Double] = [
            0, -0.0, 1, -1, 0.5, 1e-300, -1e-300, 1e300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            .leastNonzeroMagnitude, .leastNormalMagnitude, 9.999_5, 99_999.5, 1e15 - 1, 1e15, 1e-6,
            0.999_999_9,
        ]
        var power = Double.leastNonzeroMagnitude * 1e4
        while power < 1e300 {
            values += [power, -power * 3.7]
            power *= 10
        }
        for value in values {
            for unit in [ReadableNumber.Unit.none, .milliseconds, .seconds, .bytes] {
                let text = ReadableNumber.value(value, unit: unit)
                #expect(!text.contains("e"), "\(value) \(unit): \(text)")
                #expect(!text.contains("-") && !text.isEmpty, "\(value) \(unit): \(text)")
                let delta = ReadableNumber.delta(value, baseline: value / 3, metric: "m")
                #expect(!delta.contains("e") && !delta.contains("-"), "\(value): \(delta)")
            }
        }
    }

    @Test func unitsComeFromTheName() {
        #expect(ReadableNumber.Unit.of("latency_ms") == .milliseconds)
        #expect(ReadableNumber.Unit.of("p99.ms") == .milliseconds)
        #expect(ReadableNumber.Unit.of("size_bytes.after") == .bytes)
        #expect(ReadableNumber.Unit.of("train_seconds") == .seconds)
        #expect(ReadableNumber.Unit.of("rms") == .none)
        #expect(ReadableNumber.Unit.of("accuracy") == .none)
        #expect(ReadableNumber.value(850, metric: "latency_ms") == "850 ms")
        #expect(ReadableNumber.value(12.345, metric: "latency_ms") == "12.35 ms")
        #expect(ReadableNumber.value(2_400, metric: "latency_ms") == "2.4 s")
        #expect(ReadableNumber.value(185, metric: "train_seconds") == "3 min 05 s")
        #expect(ReadableNumber.value(7_620, metric: "train_seconds") == "2 h 07 min")
        #expect(ReadableNumber.value(512, metric: "size_bytes.before") == "512 B")
        #expect(ReadableNumber.value(81_054_515, metric: "size_bytes.after") == "77.3 MiB")
        #expect(ReadableNumber.value(0.5, metric: "size_bytes.after") == "0.5 B")
    }

    @Test func deltasAreAbsoluteAndRelative() {
        #expect(ReadableNumber.delta(-0.0278, baseline: 0.959) == "−0.0278 (−2.9 %)")
        #expect(ReadableNumber.delta(1.846e-6, baseline: 0.95) == "+0.00000185 (+0.00019 %)")
        #expect(ReadableNumber.delta(0.1234, baseline: 0.1) == "+0.123 (+123 %)")
        #expect(ReadableNumber.delta(12, baseline: 100, metric: "latency_ms") == "+12 ms (+12 %)")
        #expect(ReadableNumber.delta(-3, baseline: -10) == "−3 (−30 %)")
        #expect(ReadableNumber.delta(5, baseline: 0) == "+5")
        #expect(ReadableNumber.delta(5) == "+5")
        #expect(ReadableNumber.delta(0, baseline: 1) == "±0")
        #expect(ReadableNumber.delta(nil, baseline: 1) == "")
        #expect(ReadableNumber.delta(1e20, baseline: 1) == "+1×10²⁰ (+1×10²² %)")
    }
}
