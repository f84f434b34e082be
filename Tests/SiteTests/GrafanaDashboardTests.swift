import Foundation
import TestSupport
import Testing

@testable import Site

/// `grafana-dashboard.json`: valid JSON, a sound layout, and every query valid PromQL, checked
/// by `promtool check rules` (Prometheus's own parser, offline: each query becomes a recording rule).
@Suite struct GrafanaDashboardTests {
    static let servingMetrics = [
        "modelgate_requests_total", "modelgate_request_duration_seconds_bucket",
        "modelgate_feature_drift_psi",
        "modelgate_model_info", "modelgate_rows_predicted_total",
    ]

    func dashboard() throws -> [String: Any] {
        let fixture = try SiteBuildTests.hostileFixture()
        try fixture.build()
        let data = try Data(contentsOf: fixture.output.appendingPathComponent("grafana-dashboard.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Grafana's variables replaced by what they stand for at query time.
    static func promQL(_ expr: String) -> String {
        expr.replacingOccurrences(of: "$__rate_interval", with: "5m").replacingOccurrences(
            of: "$job", with: ".+")
    }

    /// `promtool check rules` over `exprs` (one recording rule each): its exit status and output.
    static func promtoolRules(_ exprs: [String], in directory: URL) throws -> (status: Int32, output: String)
    {
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expr) in exprs.enumerated() {
            // A single-quoted YAML scalar has no escapes: only ' is doubled.
            let quoted = "'" + expr.replacingOccurrences(of: "'", with: "''") + "'"
            yaml += "      - record: dashboard_query_\(index)\n        expr: \(quoted)\n"
        }
        let file = directory.appendingPathComponent("rules-\(UUID().uuidString).yml")
        try Data(yaml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try ProcessRunner.run("/usr/bin/promtool", ["check", "rules", file.path], in: directory)
        return (result.status, result.stdout + result.stderr)
    }

    @Test func servingPanelsQueryTheServerMetricsInValidPromQL() throws {
        let dashboard = try dashboard()
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let titles = panels.compactMap { $0["title"] as? String }
        for title in [
            "Serving", "Request rate by route", "Latency p50 / p99", "Error rate (4xx and 5xx share)",
            "Input drift per feature (PSI)", "Model served",
        ] {
            #expect(titles.contains(title), "\(titles)")
        }
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == panels.count && Set(ids).count == ids.count)
        for panel in panels {
            let grid = try #require(panel["gridPos"] as? [String: Int])
            #expect((grid["x"] ?? 99) + (grid["w"] ?? 99) <= 24)
        }
        let exprs = panels.flatMap {
            ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        let queries = exprs.joined(separator: "\n")
        for name in Self.servingMetrics { #expect(queries.contains(name), "\(name) is queried") }
        #expect(queries.contains("histogram_quantile(0.5,") && queries.contains("histogram_quantile(0.99,"))
        #expect(queries.contains(#"status=~"5..""#) && queries.contains(#"status=~"4..""#))

        let drift = try #require(panels.first { $0["title"] as? String == "Input drift per feature (PSI)" })
        let steps =
            ((drift["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["thresholds"]
            as? [String: Any]
        #expect((steps?["steps"] as? [[String: Any]])?.compactMap { $0["value"] as? Double } == [0.1, 0.25])
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]
        #expect(variables?.first?["name"] as? String == "job")
        #expect(
            (variables?.first?["definition"] as? String)?.contains(#"modelgate_model_info{model="housing"}"#)
                == true)

        // Every query parses as PromQL; the check itself refuses a broken one.
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
        let checked = try Self.promtoolRules(exprs.map(Self.promQL), in: directory)
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("SUCCESS: \(exprs.count) rules found"), "\(checked.output)")
        let broken = try Self.promtoolRules(["sum(rate(modelgate_requests_total[5m])"], in: directory)
        #expect(broken.status != 0)
    }
}
