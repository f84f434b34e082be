import Foundation
import TestSupport
import Testing

/// `make demo`'s script, `examples/demo.sh`, played with the built binary: each step's outcome is
/// checked from what the script printed and from the repository, remote, image and site it left.
@Suite struct DemoTests {
    /// The repository's root, found from this file's path (Tests/EndToEndTests/DemoTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = root.appendingPathComponent("examples/demo.sh").path

    /// One run of the demo in its own temporary directory.
    struct Played {
        let directory: TemporaryDirectory
        let work: URL
        let result: ProcessResult
        var repo: URL { work.appendingPathComponent("housing") }
        var printed: String { result.stdout + result.stderr }

        init() throws {
            directory = try TemporaryDirectory(prefix: "modelgate-demo-test")
            work = directory.appending("work")
            result = try ProcessRunner.run(
                "/bin/bash", [DemoTests.script, work.path], in: directory.url,
                environment: ["MODELGATE": try ModelgateBinary.url.path])
        }

        /// Runs git in the demo's repository (or `directory`), with no user configuration.
        func git(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
            try ProcessRunner.run(
                "git", arguments, in: directory ?? repo,
                environment: ["GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"])
        }

        /// What the script printed between the announcement of step `number` and the next one.
        func step(_ number: Int) -> String {
            let start = "==> [\(number)/7]"
            guard let range = result.stdout.range(of: start) else { return "" }
            let rest = result.stdout[range.lowerBound...]
            let next = rest.range(of: "==> [\(number + 1)/7]") ?? rest.range(of: "\ndemo: all 7 steps")
            return String(rest[..<(next?.lowerBound ?? rest.endIndex)])
        }
    }

    /// Whether one line of `text` contains every one of `parts`, so table spacing may change.
    static func hasLine(in text: String, with parts: [String]) -> Bool {
        text.split(separator: "\n").contains { line in parts.allSatisfy { line.contains($0) } }
    }

    @Test(.timeLimit(.minutes(2))) func playsTheWholeStory() throws {
        let demo = try Played()
        #expect(demo.result.status == 0, "demo failed:\n\(demo.printed)")
        for number in 1...7 { #expect(!demo.step(number).isEmpty, "step \(number) was not announced") }
        #expect(demo.result.stdout.contains("demo: all 7 steps played as expected"))
        #expect(demo.result.stdout.contains("work directory: \(demo.work.path)"))

        // 1-2: the data, init's suggestion replaced by the example's pipeline, the hooks.
        #expect(demo.step(1).contains("16001 data/train.csv"))
        #expect(demo.step(2).contains("wrote modelgate.yml"))
        #expect(demo.step(2).contains("pre-commit: installed"))
        #expect(demo.step(2).contains("recorded_bin='/"))

        // 3: the commit passed its gates, and the gate table was shown.
        let third = demo.step(3)
        #expect(third.contains("modelgate: pass on the staged files: r2 0.9659"))
        #expect(Self.hasLine(in: third, with: ["r2", "0.9659", ">= 0.9", "pass"]))
        #expect(third.contains("(cached)"))
    }

    @Test(.timeLimit(.minutes(2))) func refusesTheCorruptedBatchAndKeepsTheWorkTree() throws {
        let demo = try Played()
        #expect(demo.result.status == 0, "demo failed:\n\(demo.printed)")
        let fourth = demo.step(4)
        #expect(fourth.contains("modelgate: commit refused: 3 gate(s) failed on the staged files"))
        #expect(Self.hasLine(in: fourth, with: ["r2", "0.9343", "drop <= 0.01", "0.9659", "-0.0315"]))
        #expect(fourth.contains("reproduce: modelgate run --staged"))
        #expect(fourth.contains("skip once: git commit --no-verify"))
        // The corrupted file was still staged after the refusal, byte for byte: the script printed
        // its hash before the commit and after, and both are the hash of the generator's output.
        #expect(fourth.contains("$ git status --short\nM  data/train.csv\n"))
        let hashes = fourth.split(separator: "\n").filter {
            $0.hasSuffix("  data/train.csv") && !$0.hasPrefix("M ")
        }
        let generator = Self.root.appendingPathComponent("examples/housing/generate.sh").path
        let regenerate = "{ \"$0\" 16000 1; \"$0\" --no-header --distance-shift 25 4000 3; } | sha256sum"
        let corrupted = try ProcessRunner.run(
            "/bin/sh", ["-c", regenerate, generator], in: demo.directory.url
        ).stdout.split(separator: " ").first.map(String.init)
        #expect(hashes.count == 2)
        #expect(hashes.allSatisfy { $0.hasPrefix(corrupted ?? "?") }, "\(hashes) vs \(corrupted ?? "?")")
        // The refused commit was never made: the history holds three commits, none of them it.
        let subjects = try demo.git(["log", "--format=%s", "main"]).stdout
        #expect(
            subjects
                == "Add batch 3 (hook skipped)\nAdd batch 2 from the new agency, distances fixed\n"
                + "Housing model: 16,000 training rows\n")
    }

    @Test(.timeLimit(.minutes(2))) func pushesReleasesPackagesAndRendersTheSite() throws {
        let demo = try Played()
        #expect(demo.result.status == 0, "demo failed:\n\(demo.printed)")

        // 5: the commit got its verdict as a record, the push went through on it, and the remote
        // has the fixed commit.
        #expect(demo.step(5).contains("modelgate: recorded the pass verdict on"))
        #expect(demo.step(5).contains("(recorded verdict)"))
        let blessed = try demo.git(["rev-parse", "main~1"]).output
        let remote = demo.work.appendingPathComponent("housing.git")
        #expect(try demo.git(["rev-parse", "main"], in: remote).output == blessed)

        // 6: the release tag is on the blessed commit and carries the trailers.
        #expect(try demo.git(["rev-parse", "housing@v1.0.0^{commit}"]).output == blessed)
        let message = try demo.git(["tag", "-l", "--format=%(contents)", "housing@v1.0.0"]).stdout
        let trailers = try ProcessRunner.run(
            "git", ["interpret-trailers", "--parse"], in: demo.repo, input: message
        ).stdout
        #expect(trailers.contains("Modelgate-Artifact: sha256:"))
        #expect(trailers.contains("Modelgate-Environment: production"))
        #expect(trailers.contains("Modelgate-Commit: \(blessed)"))
        // The failing commit was evaluated, refused, and not tagged.
        let sixth = demo.step(6)
        #expect(sixth.contains("did not pass its gates"))
        #expect(try demo.git(["tag", "-l"]).output == "housing@v1.0.0")
        // The OCI image layout lists the one image the script printed the digest of.
        let oci = demo.work.appendingPathComponent("oci")
        let index =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: oci.appendingPathComponent("index.json"))) as? [String: Any]
        let manifests = index?["manifests"] as? [[String: Any]] ?? []
        #expect(manifests.count == 1)
        let digest = manifests.first?["digest"] as? String ?? "?"
        #expect(sixth.contains("\n\(digest)\n"))
        #expect(FileManager.default.fileExists(atPath: oci.appendingPathComponent("oci-layout").path))

        // 7: the site, with its index page's path printed.
        let site = demo.work.appendingPathComponent("site/index.html")
        #expect(FileManager.default.fileExists(atPath: site.path))
        #expect(demo.step(7).contains("open file://\(site.path)"))
    }

    @Test func stopsWithAClearMessageWhenTheBinaryIsMissing() throws {
        let directory = try TemporaryDirectory(prefix: "modelgate-demo-test")
        let result = try ProcessRunner.run(
            "/bin/bash", [Self.script, directory.appending("work").path], in: directory.url,
            environment: ["MODELGATE": directory.appending("no-such-modelgate").path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("demo: no modelgate binary at"))
        #expect(result.stderr.contains("run 'make release' or set MODELGATE"))
    }
}
