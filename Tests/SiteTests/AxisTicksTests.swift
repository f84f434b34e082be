import Testing

@testable import Site

/// Round ticks: 1-2-5 steps, at most six, one precision per axis, whole steps for whole numbers.
@Suite struct AxisTicksTests {
    @Test func accuracyGetsRoundTicksWithOnePrecision() {
        let axis = AxisTicks(covering: [0.9712, 0.952, 0.9328])
        #expect(axis.labels == ["0.93", "0.94", "0.95", "0.96", "0.97", "0.98"])
    }

    @Test func rowCountsNeverGetFractionalTicks() {
        #expect(AxisTicks(covering: [449, 451, 453, 452]).labels == ["449", "450", "451", "452", "453"])
        #expect(AxisTicks(covering: [451, 452]).labels == ["451", "452"])
        #expect(AxisTicks(covering: [451]).labels == ["400", "420", "440", "460", "480", "500"])
        #expect(
            AxisTicks(covering: [12_000, 15_500]).labels == [
                "12,000", "13,000", "14,000", "15,000", "16,000",
            ])
    }

    @Test func constantAndSinglePointSeriesGetAnAxisAroundThem() {
        #expect(AxisTicks(covering: [0, 0, 0]).labels == ["0", "1"])
        #expect(AxisTicks(covering: []).labels == ["0", "1"])
        #expect(AxisTicks(covering: [0.5]).labels == ["0.45", "0.50", "0.55"])
        let negative = AxisTicks(covering: [-2.5, -2.5])
        #expect(negative.low <= -2.5 && negative.high >= -2.5 && negative.high <= 0)
    }

    @Test func negativeValuesUseTheRealMinusSign() {
        #expect(AxisTicks(covering: [-5, 3]).labels == ["−6", "−4", "−2", "0", "2", "4"])
        #expect(AxisTicks(covering: [-0.03, 0.01]).labels == ["−0.03", "−0.02", "−0.01", "0.00", "0.01"])
    }

    @Test func hugeAndTinyAxesShareOneExponent() {
        #expect(
            AxisTicks(covering: [1e15, 3e15]).labels == [
                "1.0×10¹⁵", "1.5×10¹⁵", "2.0×10¹⁵", "2.5×10¹⁵", "3.0×10¹⁵",
            ])
        #expect(
            AxisTicks(covering: [1e-9, 3e-9]).labels == [
                "1.0×10⁻⁹", "1.5×10⁻⁹", "2.0×10⁻⁹", "2.5×10⁻⁹", "3.0×10⁻⁹",
            ])
        #expect(AxisTicks(covering: [0.000_012, 0.000_018]).labels.first == "0.000012")
    }

    @Test func unitsScaleBeforeRounding() {
        #expect(
            AxisTicks(covering: [850, 2_400], unit: .milliseconds).labels == [
                "0.5 s", "1.0 s", "1.5 s", "2.0 s", "2.5 s",
            ])
        #expect(
            AxisTicks(covering: [12, 31], unit: .milliseconds).labels == [
                "10 ms", "15 ms", "20 ms", "25 ms", "30 ms", "35 ms",
            ])
        #expect(
            AxisTicks(covering: [5_000_000, 9_000_000], unit: .bytes).labels == [
                "4 MiB", "5 MiB", "6 MiB", "7 MiB", "8 MiB", "9 MiB",
            ])
    }

    /// Every pair of extremes (and NaN, ±inf mixed in) gives an ordered axis of at most six
    /// ticks covering the finite values, with plain labels.
    @Test func anyValuesGiveAnOrderedAxis() {
        let extremes: [Double] = [
            0, -0.0, 1, -1, 0.1, 451, 1e-300, -1e-300, .leastNonzeroMagnitude, 1e300, -1e300,
            .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, 1e15, 1e-7, 1e10 + 1e-6,
        ]
        for first in extremes {
            for second in extremes {
                let axis = AxisTicks(covering: [first, second, .nan, .infinity, -.infinity])
                #expect(
                    axis.values.count >= 2 && axis.values.count <= AxisTicks.maxCount, "\(first) \(second)")
                #expect(axis.labels.count == axis.values.count)
                #expect(
                    zip(axis.values, axis.values.dropFirst()).allSatisfy { $0 < $1 }, "\(first) \(second)")
                // Covering, up to a billionth of a step (a value that close to a tick is on it).
                let slack = (axis.high - axis.low) * 1e-9
                #expect(axis.low <= min(first, second) + slack, "\(first) \(second)")
                #expect(axis.high >= max(first, second) - slack, "\(first) \(second)")
                #expect(
                    axis.labels.allSatisfy { !$0.contains("e") && !$0.contains("-") && !$0.contains("nan") })
            }
        }
    }

    /// Steps are 1, 2 or 5 times a power of ten, and labels of one axis have one precision.
    @Test func stepsAreOneTwoFive() {
        for span in [0.003, 0.07, 0.9, 4.0, 33.0, 720.0, 48_000.0] {
            let axis = AxisTicks(covering: [1, 1 + span])
            let step = axis.values[1] - axis.values[0]
            let leading = step / AxisTicks.roundStep(atLeast: step * 0.999)
            #expect(abs(leading - 1) < 1e-9, "span \(span): step \(step)")
            let decimals = Set(axis.labels.map { $0.split(separator: ".").dropFirst().first?.count ?? 0 })
            #expect(decimals.count == 1, "\(axis.labels)")
        }
    }
}
