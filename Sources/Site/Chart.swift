import Foundation
import Pipeline

/// An inline SVG line chart of one metric over commits, drawn without JavaScript.
///
/// Every point carries a `<title>` (commit, date, value), so the browser shows it as a tooltip;
/// the y axis has round ticks (`AxisTicks`), gate thresholds are labelled horizontal lines,
/// releases and deployments vertical ones, failed commits squares, and confidence intervals a
/// shaded band.
struct Chart {
    /// One evaluated commit's value.
    struct Point {
        /// Position along the x axis (first-parent position in the history).
        var x: Int
        var value: Double
        var commit: String
        var date: String
        var failed: Bool
        /// Relative link to the commit's page.
        var href: String
        /// The gate's confidence interval of the value, when the record has one.
        var interval: ClosedRange<Double>? = nil
    }

    /// A horizontal gate line.
    struct Threshold {
        var value: Double
        var label: String
    }

    /// A vertical release line.
    struct Marker {
        /// What a marker stands for: its line's CSS class and the word its title starts with.
        enum Kind: String {
            case release, deployment
        }

        var x: Int
        var label: String
        var kind = Kind.release
    }

    var metric: String
    var points: [Point]
    var thresholds: [Threshold] = []
    var markers: [Marker] = []
    /// The x range shown (first-parent positions), so windows line up with their pages.
    var xRange: ClosedRange<Int>
    /// Labels for the two ends of the x axis (short commit ids and dates).
    var startLabel: String
    var endLabel: String
    /// The drawing's size: the `viewBox` the browser scales to the page.
    var size = Size.compact

    /// A drawing size in SVG units. Text is 14 units high (17 on narrow screens), so a compact
    /// chart in half a desktop page reads at about 14 px, and on a phone (375 px) at about 12.
    struct Size: Equatable {
        var width: Double
        var height: Double

        /// Charts in a grid (the index).
        static let compact = Size(width: 480, height: 240)
        /// One chart across the page (a metric's page).
        static let wide = Size(width: 800, height: 300)
    }

    static let right = 16.0
    static let top = 14.0
    static let bottom = 34.0
    /// The width of one character of a tick label: the 17-unit font phones get (the stylesheet's
    /// narrow-screen rule); digits are narrower, so desktop's 14 units fit too.
    static let characterWidth = 9.5

    /// The interval of `metric`'s value that `record`'s gates give, if any: a threshold gate's
    /// interval as it is; else a change gate's (the drop or rise against the baseline) moved to
    /// the value's scale around the baseline's value. Nil unless both ends are finite and ordered.
    static func valueInterval(of metric: String, in record: RunRecord) -> ClosedRange<Double>? {
        var found: (Double, Double)?
        for gate in record.gates where gate.metric == metric {
            guard let interval = gate.interval, interval.count == 2 else { continue }
            switch gate.kind {
            case .min, .max:
                found = (interval[0], interval[1])
            case .maxDrop:
                if found == nil, let base = gate.baseline { found = (base - interval[1], base - interval[0]) }
            case .maxRise:
                if found == nil, let base = gate.baseline { found = (base + interval[0], base + interval[1]) }
            }
            if gate.kind == .min || gate.kind == .max { break }
        }
        guard let (lower, upper) = found, lower.isFinite, upper.isFinite, lower <= upper else { return nil }
        return lower...upper
    }

    /// How far `value` sits below `high`, from 0 (at `high`) to 1 (at `low`), without overflow
    /// for any finite doubles.
    static func depth(_ value: Double, low: Double, high: Double) -> Double {
        guard high > low else { return 0.5 }
        let span = high - low
        let result = span.isFinite ? (high - value) / span : (high / 2 - value / 2) / (high / 2 - low / 2)
        return result.isFinite ? result : 0.5
    }

    /// The `<svg>` element.
    func svg() -> String {
        var values = points.map(\.value).filter(\.isFinite)
        values += thresholds.map(\.value).filter(\.isFinite)
        for point in points where point.value.isFinite {
            if let interval = point.interval { values += [interval.lowerBound, interval.upperBound] }
        }
        let unit = ReadableNumber.Unit.of(metric)
        let axis = AxisTicks(covering: values, unit: unit)
        let (low, high) = (axis.low, axis.high)
        let widest = axis.labels.map(\.count).max() ?? 1
        let left = max(40, 16 + Chart.characterWidth * Double(widest))
        let plotWidth = size.width - left - Chart.right
        let plotHeight = size.height - Chart.top - Chart.bottom
        let span = Double(max(1, xRange.upperBound - xRange.lowerBound))
        func px(_ x: Int) -> Double {
            xRange.lowerBound == xRange.upperBound
                ? left + plotWidth / 2 : left + Double(x - xRange.lowerBound) / span * plotWidth
        }
        func py(_ value: Double) -> Double {
            Chart.top + Chart.depth(value, low: low, high: high) * plotHeight
        }
        func f(_ value: Double) -> String { Format.coordinate(value) }

        let name = HTML.escape(metric)
        var out = """
            <svg class="chart" viewBox="0 0 \(Int(size.width)) \(Int(size.height))" \
            role="img" aria-label="\(name) over commits"><title>\(name) over commits</title>
            """
        out.reserveCapacity(300 + points.count * 260)
        // Grid lines and y ticks at round values, then the axes over them.
        let bottomY = Chart.top + plotHeight
        for (value, label) in zip(axis.values, axis.labels) {
            let y = py(value)
            out +=
                "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\"/>"
            out +=
                "<text class=\"tick\" x=\"\(f(left - 6))\" y=\"\(f(y + 5))\" text-anchor=\"end\">\(HTML.escape(label))</text>"
        }
        out +=
            "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(Chart.top))\" x2=\"\(f(left))\" y2=\"\(f(bottomY))\"/>"
        out +=
            "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(bottomY))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(bottomY))\"/>"
        out +=
            "<text class=\"tick\" x=\"\(f(left))\" y=\"\(f(size.height - 8))\">\(HTML.escape(startLabel))</text>"
        out +=
            "<text class=\"tick\" x=\"\(f(left + plotWidth))\" y=\"\(f(size.height - 8))\" text-anchor=\"end\">\(HTML.escape(endLabel))</text>"
        let finite = points.filter { $0.value.isFinite }
        // Confidence intervals as a shaded band under the line: one shape per run of
        // consecutive points that have one, a short bar for a point alone.
        var run: [Point] = []
        func closeRun() {
            defer { run.removeAll() }
            guard let first = run.first else { return }
            let title = "<title>\(name): confidence interval of the gate</title>"
            if run.count == 1, let interval = first.interval {
                let top = py(interval.upperBound)
                out +=
                    "<rect class=\"band\" x=\"\(f(px(first.x) - 4))\" y=\"\(f(top))\" width=\"8\" height=\"\(f(max(1, py(interval.lowerBound) - top)))\">\(title)</rect>"
                return
            }
            let upper = run.compactMap { point in
                point.interval.map { "\(f(px(point.x))),\(f(py($0.upperBound)))" }
            }
            let lower = run.reversed().compactMap { point in
                point.interval.map { "\(f(px(point.x))),\(f(py($0.lowerBound)))" }
            }
            out +=
                "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\">\(title)</polygon>"
        }
        for point in finite {
            if point.interval == nil { closeRun() } else { run.append(point) }
        }
        closeRun()
        // Gate thresholds.
        for threshold in thresholds where threshold.value.isFinite {
            let y = py(threshold.value)
            let label = HTML.escape(threshold.label)
            out +=
                "<line class=\"gate\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\"><title>gate: \(label)</title></line>"
            out +=
                "<text class=\"gate-label\" x=\"\(f(left + plotWidth - 4))\" y=\"\(f(y - 5))\" text-anchor=\"end\">\(label)</text>"
        }
        // Releases.
        for marker in markers where xRange.contains(marker.x) {
            let x = px(marker.x)
            let label = HTML.escape(marker.label)
            out +=
                "<line class=\"\(marker.kind.rawValue)\" x1=\"\(f(x))\" y1=\"\(f(Chart.top))\" x2=\"\(f(x))\" y2=\"\(f(bottomY))\"><title>\(marker.kind == .release ? "release" : "deployed") \(label)</title></line>"
        }
        // The line, then the points on top.
        if finite.count > 1 {
            out += "<polyline class=\"series\" points=\""
            out += finite.map { "\(f(px($0.x))),\(f(py($0.value)))" }.joined(separator: " ")
            out += "\"/>"
        }
        for point in finite {
            let x = px(point.x)
            let y = py(point.value)
            var tip =
                "\(point.commit) \(point.date): \(metric) = \(ReadableNumber.value(point.value, unit: unit))"
            if let interval = point.interval {
                tip +=
                    " [\(ReadableNumber.value(interval.lowerBound, unit: unit)), \(ReadableNumber.value(interval.upperBound, unit: unit))]"
            }
            if point.failed { tip += " (failed)" }
            let escaped = HTML.escape(tip)
            out += "<a href=\"\(HTML.escape(point.href))\">"
            if point.failed {
                out +=
                    "<rect class=\"point fail\" x=\"\(f(x - 4))\" y=\"\(f(y - 4))\" width=\"8\" height=\"8\"><title>\(escaped)</title></rect>"
            } else {
                out +=
                    "<circle class=\"point\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\"><title>\(escaped)</title></circle>"
            }
            out += "</a>"
        }
        if finite.isEmpty {
            out +=
                "<text class=\"tick\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(Chart.top + plotHeight / 2))\" text-anchor=\"middle\">no values in this range</text>"
        }
        out += "</svg>"
        return out
    }
}
