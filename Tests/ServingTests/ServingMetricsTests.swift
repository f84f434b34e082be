import Foundation
import TestSupport
import Testing

/// `/metrics`: valid for promtool, scraped by a real Prometheus, and drift per feature.
@Suite struct ServingMetricsTests {
    /// promtool accepts the exposition, and a Prometheus server on loopback scrapes it: its HTTP
    /// API returns the request counter with the route label.
    @Test func prometheusScrapesTheServer() throws {
        let fixture = try ServingFixture(.logistic)
        let server = try fixture.serve()
        let reply = try TestConnection.request(
            "POST", "/v1/models/served:predict", body: "{\"instances\":[[1,2],[3,4]]}", port: server.port)
        #expect(reply.status == 200)
        _ = try TestConnection.request("GET", "/nowhere", port: server.port)
        let exposition = try TestConnection.request("GET", "/metrics", port: server.port)
        #expect(exposition.status == 200)
        let head = try fixture.repo.git(["rev-parse", "HEAD"])
        #expect(exposition.body.contains("modelgate_model_info{model=\"served\",commit=\"\(head)\""))
        #expect(exposition.body.contains("modelgate_rows_predicted_total 2"))
        let check = try ProcessRunner.run(
            "/usr/bin/promtool", ["check", "metrics"], in: fixture.repo.url, input: exposition.body)
        #expect(check.status == 0, "\(check.output)")

        let directory = try TemporaryDirectory()
        let port = try freePort()
        try """
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: modelgate
            static_configs:
              - targets: ["127.0.0.1:\(server.port)"]

        """.write(to: directory.appending("prometheus.yml"), atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = [
            "--config.file=\(directory.appending("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appending("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
        }
        // Poll the query API (at most two minutes): the first scrape comes within a second or so.
        var found: String?
        for _ in 0..<240 where found == nil {
            if let answer = try? TestConnection.request(
                "GET", "/api/v1/query?query=modelgate_requests_total", port: port),
                answer.status == 200, answer.body.contains("v1/models/{name}:predict")
            {
                found = answer.body
            } else {
                usleep(500_000)
            }
        }
        let answer = try #require(found)
        #expect(answer.contains("\"route\":\"/v1/models/{name}:predict\""))
        #expect(answer.contains("\"status\":\"200\""))
        #expect(answer.contains("\"job\":\"modelgate\""))
    }

    /// Rows whose `a` is shifted far from the training data drive that feature's PSI over 0.25;
    /// `b`, drawn as in training, stays small.
    @Test func driftRisesForTheShiftedFeatureOnly() throws {
        let fixture = try ServingFixture(.linear)
        let server = try fixture.serve()
        let before = try Self.psi(port: server.port)
        #expect(before == ["a": 0, "b": 0])
        let shifted = ServingFixture.csv(.linear, rows: 600, seed: 1234, shift: 100).split(separator: "\n")
            .dropFirst().map { line in
                let fields = line.split(separator: ",")
                return "[\(fields[0]),\(fields[1])]"
            }
        let reply = try TestConnection.request(
            "POST", "/v1/models/served:predict", body: "{\"instances\":[\(shifted.joined(separator: ","))]}",
            port: server.port)
        #expect(reply.status == 200)
        let after = try Self.psi(port: server.port)
        #expect((after["a"] ?? 0) > 0.25, "\(after)")
        #expect((after["b"] ?? 1) < 0.1, "\(after)")
    }

    /// `modelgate_feature_drift_psi{feature=…}` values from `/metrics`.
    static func psi(port: Int) throws -> [String: Double] {
        let body = try TestConnection.request("GET", "/metrics", port: port).body
        var values: [String: Double] = [:]
        for line in body.split(separator: "\n") where line.hasPrefix("modelgate_feature_drift_psi{feature=\"")
        {
            let parts = line.dropFirst("modelgate_feature_drift_psi{feature=\"".count).split(separator: "\"")
            guard let name = parts.first, let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            values[String(name)] = value
        }
        return values
    }
}
