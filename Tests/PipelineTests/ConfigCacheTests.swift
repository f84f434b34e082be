import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

/// The config cache returns what the loader returns, and only ever trusts its own entries.
@Suite struct ConfigCacheTests {
    /// Every kind of stage and every top-level key, so each part of a config goes through JSON.
    static let everything = Data(
        """
        version: 1
        name: cached
        stages:
          - {name: check, builtin: validate, data: d.csv, columns: [a, y], types: {a: number}, ranges: {a: [0, 1]}, min_rows: 10, drift: true}
          - {name: train, builtin: logistic-regression, data: d.csv, target: y, test: t.csv, C: 0.5, max_iter: 200, fit_intercept: false, missing: drop-row}
          - {name: small, builtin: optimize, dtype: int8, max_change: 0.02}
          - name: score
            cmd: ./score.sh
            deps: [d.csv, "data/*.csv"]
            params: params.yaml
            metrics: scores.json
            timeout: 90s
            env: {SEED: "7"}
            predictions: predictions.csv
            runs_on: ci
        gates:
          - {metric: accuracy, min: 0.8, confidence: 0.95}
          - {metric: loss, max_rise: 0.1, relative: true}
        baseline: branch:main
        hooks: {pre-commit: validate, pre-push: off}
        significance: {resamples: 2000, on_inconclusive: fail, correction: bh}
        trust: {signers: .modelgate/allowed_signers, require: [release, "push:main"]}

        """.utf8)

    private func entry(for data: Data, in repository: Repository) throws -> URL {
        repository.commonDirectory.appendingPathComponent(
            "modelgate/config-cache/\(try Repository.hashBlob(data).hex).json")
    }

    @Test func aCachedConfigEqualsTheParsedOne() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        let parsed = try ConfigLoader().parse(Self.everything)
        let first = try ConfigLoader.parse(Self.everything, cachingIn: repository)
        let url = try entry(for: Self.everything, in: repository)
        #expect(FileManager.default.fileExists(atPath: url.path))
        let second = try ConfigLoader.parse(Self.everything, cachingIn: repository)
        #expect(first == parsed)
        #expect(second == parsed)
    }

    @Test func theSecondReadComesFromTheEntry() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        _ = try ConfigLoader.parse(Self.everything, cachingIn: repository)
        let url = try entry(for: Self.everything, in: repository)
        // Edited in place (same executable, same blob): what the cache returns is the entry.
        let text = try String(contentsOf: url, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"cached\"", with: "\"edited\"").utf8).write(to: url)
        #expect(try ConfigLoader.parse(Self.everything, cachingIn: repository).name == "edited")
    }

    @Test(arguments: [
        "not json at all", "{\"format\": 1}", "",
        "{\"format\": 2, \"executable\": \"x\", \"blob\": \"y\", \"config\": {}}",
    ])
    func aDamagedEntryIsParsedAgainAndRewritten(damage: String) throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        let parsed = try ConfigLoader().parse(Self.everything)
        _ = try ConfigLoader.parse(Self.everything, cachingIn: repository)
        let url = try entry(for: Self.everything, in: repository)
        try Data(damage.utf8).write(to: url)
        #expect(try ConfigLoader.parse(Self.everything, cachingIn: repository) == parsed)
        #expect(try ConfigLoader.parse(Self.everything, cachingIn: repository) == parsed)
        #expect(try String(contentsOf: url, encoding: .utf8) != damage)
    }

    @Test func anEntryOfOtherBytesOrAnotherExecutableIsNotUsed() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        let other = Data("stages:\n  - {name: other, cmd: ./other}\n".utf8)
        _ = try ConfigLoader.parse(other, cachingIn: repository)
        _ = try ConfigLoader.parse(Self.everything, cachingIn: repository)
        let url = try entry(for: Self.everything, in: repository)
        // The other config's entry under this config's name: its blob field gives it away.
        try FileManager.default.removeItem(at: url)
        try FileManager.default.copyItem(at: try entry(for: other, in: repository), to: url)
        #expect(try ConfigLoader.parse(Self.everything, cachingIn: repository).name == "cached")
        // Written by another build of modelgate: its validation may differ.
        let text = try String(contentsOf: url, encoding: .utf8)
        let foreign = try #require(text.range(of: "\"executable\":\""))
        try Data(text.replacingCharacters(in: foreign, with: "\"executable\":\"0").utf8).write(to: url)
        try Data(
            String(contentsOf: url, encoding: .utf8).replacingOccurrences(
                of: "\"cached\"", with: "\"edited\""
            )
            .utf8
        ).write(to: url)
        #expect(try ConfigLoader.parse(Self.everything, cachingIn: repository).name == "cached")
    }

    @Test func aConfigWithAnErrorIsNeverCached() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        let broken = Data("stages:\n  - name: a\n    cmd: ./a\n    timout: 5m\n".utf8)
        for _ in 0..<2 {
            let error = #expect(throws: ConfigError.self) {
                try ConfigLoader.parse(broken, cachingIn: repository)
            }
            #expect(error?.location == "modelgate.yml:4:5")
        }
        #expect(!FileManager.default.fileExists(atPath: try entry(for: broken, in: repository).path))
    }
}
