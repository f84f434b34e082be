import Foundation

/// An inline SVG line chart of one metric over commits, drawn without JavaScript.
///
/// Every point carries a `<title>` (commit, date, value), so the browser shows it as a tooltip;
/// gate thresholds are horizontal lines, releases vertical ones, failed commits squares.
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

    static let width = 640.0
    static let height = 220.0
    static let left = 64.0
    static let right = 16.0
    static let top = 14.0
    static let bottom = 34.0

    /// The y axis' range for `values`: their extent padded by 8% (an equal set by 5% of its
    /// value, or 1 around 0), within the finite doubles, so any finite values (±1.7e308,
    /// 5e-324, -0.0) give a range with `low < high`.
    static func yRange(_ values: [Double]) -> (low: Double, high: Double) {
        let biggest = Double.greatestFiniteMagnitude
        var low = values.min() ?? 0
        var high = values.max() ?? 1
        if low == high {
            let pad = low == 0 ? 1 : max(abs(low) * 0.05, Double.leastNormalMagnitude)
            low = max(-biggest, low - pad)
            high = min(biggest, high + pad)
        } else {
            // The difference of two finite doubles can overflow; the difference of their 8% cannot.
            let difference = high - low
            let pad = difference.isFinite ? difference * 0.08 : high * 0.08 - low * 0.08
            low = max(-biggest, low - pad)
            high = min(biggest, high + pad)
        }
        return (low, high)
    }

    /// How far `value` sits below `high`, from 0 (at `high`) to 1 (at `low`), without overflow
    /// for any finite doubles.
    static func depth(_ value: Double, low: Double, high: Double) -> Double {
        guard high > low else { return 0.5 }
        let span = high - low
        let result = span.isFinite ? (high - value) / span : (high / 2 - value / 2) / (high / 2 - low / 2)
        return result.isFinite ? result : 0.5
    }

    /// The value `step` quarters of the way from `low` to `high`, without overflow.
    static func tick(_ step: Int, low: Double, high: Double) -> Double {
        let span = high - low
        let t = Double(step) / 4
        return span.isFinite ? low + span * Double(step) / 4 : low * (1 - t) + high * t
    }

    /// The `<svg>` element.
    func svg() -> String {
        let plotWidth = Chart.width - Chart.left - Chart.right
        let plotHeight = Chart.height - Chart.top - Chart.bottom
        var values = points.map(\.value).filter(\.isFinite)
        values += thresholds.map(\.value).filter(\.isFinite)
        let (low, high) = Chart.yRange(values)
        let span = Double(max(1, xRange.upperBound - xRange.lowerBound))
        func px(_ x: Int) -> Double {
            xRange.lowerBound == xRange.upperBound
                ? Chart.left + plotWidth / 2 : Chart.left + Double(x - xRange.lowerBound) / span * plotWidth
        }
        func py(_ value: Double) -> Double {
            Chart.top + Chart.depth(value, low: low, high: high) * plotHeight
        }
        func f(_ value: Double) -> String { Format.coordinate(value) }

        let name = HTML.escape(metric)
        var out = """
            <svg class="chart" viewBox="0 0 \(Int(Chart.width)) \(Int(Chart.height))" \
            role="img" aria-label="\(name) over commits"><title>\(name) over commits</title>
            """
        out.reserveCapacity(300 + points.count * 260)
        // Axes and y ticks.
        let bottomY = Chart.top + plotHeight
        out +=
            "<line class=\"axis\" x1=\"\(f(Chart.left))\" y1=\"\(f(Chart.top))\" x2=\"\(f(Chart.left))\" y2=\"\(f(bottomY))\"/>"
        out +=
            "<line class=\"axis\" x1=\"\(f(Chart.left))\" y1=\"\(f(bottomY))\" x2=\"\(f(Chart.left + plotWidth))\" y2=\"\(f(bottomY))\"/>"
        for step in 0...4 {
            let value = Chart.tick(step, low: low, high: high)
            let y = py(value)
            out +=
                "<line class=\"grid\" x1=\"\(f(Chart.left))\" y1=\"\(f(y))\" x2=\"\(f(Chart.left + plotWidth))\" y2=\"\(f(y))\"/>"
            out +=
                "<text class=\"tick\" x=\"\(f(Chart.left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(HTML.escape(Format.number(value)))</text>"
        }
        out +=
            "<text class=\"tick\" x=\"\(f(Chart.left))\" y=\"\(f(Chart.height - 8))\">\(HTML.escape(startLabel))</text>"
        out +=
            "<text class=\"tick\" x=\"\(f(Chart.left + plotWidth))\" y=\"\(f(Chart.height - 8))\" text-anchor=\"end\">\(HTML.escape(endLabel))</text>"
        // Gate thresholds.
        for threshold in thresholds where threshold.value.isFinite {
            let y = py(threshold.value)
            let label = HTML.escape(threshold.label)
            out +=
                "<line class=\"gate\" x1=\"\(f(Chart.left))\" y1=\"\(f(y))\" x2=\"\(f(Chart.left + plotWidth))\" y2=\"\(f(y))\"><title>gate: \(label)</title></line>"
            out +=
                "<text class=\"gate-label\" x=\"\(f(Chart.left + plotWidth - 4))\" y=\"\(f(y - 4))\" text-anchor=\"end\">\(label)</text>"
        }
        // Releases.
        for marker in markers where xRange.contains(marker.x) {
            let x = px(marker.x)
            let label = HTML.escape(marker.label)
            out +=
                "<line class=\"\(marker.kind.rawValue)\" x1=\"\(f(x))\" y1=\"\(f(Chart.top))\" x2=\"\(f(x))\" y2=\"\(f(bottomY))\"><title>\(marker.kind == .release ? "release" : "deployed") \(label)</title></line>"
        }
        // The line, then the points on top.
        let finite = points.filter { $0.value.isFinite }
        if finite.count > 1 {
            out += "<polyline class=\"series\" points=\""
            out += finite.map { "\(f(px($0.x))),\(f(py($0.value)))" }.joined(separator: " ")
            out += "\"/>"
        }
        for point in finite {
            let x = px(point.x)
            let y = py(point.value)
            let tip = HTML.escape(
                "\(point.commit) \(point.date): \(metric) = \(Format.number(point.value))\(point.failed ? " (failed)" : "")"
            )
            out += "<a href=\"\(HTML.escape(point.href))\">"
            if point.failed {
                out +=
                    "<rect class=\"point fail\" x=\"\(f(x - 4))\" y=\"\(f(y - 4))\" width=\"8\" height=\"8\"><title>\(tip)</title></rect>"
            } else {
                out +=
                    "<circle class=\"point\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3\"><title>\(tip)</title></circle>"
            }
            out += "</a>"
        }
        if finite.isEmpty {
            out +=
                "<text class=\"tick\" x=\"\(f(Chart.left + plotWidth / 2))\" y=\"\(f(Chart.top + plotHeight / 2))\" text-anchor=\"middle\">no values in this range</text>"
        }
        out += "</svg>"
        return out
    }
}
