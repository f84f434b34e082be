import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `metrics.prom`: the branch's latest verdict and metrics, and its releases, in Prometheus' text
/// exposition format (e.g. for node_exporter's textfile collector).
///
/// One gauge family per metric (`modelgate_metric_<name>`), labelled with `model`, `branch`,
/// `commit` and the metric's original `name`.
struct PrometheusExport {
    let builder: SiteBuilder

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, lowercased snake case (promtool's lint rejects camelCase).
    static func sanitize(_ name: String) -> String {
        var out = ""
        var lastUnderscore = false
        for scalar in name.unicodeScalars {
            let isAlnum = (scalar.value < 128) && (CharacterSet.alphanumerics.contains(scalar))
            if isAlnum {
                out += String(scalar).lowercased()
                lastUnderscore = false
            } else if !lastUnderscore {
                out += "_"
                lastUnderscore = true
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        while out.hasPrefix("_") { out.removeFirst() }
        return out.isEmpty ? "unnamed" : lintClean(out)
    }

    /// Unit words promtool's linter rejects as tokens of a name (abbreviated or non-base units).
    static let lintedUnits: Set<String> = [
        "s", "ms", "us", "ns", "sec", "secs", "min", "mins", "h", "hr", "hrs", "d", "m", "b", "kb", "mb",
        "gb", "tb", "pb",
        "milliseconds", "microseconds", "nanoseconds", "minutes", "hours", "days", "weeks", "bits",
        "kilobytes",
        "megabytes", "gigabytes", "terabytes", "petabytes",
    ]
    /// Suffixes reserved for counters, histograms and summaries.
    static let reservedSuffixes: Set<String> = ["total", "count", "sum", "bucket"]

    /// Glues unit tokens to their neighbour (`latency_ms` → `latencyms`) and moves reserved
    /// suffixes out of the last place (`rows_count` → `rows_count_value`), so that
    /// `promtool check metrics` passes; the metric's own name stays in the `name` label.
    static func lintClean(_ name: String) -> String {
        var tokens: [String] = []
        for token in name.split(separator: "_").map(String.init) {
            if lintedUnits.contains(token) {
                if tokens.isEmpty { tokens.append(token + "x") } else { tokens[tokens.count - 1] += token }
            } else {
                tokens.append(token)
            }
        }
        if let last = tokens.last, reservedSuffixes.contains(last) { tokens.append("value") }
        return tokens.joined(separator: "_")
    }

    /// Escapes a label value: backslash, double quote and newline.
    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Escapes HELP text: backslash and newline.
    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func value(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number > 0 ? "+Inf" : "-Inf" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// The family name of each metric, unique even when two names sanitise alike.
    func familyNames() -> [(metric: String, family: String)] {
        var used = Set<String>()
        return builder.metrics.sorted().map { metric in
            let base = "modelgate_metric_" + Self.sanitize(metric)
            var family = base
            var counter = 2
            while used.contains(family) {
                family = "\(base)_\(counter)"
                counter += 1
            }
            used.insert(family)
            return (metric, family)
        }
    }

    func text() -> String {
        let history = builder.history
        var out = ""
        let model = history.model
        let branch = history.branch
        if let index = builder.newestEvaluated, let record = builder.entries[index].record {
            let entry = builder.entries[index]
            let base = [("model", model), ("branch", branch), ("commit", entry.commit.id.hex)]
            out +=
                "# HELP modelgate_verdict Verdict of the newest evaluated commit of the branch: 1 on the line of its verdict.\n"
            out += "# TYPE modelgate_verdict gauge\n"
            for verdict in ["pass", "fail", "error"] {
                out +=
                    "modelgate_verdict\(Self.labels(base + [("verdict", verdict)])) \(record.verdict.rawValue == verdict ? 1 : 0)\n"
            }
            out +=
                "# HELP modelgate_evaluation_timestamp_seconds When the newest evaluated commit's run started (Unix time).\n"
            out += "# TYPE modelgate_evaluation_timestamp_seconds gauge\n"
            out +=
                "modelgate_evaluation_timestamp_seconds\(Self.labels(base)) \(Self.value(record.started.timeIntervalSince1970.rounded()))\n"
            out +=
                "# HELP modelgate_gate_passed Gates of the newest evaluated commit: 1 passed, 0 failed (unjudged gates are left out).\n"
            out += "# TYPE modelgate_gate_passed gauge\n"
            var seenGates = Set<String>()
            for gate in record.gates {
                guard let passed = gate.passed,
                    seenGates.insert("\(gate.metric)|\(gate.kind.rawValue)").inserted
                else { continue }
                out +=
                    "modelgate_gate_passed\(Self.labels(base + [("metric", gate.metric), ("kind", gate.kind.rawValue)])) \(passed ? 1 : 0)\n"
            }
            for (metric, family) in familyNames() {
                guard let value = record.metrics[metric] else { continue }
                out +=
                    "# HELP \(family) Metric '\(Self.escapeHelp(metric))' of the newest evaluated commit.\n"
                out += "# TYPE \(family) gauge\n"
                out += "\(family)\(Self.labels(base + [("name", metric)])) \(Self.value(value))\n"
            }
        }
        let latest = builder.latestReleasePerEnvironment()
        if !latest.isEmpty {
            out +=
                "# HELP modelgate_release_info The latest release per environment (always 1; the labels carry the facts).\n"
            out += "# TYPE modelgate_release_info gauge\n"
            for release in latest {
                out +=
                    "modelgate_release_info\(Self.labels(releaseLabels(release, model: model) + [("artifact", release.artifact ?? "")])) 1\n"
            }
            out +=
                "# HELP modelgate_release_timestamp_seconds When the latest release per environment was tagged (Unix time).\n"
            out += "# TYPE modelgate_release_timestamp_seconds gauge\n"
            for release in latest {
                out +=
                    "modelgate_release_timestamp_seconds\(Self.labels(releaseLabels(release, model: model))) \(Self.value(release.date.timeIntervalSince1970.rounded()))\n"
            }
        }
        return out
    }

    func releaseLabels(_ release: Release, model: String) -> [(String, String)] {
        [
            ("model", model), ("environment", release.environment ?? "none"), ("tag", release.tag),
            ("commit", release.commit.hex),
        ]
    }
}

/// `grafana-dashboard.json`: a dashboard (import it in Grafana) charting `metrics.prom`'s series,
/// and in a "Serving" row the series `modelgate-serve` writes on `/metrics` (`servingPanels`).
struct GrafanaDashboard {
    let builder: SiteBuilder

    func json() -> Data {
        let model = builder.history.model
        let selector = "model=\"\(PrometheusExport.escapeLabel(model))\""
        var panels: [[String: Any]] = []
        var y = 0
        panels.append(
            panel(
                id: 1, title: "Verdict", type: "stat", x: 0, y: y, width: 8,
                expr: "modelgate_verdict{\(selector),verdict=\"pass\"}", legend: "{{branch}} {{commit}}"))
        panels.append(
            panel(
                id: 2, title: "Gates passed", type: "stat", x: 8, y: y, width: 8,
                expr: "modelgate_gate_passed{\(selector)}", legend: "{{metric}} {{kind}}"))
        panels.append(
            panel(
                id: 3, title: "Latest releases", type: "table", x: 16, y: y, width: 8,
                expr: "modelgate_release_info{\(selector)}", legend: "{{environment}} {{tag}}"))
        y += 8
        let charted = Set(builder.chartedMetrics)
        for (offset, item) in PrometheusExport(builder: builder).familyNames().filter({
            charted.contains($0.metric)
        })
        .enumerated() {
            panels.append(
                panel(
                    id: 10 + offset, title: item.metric, type: "timeseries", x: (offset % 2) * 12,
                    y: y + (offset / 2) * 8,
                    width: 12, expr: "\(item.family){\(selector)}", legend: "{{branch}}"))
        }
        let metricRows = (panels.count - 3 + 1) / 2
        panels += servingPanels(y: y + metricRows * 8, model: model)
        var dashboard: [String: Any] = [
            "__inputs": [
                [
                    "name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                    "pluginId": "prometheus",
                    "pluginName": "Prometheus",
                ]
            ],
            "title": "modelgate: \(model)", "uid": "modelgate-" + String(SHA256Hex.of(model).prefix(12)),
            "tags": ["modelgate"], "timezone": "utc", "schemaVersion": 39, "version": 1, "editable": true,
            "time": ["from": "now-30d", "to": "now"], "refresh": "5m", "panels": panels,
            "templating": ["list": [jobVariable(model: model)]],
            "description": "Generated by \(Tool.name) \(Tool.version) from branch \(builder.history.branch).",
        ]
        if let base = builder.options.baseURL {
            dashboard["links"] = [["title": "Model site", "type": "link", "url": base, "targetBlank": true]]
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: dashboard, options: [.prettyPrinted, .sortedKeys]))
            ?? Data("{}".utf8)
        return data + Data("\n".utf8)
    }

    func panel(id: Int, title: String, type: String, x: Int, y: Int, width: Int, expr: String, legend: String)
        -> [String: Any]
    {
        panel(id: id, title: title, type: type, x: x, y: y, width: width, targets: [(expr, legend)])
    }

    /// A panel with several queries (refId A, B, …).
    func panel(id: Int, title: String, type: String, x: Int, y: Int, width: Int, targets: [(String, String)])
        -> [String: Any]
    {
        let refIDs = "ABCDEFGH".map(String.init)
        return [
            "id": id, "title": title, "type": type,
            "datasource": ["type": "prometheus", "uid": "${DS_PROMETHEUS}"],
            "gridPos": ["x": x, "y": y, "w": width, "h": 8],
            "targets": targets.enumerated().map { index, target in
                ["refId": refIDs[index % refIDs.count], "expr": target.0, "legendFormat": target.1]
            },
        ]
    }

    // MARK: - Serving

    /// The serving series (`modelgate-serve`'s `/metrics`) carry no model label except
    /// `modelgate_model_info`; the `job` variable picks the scrape jobs serving this model.
    static let servingSelector = "job=~\"$job\""

    /// `$job`: the Prometheus jobs whose `modelgate_model_info` names this model (all selected).
    func jobVariable(model: String) -> [String: Any] {
        let query =
            "label_values(modelgate_model_info{model=\"\(PrometheusExport.escapeLabel(model))\"}, job)"
        return [
            "name": "job", "label": "Serving job", "type": "query",
            "datasource": ["type": "prometheus", "uid": "${DS_PROMETHEUS}"],
            "query": ["query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"],
            "definition": query, "refresh": 2, "includeAll": true, "multi": true, "allValue": ".+",
            "current": ["selected": true, "text": ["All"], "value": ["$__all"]],
        ]
    }

    /// The serving row: request rate by route, p50/p99 latency, error share, input drift per
    /// feature (thresholds 0.1 and 0.25, the usual PSI levels for "watch" and "act"), the model
    /// served and rows predicted, over the metric names `modelgate-serve` writes.
    func servingPanels(y: Int, model: String) -> [[String: Any]] {
        let job = Self.servingSelector
        let interval = "$__rate_interval"
        var panels: [[String: Any]] = [
            [
                "id": 100, "type": "row", "title": "Serving", "collapsed": false,
                "gridPos": ["x": 0, "y": y, "w": 24, "h": 1], "panels": [] as [Any],
            ]
        ]
        var rate = panel(
            id: 101, title: "Request rate by route", type: "timeseries", x: 0, y: y + 1, width: 12,
            expr: "sum by (route) (rate(modelgate_requests_total{\(job)}[\(interval)]))", legend: "{{route}}")
        rate["fieldConfig"] = ["defaults": ["unit": "reqps"], "overrides": [] as [Any]]
        panels.append(rate)
        var latency = panel(
            id: 102, title: "Latency p50 / p99", type: "timeseries", x: 12, y: y + 1, width: 12,
            targets: [0.5, 0.99].map { quantile in
                (
                    "histogram_quantile(\(quantile), sum by (le, route) (rate(modelgate_request_duration_seconds_bucket{\(job)}[\(interval)])))",
                    "p\(Int(quantile * 100)) {{route}}"
                )
            })
        latency["fieldConfig"] = ["defaults": ["unit": "s"], "overrides": [] as [Any]]
        panels.append(latency)
        var errors = panel(
            id: 103, title: "Error rate (4xx and 5xx share)", type: "timeseries", x: 0, y: y + 9, width: 12,
            targets: [
                (
                    "sum by (route) (rate(modelgate_requests_total{\(job),status=~\"4..\"}[\(interval)])) / sum by (route) (rate(modelgate_requests_total{\(job)}[\(interval)]))",
                    "4xx {{route}}"
                ),
                (
                    "sum by (route) (rate(modelgate_requests_total{\(job),status=~\"5..\"}[\(interval)])) / sum by (route) (rate(modelgate_requests_total{\(job)}[\(interval)]))",
                    "5xx {{route}}"
                ),
            ])
        errors["fieldConfig"] = ["defaults": ["unit": "percentunit", "min": 0], "overrides": [] as [Any]]
        panels.append(errors)
        var drift = panel(
            id: 104, title: "Input drift per feature (PSI)", type: "timeseries", x: 12, y: y + 9, width: 12,
            expr: "max by (feature) (modelgate_feature_drift_psi{\(job)})", legend: "{{feature}}")
        drift["fieldConfig"] = [
            "defaults": [
                "min": 0,
                "thresholds": [
                    "mode": "absolute",
                    "steps": [
                        ["color": "green", "value": NSNull()], ["color": "orange", "value": 0.1],
                        ["color": "red", "value": 0.25],
                    ],
                ],
                "custom": ["thresholdsStyle": ["mode": "line+area"]],
            ],
            "overrides": [] as [Any],
        ]
        drift["description"] =
            "Population stability index of each input feature against the training data's distribution: under 0.1 stable, 0.1–0.25 worth watching, over 0.25 a shift to act on."
        panels.append(drift)
        var info = panel(
            id: 105, title: "Model served", type: "table", x: 0, y: y + 17, width: 16,
            expr:
                "max by (job, instance, model, commit, version, artifact) (modelgate_model_info{\(job),model=\"\(PrometheusExport.escapeLabel(model))\"})",
            legend: "{{model}} {{commit}}")
        if var targets = info["targets"] as? [[String: Any]] {
            targets[0]["format"] = "table"
            targets[0]["instant"] = true
            info["targets"] = targets
        }
        panels.append(info)
        var rows = panel(
            id: 106, title: "Rows predicted", type: "stat", x: 16, y: y + 17, width: 8,
            expr: "sum(rate(modelgate_rows_predicted_total{\(job)}[\(interval)]))", legend: "rows/s")
        rows["fieldConfig"] = ["defaults": ["unit": "rowsps"], "overrides": [] as [Any]]
        panels.append(rows)
        return panels
    }
}
