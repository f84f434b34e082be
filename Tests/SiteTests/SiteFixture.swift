import Foundation
import GitKit
import TestSupport

@testable import Site

/// A repository with run records written straight into `refs/notes/modelgate`, plus helpers to
/// build its site into a temporary folder and read the result.
final class SiteFixture {
    let repo: TemporaryRepository
    let output: URL
    private(set) var commits: [String] = []

    /// What hostile authors write; none of it may end up active in a page.
    static let script = "<script>alert(1)</script>"
    static let evilMetric = "<img src=x onerror=alert(1)>"
    static let evilStage = "train<script>alert(2)<img src=x onerror=alert(2)>"
    static let evilReport = """
        # Run report

        Accuracy went **up**.

        <script>alert(3)</script>
        <div onerror="alert(4)">raw html</div>
        <img src="x" onerror="alert(5)">

        [click me](javascript:alert(6)) and [remote](https://evil.example/x.js)

        | metric | value |
        |---|---|
        | r2 | 0.93 |

        """

    init() throws {
        repo = try TemporaryRepository()
        output = repo.directory.appending("site")
        try repo.commit(
            files: [
                "modelgate.yml":
                    "version: 1\nname: housing\nstages:\n  - name: train\n    cmd: sh train.sh\n    metrics: metrics.json\ngates:\n  - {metric: r2, min: 0.9}\n",
                "train.sh": "true\n", "data/train.csv": "x,y\n1,2\n",
            ], message: "initial model")
        commits.append(try repo.git(["rev-parse", "HEAD"]))
    }

    /// Makes a commit (changing `files`) and, unless `record` is false, a record with `r2`.
    @discardableResult
    func commit(
        author: String? = nil, _ message: String, files: [String: String] = [:], r2: Double = 0.91,
        verdict: String = "pass",
        extraMetrics: [String: Double] = [:], record: Bool = true, artifact: String? = nil,
        stage: String = "train"
    ) throws -> String {
        let id: String
        if let author {
            try repo.write(files)
            if !files.isEmpty { try repo.git(["add", "--"] + files.keys.sorted()) }
            try repo.git(
                ["commit", "-q", "--allow-empty", "-m", message], environment: ["GIT_AUTHOR_NAME": author])
            id = try repo.git(["rev-parse", "HEAD"])
        } else {
            id = try repo.commit(files: files, message: message)
        }
        commits.append(id)
        if record {
            try writeRecord(
                on: id, r2: r2, verdict: verdict, extraMetrics: extraMetrics, artifact: artifact, stage: stage
            )
        }
        return id
    }

    /// Writes a record note on `id` (commit id hex).
    func writeRecord(
        on id: String, r2: Double, verdict: String = "pass", extraMetrics: [String: Double] = [:],
        artifact: String? = nil,
        stage: String = "train", interval: [Double]? = nil
    ) throws {
        var metrics = extraMetrics
        metrics["r2"] = r2
        metrics["rmse"] = 2.5 - r2
        let parent = try? repo.git(["rev-parse", "\(id)^"])
        var gate: [String: Any] = [
            "metric": "r2", "kind": "min", "limit": 0.9, "relative": false, "value": r2,
            "passed": verdict == "pass",
            "status": verdict == "pass" ? "pass" : "fail",
        ]
        if let interval {
            gate["confidence"] = 0.95
            gate["interval"] = interval
            gate["outcome"] = verdict == "pass" ? "pass" : "fail"
        }
        let record: [String: Any] = [
            "schema": 1, "commit": id, "fingerprint": String(repeating: "a", count: 64), "verdict": verdict,
            "metrics": metrics,
            "gates": [gate],
            "stages": [
                [
                    "name": stage, "status": "pass", "duration_ms": 1234, "cached": false, "fingerprint": "b",
                    "metrics": metrics,
                ],
                [
                    "name": "evaluate", "status": "pass", "duration_ms": 0, "cached": true,
                    "fingerprint": "c", "metrics": [:],
                ],
            ],
            "artifact": artifact as Any, "tool": "modelgate 0.1.0", "started": "2026-01-01T00:00:00Z",
            "duration_ms": 1500,
            "baseline": [
                "policy": "ancestor", "commit": parent as Any,
                "comparison": "recorded metrics of the baseline run",
            ],
            "source": "rev", "inputs": ["data/train.csv": String(repeating: "0", count: 40)],
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        try repo.open().setNote(
            String(decoding: data, as: UTF8.self), on: ObjectID(hex: id)!, ref: "refs/notes/modelgate")
    }

    /// An annotated tag with release trailers on `id`.
    func release(_ name: String, on id: String, environment: String?, artifact: String? = nil) throws {
        var message = "release \(name)\n\n"
        var trailers: [String] = []
        if let artifact { trailers.append("Modelgate-Artifact: \(artifact)") }
        if let environment { trailers.append("Modelgate-Environment: \(environment)") }
        trailers.append(#"Modelgate-Metrics: {"r2":0.93}"#)
        message += trailers.joined(separator: "\n") + "\n"
        try repo.git(["tag", "-a", name, id, "-m", message])
    }

    /// Builds the site with `options` (layout shrunk by the caller when paging is tested).
    @discardableResult
    func build(_ options: SiteOptions = SiteOptions()) throws -> SiteSummary {
        try Site.build(from: try repo.open(), into: output, options: options)
    }

    /// Builds into another folder from scratch and returns its files.
    static func build(_ fixture: SiteFixture, into folder: URL, _ options: SiteOptions) throws -> [String:
        Data]
    {
        _ = try Site.build(from: try fixture.repo.open(), into: folder, options: options)
        return try files(in: folder)
    }

    /// Every file of the site, relative path → bytes (the manifest and caches excluded).
    func files() throws -> [String: Data] { try Self.files(in: output) }

    static func files(in output: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let base = output.resolvingSymlinksInPath().path
        guard
            let enumerator = FileManager.default.enumerator(
                at: output, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [:] }
        for case let url as URL in enumerator {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else {
                continue
            }
            let path = String(url.resolvingSymlinksInPath().path.dropFirst(base.count + 1))
            if path.hasPrefix(".modelgate") { continue }
            result[path] = try Data(contentsOf: url)
        }
        return result
    }

    /// What lies beside the output folder that belongs to its builds (`.site.…`: work folders,
    /// a site set aside).
    func besideOutput() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(output.lastPathComponent).") }
    }

    func text(_ path: String) throws -> String {
        try String(contentsOf: output.appendingPathComponent(path), encoding: .utf8)
    }
}
