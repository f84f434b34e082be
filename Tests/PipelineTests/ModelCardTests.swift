import Foundation
import GitKit
import Testing
import Yams

@testable import Pipeline

/// The model card's front matter is YAML with the `model-index` structure Hugging Face
/// documents, and its body cannot be bent by record strings.
@Suite struct ModelCardTests {
    static func record(metrics: [String: Double] = ["accuracy": 0.91, "f1": 0.88]) -> RunRecord {
        var gate = GateResult(
            metric: "accuracy", kind: .min, limit: 0.85, relative: false, value: metrics["accuracy"],
            baseline: 0.9, passed: true, status: .pass)
        gate.confidence = 0.95
        gate.interval = [0.87, 0.94]
        gate.outcome = "pass"
        return RunRecord(
            commit: String(repeating: "1", count: 40), tree: String(repeating: "2", count: 40),
            fingerprint: String(repeating: "a", count: 64), verdict: .pass, metrics: metrics, gates: [gate],
            stages: [], artifact: "sha256:" + String(repeating: "d", count: 64), tool: "modelgate 0.1.0",
            started: Date(timeIntervalSince1970: 1_767_225_600), durationMilliseconds: 40, baseline: nil,
            source: "rev",
            inputs: [
                "data/train.csv": String(repeating: "3", count: 40),
                "data/test.csv": String(repeating: "4", count: 40),
                "train.py": String(repeating: "5", count: 40),
            ],
            error: nil)
    }

    static func card(
        _ record: RunRecord = record(), authored: String? = "# Churn\n\n## Intended use\n\nRanking.\n"
    ) -> ModelCard {
        ModelCard(
            model: "churn", release: .init(tag: "churn@v1.2.0", version: "v1.2.0", environment: "production"),
            commit: ObjectID(hex: String(repeating: "1", count: 40))!, record: record,
            signer: "ci@example.com, verified", authored: authored)
    }

    @Test func frontMatterIsHuggingFaceModelIndex() throws {
        let text = try Self.card().render()
        #expect(text.hasPrefix("---\n"))
        let parts = text.components(separatedBy: "\n---\n")
        let yaml = try #require(try Yams.load(yaml: String(parts[0].dropFirst(4))) as? [String: Any])
        #expect(yaml["library_name"] as? String == "modelgate")
        #expect(yaml["tags"] as? [String] == ["modelgate", "tabular-classification", "production"])
        let index = try #require(yaml["model-index"] as? [[String: Any]])
        #expect(index.count == 1)
        #expect(index[0]["name"] as? String == "churn")
        let results = try #require(index[0]["results"] as? [[String: Any]])
        let result = try #require(results.first)
        let task = try #require(result["task"] as? [String: Any])
        #expect(task["type"] as? String == "tabular-classification")
        let dataset = try #require(result["dataset"] as? [String: Any])
        #expect(dataset["type"] as? String == "data/test.csv")
        #expect(dataset["name"] as? String == "data/test.csv")
        let metrics = try #require(result["metrics"] as? [[String: Any]])
        #expect(metrics.map { $0["type"] as? String } == ["accuracy", "f1"])
        #expect(metrics.map { $0["value"] as? Double } == [0.91, 0.88])
        #expect(metrics.allSatisfy { $0["verified"] as? Bool == false })
    }

    @Test func bodyHasAuthoredTextMetricsWithIntervalsGatesDataAndLineage() throws {
        let body = Self.card().body()
        #expect(body.hasPrefix("# churn v1\\.2\\.0\n\n# Churn\n\n## Intended use\n\nRanking.\n"))
        #expect(body.contains("| accuracy | 0.91 | [0.87, 0.94] at 95 % |"))
        #expect(body.contains("| f1 | 0.88 |  |"))
        #expect(body.contains("| accuracy | \\>\\= 0\\.85 | 0.91 | 0.9 | pass |"))
        #expect(body.contains("| data\\/train\\.csv | `3333333333333333333333333333333333333333` |"))
        #expect(!body.contains("train.py"))
        #expect(body.contains("- commit: `1111111111111111111111111111111111111111`"))
        #expect(body.contains("- artifact: `sha256:dddddddd"))
        #expect(body.contains("- signed by: ci\\@example\\.com\\, verified"))
        #expect(body.contains("- release: `churn@v1.2.0` to production"))
    }

    @Test func withoutAModelCardFileTheBodySaysHowToAddOne() {
        #expect(Self.card(authored: nil).body().contains("This repository has no `MODEL_CARD.md`"))
        let own = Self.card(authored: "---\nlicense: mit\n---\nOur words.\n").body()
        #expect(own.contains("\n\nOur words.\n"))
        #expect(!own.contains("license: mit"))
    }

    @Test func hostileMetricNamesStayInertInYAMLAndMarkdown() throws {
        let evil = "x\n---\nlibrary_name: evil\n<script>alert(1)</script> | `y`"
        let card = Self.card(Self.record(metrics: [evil: 1, "r2": .nan, "rmse": 2]))
        let yaml = try #require(try Yams.load(yaml: try card.frontMatter()) as? [String: Any])
        #expect(yaml["library_name"] as? String == "modelgate")
        let index = try #require(yaml["model-index"] as? [[String: Any]])
        let metrics = try #require(
            (index[0]["results"] as? [[String: Any]])?.first?["metrics"] as? [[String: Any]])
        #expect(metrics.compactMap { $0["type"] as? String }.sorted() == ["rmse", evil].sorted())
        let body = card.body()
        #expect(!body.contains("<script>"))
        #expect(!body.contains("\n---\n"))
        #expect(body.contains("\\<script\\>"))
    }
}
