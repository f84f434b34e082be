import Pipeline

/// Which metrics of a window of commits get a chart, and which a line of text.
///
/// A flat line says nothing a sentence cannot, and eight flat data-check charts push the
/// metrics that matter below the fold. So a data check (`missing.*`, `out_of_range.*`,
/// `drift.*`, from a stage's `checks:`) that has one value in every record of the window is
/// folded: at 0 into "data checks: all clear", else into "unchanged". Any other metric that is
/// not gated is folded into "unchanged" when at least two records give it the same value. A
/// gated metric is always charted, and so is anything that moved: once a folded series changes,
/// its chart is back, in the metrics' order.
struct SteadyMetrics {
    /// Name prefixes of the data checks' metrics (`DataCheckReport.metrics`).
    static let dataCheckPrefixes = ["missing.", "out_of_range.", "drift."]

    /// The metrics to chart, in the order given.
    var charted: [String] = []
    /// Data checks at 0 throughout.
    var clear: [String] = []
    /// Other metrics with one value throughout, and that value.
    var unchanged: [(name: String, value: Double)] = []

    /// Splits `metrics`, whose values over the window `series` gives (oldest first, commits
    /// without the metric left out); `gated` are always charted.
    init(_ metrics: [String], gated: Set<String>, series: (String) -> [Double]) {
        for name in metrics {
            let values = series(name)
            guard !gated.contains(name), let first = values.first, first.isFinite,
                values.allSatisfy({ $0 == first })
            else {
                charted.append(name)
                continue
            }
            let isCheck = Self.dataCheckPrefixes.contains { name.hasPrefix($0) }
            if isCheck && first == 0 {
                clear.append(name)
            } else if isCheck || values.count > 1 {
                unchanged.append((name, first))
            } else {
                charted.append(name)
            }
        }
    }

    /// The index page's `dataChecksClear` and `unchanged` sections; each name links to its
    /// chart page (`href`).
    func context(href: (String) -> String) -> [String: Any] {
        var context: [String: Any] = [:]
        if !clear.isEmpty {
            context["dataChecksClear"] = [
                "count": clear.count, "names": Self.list(clear),
                "checks": clear.map { ["name": $0, "href": href($0)] },
            ]
        }
        if !unchanged.isEmpty {
            context["unchanged"] = [
                "count": unchanged.count, "names": Self.list(unchanged.map(\.name)),
                "metrics": unchanged.map {
                    [
                        "name": $0.name, "href": href($0.name),
                        "value": Format.value($0.value, metric: $0.name),
                    ]
                },
            ]
        }
        return context
    }

    /// "a, b, c and 5 more": at most `limit` names.
    static func list(_ names: [String], limit: Int = 6) -> String {
        guard names.count > limit else { return names.joined(separator: ", ") }
        return names.prefix(limit).joined(separator: ", ") + " and \(names.count - limit) more"
    }
}
