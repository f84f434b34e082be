import Foundation
import Pipeline

/// The y axis of a chart: round tick values and their labels.
///
/// Ticks step by 1, 2 or 5 times a power of ten, at most `maxCount` of them, the first at or
/// below the smallest value and the last at or above the largest, so the axis runs from tick to
/// tick. Every label has the same number of decimals (one precision per axis); a series of whole
/// numbers (row counts) never gets a fractional step. A metric with a unit is labelled in it
/// ("850 ms", "1.5 s", "12 MiB"), scaled first so the steps are round in that unit. A constant
/// series gets an axis around its value; beyond 10¹⁵ or below 10⁻⁶ labels read "1.5×10¹⁵".
/// Any finite values give an axis with `low < high`, and no input traps.
struct AxisTicks: Equatable {
    /// The most ticks on an axis.
    static let maxCount = 6

    /// Tick values, ascending; the first is the axis' low end, the last its high end.
    let values: [Double]
    /// One label per tick.
    let labels: [String]

    /// The axis' low end.
    var low: Double { values.first ?? 0 }
    /// The axis' high end.
    var high: Double { values.last ?? 1 }

    /// An axis covering `data` (non-finite values are ignored), labelled in `unit`.
    init(covering data: [Double], unit: ReadableNumber.Unit = .none) {
        let finite = data.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 0
        let scale = Self.scale(for: max(abs(low), abs(high)), unit: unit)
        low /= scale.divisor
        high /= scale.divisor
        let integral = scale.divisor == 1 && finite.allSatisfy { $0 == $0.rounded() && abs($0) < 9e15 }
        // A series that (nearly) never moves gets an axis around its value.
        let middle = low / 2 + high / 2
        if high / 2 - low / 2 <= max(abs(low), abs(high)) * 5e-10 {
            if middle == 0 {
                (low, high) = (0, 1)
            } else {
                let pad = max(abs(middle) * 0.1, integral ? 1 : 0)
                (low, high) = (middle - pad, middle + pad)
                if middle > 0 && low < 0 { low = 0 }
                if middle < 0 && high > 0 { high = 0 }
                // Near the ends of the doubles the pad can vanish or overflow.
                let biggest = Double.greatestFiniteMagnitude
                (low, high) = (max(-biggest, low), min(biggest, high))
                if !(high > low) { (low, high) = middle > 0 ? (0, middle * 2) : (middle * 2, 0) }
            }
        }
        guard let ticks = Self.roundTicks(low: low, high: high, integral: integral) else {
            // Only for spans beyond the doubles (±10³⁰⁸): the two ends, as they are.
            values = [low * scale.divisor, high * scale.divisor]
            labels = [low, high].map { ReadableNumber.number($0, digits: 4) + scale.suffix }
            return
        }
        values = ticks.values.map { $0 * scale.divisor }
        labels = Self.labels(ticks.values, step: ticks.step, suffix: scale.suffix)
    }

    /// The unit's divisor and label suffix for values up to `magnitude`.
    static func scale(for magnitude: Double, unit: ReadableNumber.Unit) -> (divisor: Double, suffix: String) {
        switch unit {
        case .none: return (1, "")
        case .milliseconds: return magnitude >= 1000 ? (1000, " s") : (1, " ms")
        case .seconds: return (1, " s")
        case .bytes:
            var divisor = 1.0
            for suffix in [" B", " KiB", " MiB", " GiB", " TiB"] {
                if magnitude < divisor * 1024 { return (divisor, suffix) }
                divisor *= 1024
            }
            return (divisor, " PiB")
        }
    }

    /// Ticks from at or below `low` to at or above `high`, stepping 1-2-5; nil when the span is
    /// not a finite positive number.
    static func roundTicks(low: Double, high: Double, integral: Bool) -> (values: [Double], step: Double)? {
        let span = high - low
        guard span.isFinite, span > 0 else { return nil }
        var step = roundStep(atLeast: span / Double(maxCount - 1))
        if integral { step = max(step, 1) }
        // Rounding the ends outwards can add a tick; the next round step always fits.
        for _ in 0..<8 {
            // A value within a billionth of a step of a tick is on it (0.3 / 0.1 is 2.9999…).
            let first = (low / step + 1e-9).rounded(.down)
            let last = (high / step - 1e-9).rounded(.up)
            let count = last - first + 1
            if count.isFinite, count <= Double(maxCount) {
                let values = (0..<Int(count)).map { (first + Double($0)) * step }
                return values.allSatisfy(\.isFinite) ? (values, step) : nil
            }
            step = roundStep(atLeast: step * 1.5)
        }
        return nil
    }

    /// The smallest of 1, 2, 5 × 10ⁿ that is at least `value` (> 0).
    static func roundStep(atLeast value: Double) -> Double {
        let exponent = ReadableNumber.decimalExponent(value)
        let power = ReadableNumber.power(of: exponent)
        let fraction = value / power
        let factor: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return factor * power
    }

    /// Labels with one precision: as many decimals as the step needs; ×10ⁿ with a shared
    /// exponent past 10¹⁵ or for steps below 10⁻⁶.
    static func labels(_ ticks: [Double], step: Double, suffix: String) -> [String] {
        let stepExponent = ReadableNumber.decimalExponent(step)
        let largest = ticks.map(abs).max() ?? 0
        if largest >= 1e15 || stepExponent < -6 {
            let exponent = ReadableNumber.decimalExponent(largest)
            let decimals = min(max(0, exponent - stepExponent), 12)
            return ticks.map {
                ($0 == 0 ? "0" : ReadableNumber.scientific($0, exponent: exponent, decimals: decimals))
                    + suffix
            }
        }
        let decimals = max(0, -stepExponent)
        return ticks.map { ReadableNumber.fixed($0, decimals: decimals) + suffix }
    }
}
