import Foundation

/// Numbers as a person reads them: on the site, in the Markdown report and model card, in
/// release tag messages. Machine outputs (`--json`, history.json, Prometheus, front matter) keep
/// full precision and never come through here.
///
/// **The rules.** A value has at most `significantDigits` significant digits (the integer part
/// is never rounded away), thousands separated by commas, a real minus sign (U+2212), and no
/// exponent notation between 10⁻⁶ and 10¹⁵; beyond that it reads "1.846×10⁻⁷". A metric whose
/// name says its unit (`Unit.of`) is shown in it: "850 ms", "2.4 s", "12.3 MiB". A delta is
/// absolute and, when the baseline is not zero, relative: "−0.0278 (−2.9 %)". Every double,
/// NaN and ±infinity included, gives text; nothing traps (digits go through `Int64` only
/// within its range).
public enum ReadableNumber {
    /// The significant digits of a value.
    public static let significantDigits = 4
    /// The significant digits of a delta.
    public static let deltaDigits = 3
    /// The real minus sign.
    public static let minus = "\u{2212}"

    /// What a metric measures, read from its name.
    public enum Unit: Sendable, Equatable {
        /// A plain number.
        case none
        /// Milliseconds (`…_ms`, `….ms`).
        case milliseconds
        /// Seconds (`…_seconds`, `…_secs`).
        case seconds
        /// Bytes (a name part `bytes`, e.g. `size_bytes.after`).
        case bytes

        /// The unit a metric's name announces: its parts split at `_` and `.`.
        public static func of(_ metric: String) -> Unit {
            // Most names carry no unit: one pass over the bytes for an "s" or "S" (every unit
            // word has one) before any splitting.
            guard metric.utf8.contains(where: { $0 == UInt8(ascii: "s") || $0 == UInt8(ascii: "S") }) else {
                return .none
            }
            let parts = metric.lowercased().split(whereSeparator: { $0 == "_" || $0 == "." || $0 == "-" })
            if parts.contains("bytes") { return .bytes }
            if parts.last == "ms" || parts.contains("ms") && parts.count > 1 { return .milliseconds }
            if parts.contains("seconds") || parts.contains("secs") { return .seconds }
            return .none
        }
    }

    // MARK: - Values

    /// A metric's value in the unit its name announces; "-" when unknown.
    public static func value(_ value: Double?, metric: String) -> String {
        self.value(value, unit: Unit.of(metric))
    }

    /// `value` with `significantDigits` significant digits, in `unit`; "-" when unknown.
    public static func value(_ value: Double?, unit: Unit = .none) -> String {
        guard let value else { return "-" }
        guard value.isFinite else { return nonFinite(value) }
        switch unit {
        case .none: return number(value, digits: significantDigits)
        case .milliseconds: return duration(seconds: value / 1000)
        case .seconds: return duration(seconds: value)
        case .bytes: return bytes(value)
        }
    }

    /// `value` rounded to `digits` significant digits (never fewer than its integer digits),
    /// grouped by thousands, trailing zeros dropped.
    public static func number(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        guard magnitude >= 1e-6, magnitude < 1e15 else { return scientific(value, digits: digits) }
        let exponent = decimalExponent(magnitude)
        let decimals = max(0, digits - 1 - exponent)
        return fixed(value, decimals: decimals, trimming: true)
    }

    /// `value` with exactly `decimals` decimals (0...12; trailing zeros dropped with `trimming`),
    /// grouped by thousands, with a real minus sign. For magnitudes ≥ 10¹⁵ (or where the digits
    /// would not fit in 18) it falls back to `scientific`.
    public static func fixed(_ value: Double, decimals: Int, trimming: Bool = false) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let decimals = min(max(decimals, 0), 12)
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard abs(value) < 1e15, scaled < 9e17 else { return scientific(value, digits: significantDigits) }
        let units = Int64(scaled)
        if units == 0 {
            return trimming || decimals == 0 ? "0" : "0." + String(repeating: "0", count: decimals)
        }
        let divisor = Int64(scale)
        var text = value < 0 ? minus : ""
        text += grouped(units / divisor)
        var fraction = String(units % divisor)
        if decimals > 0 {
            fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
            if trimming {
                while fraction.last == "0" { fraction.removeLast() }
            }
            if !fraction.isEmpty { text += "." + fraction }
        }
        return text
    }

    /// "1.846×10⁻⁷": `digits` significant digits, trailing zeros dropped.
    public static func scientific(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == 0 { return "0" }
        var exponent = decimalExponent(abs(value))
        var mantissa = self.mantissa(abs(value), exponent: exponent)
        // Rounding can carry into the next power (9.9996 → 10.00).
        let decimals = min(max(0, digits - 1), 12)
        if fixed(mantissa, decimals: decimals).hasPrefix("10") {
            exponent += 1
            mantissa = self.mantissa(abs(value), exponent: exponent)
        }
        return (value < 0 ? minus : "") + fixed(mantissa, decimals: decimals, trimming: true) + "×10"
            + superscript(exponent)
    }

    /// "1.50×10¹⁵": `value / 10^exponent` with exactly `decimals` decimals, for axes whose
    /// ticks share one exponent and one precision.
    public static func scientific(_ value: Double, exponent: Int, decimals: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let scaled = mantissa(abs(value), exponent: exponent)
        return (value < 0 && scaled != 0 ? minus : "") + fixed(scaled, decimals: decimals) + "×10"
            + superscript(exponent)
    }

    /// The power of ten of `magnitude`'s leading digit (0.0278 → -2, 451 → 2); 0 for 0, NaN, ∞.
    public static func decimalExponent(_ magnitude: Double) -> Int {
        guard magnitude > 0, magnitude.isFinite else { return 0 }
        // log10 of a positive finite double lies within ±324: the conversion cannot trap.
        var exponent = Int(log10(magnitude).rounded(.down))
        // log10 can land a hair off at exact powers of ten.
        if power(of: exponent) > magnitude { exponent -= 1 }
        if power(of: exponent + 1) <= magnitude { exponent += 1 }
        return exponent
    }

    /// 10^exponent as a double (0 or infinity outside the doubles' range).
    public static func power(of exponent: Int) -> Double { pow(10, Double(exponent)) }

    /// `magnitude / 10^exponent`, scaled in two steps where 10^exponent is below the doubles.
    static func mantissa(_ magnitude: Double, exponent: Int) -> Double {
        exponent < -290 ? magnitude * 1e300 / power(of: exponent + 300) : magnitude / power(of: exponent)
    }

    /// "12,345,678".
    static func grouped(_ value: Int64) -> String {
        let digits = String(value)
        guard digits.count > 3 else { return digits }
        var result = ""
        result.reserveCapacity(digits.count + digits.count / 3)
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    static func superscript(_ exponent: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (exponent < 0 ? "⁻" : "")
            + String(String(abs(exponent)).compactMap { $0.wholeNumberValue.map { digits[$0] } })
    }

    static func nonFinite(_ value: Double) -> String {
        value.isNaN ? "NaN" : value > 0 ? "∞" : minus + "∞"
    }

    // MARK: - Units

    /// "850 ms", "12.35 ms", "2.4 s", "3 min 05 s", "2 h 07 min".
    public static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return nonFinite(seconds) }
        let magnitude = abs(seconds)
        let sign = seconds < 0 ? minus : ""
        if magnitude == 0 { return "0 ms" }
        if magnitude < 1 { return number(seconds * 1000, digits: significantDigits) + " ms" }
        if magnitude < 60 { return number(seconds, digits: 3) + " s" }
        guard magnitude < 1e12 else { return number(seconds, digits: significantDigits) + " s" }
        let whole = Int64(magnitude.rounded())
        if whole < 3600 { return sign + "\(whole / 60) min \(pad(whole % 60)) s" }
        let minutes = (whole + 30) / 60
        return sign + "\(grouped(minutes / 60)) h \(pad(minutes % 60)) min"
    }

    /// "512 B", "12.3 KiB", "77.3 MiB", "1.21 GiB" (powers of 1,024).
    public static func bytes(_ value: Double) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var scaled = value
        var index = 0
        while abs(scaled) >= 1024, index < units.count - 1 {
            scaled /= 1024
            index += 1
        }
        return (index == 0 ? number(scaled, digits: significantDigits) : number(scaled, digits: 3)) + " "
            + units[index]
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }

    // MARK: - Deltas

    /// "−0.0278 (−2.9 %)", "+12 ms (+3.1 %)", "±0"; the relative part only when `baseline` is
    /// known and not zero; "" when `delta` is unknown.
    public static func delta(_ delta: Double?, baseline: Double? = nil, metric: String = "") -> String {
        guard let delta else { return "" }
        guard delta.isFinite else { return (delta > 0 ? "+" : "") + nonFinite(delta) }
        if delta == 0 { return "±0" }
        let unit = Unit.of(metric)
        let absolute: String
        switch unit {
        case .none: absolute = number(delta, digits: deltaDigits)
        default: absolute = value(delta, unit: unit)
        }
        var text = (delta > 0 ? "+" : "") + absolute
        if let relative = relative(delta, baseline: baseline) { text += " (\(relative))" }
        return text
    }

    /// "−2.9 %", "+12 %", "+0.0002 %": `delta` as a share of `baseline`'s magnitude, two
    /// significant digits (whole percent from 100 up); nil without a usable baseline.
    public static func relative(_ delta: Double, baseline: Double?) -> String? {
        guard let baseline, baseline != 0, baseline.isFinite, delta.isFinite else { return nil }
        let percent = delta / abs(baseline) * 100
        guard percent.isFinite else { return nil }
        if percent == 0 { return "±0 %" }
        let digits = abs(percent) >= 100 ? 0 : 2
        let text = digits == 0 ? fixed(percent, decimals: 0) : number(percent, digits: digits)
        return (percent > 0 ? "+" : "") + text + " %"
    }
}
