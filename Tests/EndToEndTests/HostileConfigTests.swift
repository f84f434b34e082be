import Foundation
import TestSupport
import Testing

/// `modelgate.yml` files and committed files an attacker wrote, as in a freshly cloned repository.
///
/// Each is run through `status` and `run` of the built binary (under `timeout`, so a regression
/// that hangs fails the test instead of the suite) and must end in exit 2 with a message naming
/// the file and position, with nothing written beside the repository and nothing recorded.
@Suite struct HostileConfigTests {
    /// A repository in `T/repo` with a marker directory `T/outside` beside it holding a secret.
    final class Hostile {
        let repo: TemporaryRepository
        let outside: URL
        var secret: URL { outside.appendingPathComponent("secret.csv") }
        static let secretText = "a,y\n1,2\n2,4\n3,6\n4,8\n5,10\n"

        /// Commits `files` and `symlinks` (path -> target, `{outside}` standing for the marker's path).
        init(_ files: [String: String], symlinks: [String: String] = [:]) throws {
            repo = try TemporaryRepository()
            outside = repo.directory.appending("outside")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try Data(Self.secretText.utf8).write(to: secret)
            try repo.write(files.mapValues { $0.replacingOccurrences(of: "{outside}", with: outside.path) })
            for (path, target) in symlinks {
                try FileManager.default.createSymbolicLink(
                    atPath: repo.url.appendingPathComponent(path).path,
                    withDestinationPath: target.replacingOccurrences(of: "{outside}", with: outside.path))
            }
            try repo.git(["add", "--all"])
            try repo.commit(message: "hostile")
        }

        /// Runs modelgate, killed after two minutes: a hang shows as exit 124 or 137, not as a stuck suite.
        func modelgate(_ arguments: [String]) throws -> ProcessResult {
            try ProcessRunner.run(
                "timeout", ["--kill-after=5", "120", try ModelgateBinary.url.path] + arguments, in: repo.url)
        }

        /// `status` and `run` both refuse with exit 2, naming `location` and saying `message`.
        func expectRefused(
            location: String?, message: String, commands: [[String]] = [["status"], ["run"]],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            for command in commands {
                let result = try modelgate(command)
                #expect(
                    result.status == 2, "\(command): exit \(result.status)\n\(result.stderr)",
                    sourceLocation: sourceLocation)
                if let location {
                    #expect(
                        result.stderr.contains("where: \(location)"), "\(command): \(result.stderr)",
                        sourceLocation: sourceLocation)
                }
                #expect(
                    result.stderr.contains(message), "\(command): \(result.stderr)",
                    sourceLocation: sourceLocation)
                #expect(!result.stderr.contains("internal error"), sourceLocation: sourceLocation)
            }
            try expectNothingLeftBehind(sourceLocation: sourceLocation)
        }

        /// Nothing beside the repository but the marker, the marker unchanged, no record, no artifact.
        func expectNothingLeftBehind(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let beside = try FileManager.default.contentsOfDirectory(atPath: repo.directory.url.path).sorted()
            #expect(beside == ["outside", "repo"], sourceLocation: sourceLocation)
            let marker = try FileManager.default.subpathsOfDirectory(atPath: outside.path)
            #expect(marker == ["secret.csv"], sourceLocation: sourceLocation)
            #expect(
                try String(contentsOf: secret, encoding: .utf8) == Self.secretText,
                sourceLocation: sourceLocation)
            #expect(
                try repo.gitResult(["show-ref", "--verify", "refs/notes/modelgate"]).status != 0,
                "a record was written", sourceLocation: sourceLocation)
            let store = repo.url.appendingPathComponent(".git/modelgate")
            for folder in ["cache", "store", "models"] {
                let entries =
                    (try? FileManager.default.subpathsOfDirectory(
                        atPath: store.appendingPathComponent(folder).path)) ?? []
                #expect(entries.isEmpty, "\(folder): \(entries)", sourceLocation: sourceLocation)
            }
        }
    }

    /// The 1-based column of the first occurrence of `text` in line `line` of `config`.
    static func position(of text: String, in config: String) -> String {
        for (index, line) in config.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let range = line.range(of: text) {
                return
                    "modelgate.yml:\(index + 1):\(line.distance(from: line.startIndex, to: range.lowerBound) + 1)"
            }
        }
        return "modelgate.yml:?:?"
    }

    static let trainingData = "a,y\n1,2\n2,4\n3,6\n4,8\n5,10\n6,12\n7,14\n8,16\n"

    // MARK: - YAML bombs and size

    /// Nine levels of nine: 9^9 (387 million) nodes once the aliases are expanded.
    static let laughs = (1...8).map { level in
        "x\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]"
    }.joined(separator: "\n")

    @Test func anAliasBombUsedAsAMappingKeyIsRefused() throws {
        let config = """
            x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
            \(Self.laughs)
            stages:
              - name: t
                cmd: "true"
                *l8 : boom

            """
        let hostile = try Hostile(["modelgate.yml": config])
        // Refused where the expansion passes the limit, long before the key (Yams hung hashing it).
        try hostile.expectRefused(
            location: Self.position(of: "*l3", in: config), message: "more than 10000 values once its aliases"
        )
    }

    @Test func anAliasBombAsAValueIsRefused() throws {
        let config = """
            x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
            \(Self.laughs)
            stages:
              - name: t
                cmd: "true"
                env: *l8

            """
        let hostile = try Hostile(["modelgate.yml": config])
        try hostile.expectRefused(
            location: Self.position(of: "*l3", in: config), message: "more than 10000 values once its aliases"
        )
    }

    @Test func anAliasBombInAParametersFileDoesNotHangDiff() throws {
        let config = "stages:\n  - {name: t, cmd: \"true\", params: p.yaml}\n"
        let params = "x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n\(Self.laughs)\n"
        let hostile = try Hostile(["modelgate.yml": config, "p.yaml": params])
        let diff = try hostile.modelgate(["diff", "HEAD", "HEAD"])
        #expect(diff.status == 2, "\(diff.stderr)")  // neither side evaluated; what matters is that it ends
        #expect(diff.stderr.contains("has not been evaluated"))
    }

    @Test func deepNestingIsRefused() throws {
        let config =
            "stages:\n  - name: t\n    cmd: \"true\"\n    env: "
            + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "\n"
        let hostile = try Hostile(["modelgate.yml": config])
        try hostile.expectRefused(location: "modelgate.yml:4:", message: "nested more than 64 levels deep")
    }

    @Test func aHundredMegabyteConfigIsRefusedBeforeItIsRead() throws {
        let hostile = try Hostile(["modelgate.yml": "stages:\n  - {name: t, cmd: \"true\"}\n"])
        let handle = try FileHandle(forWritingTo: hostile.repo.url.appendingPathComponent("modelgate.yml"))
        try handle.seekToEnd()
        let comments = Data(repeating: UInt8(ascii: "#"), count: 1 << 20)
        for _ in 0..<100 { try handle.write(contentsOf: comments) }
        try handle.close()
        try hostile.repo.git(["add", "modelgate.yml"])
        try hostile.repo.commit(message: "big")
        try hostile.expectRefused(location: "modelgate.yml", message: "larger than 1 MiB")
    }

    // MARK: - Paths that leave the repository

    /// A config with one stage whose `key` is `value`, in block style so positions are known.
    static func stage(_ key: String, _ value: String) -> String {
        let list = ["deps", "outs"].contains(key)
        let written = list ? "[\"\(value)\"]" : "\"\(value)\""
        switch key {
        case "data", "test", "model":
            let data = key == "data" ? "" : "    data: train.csv\n"
            return
                "stages:\n  - name: t\n    builtin: linear-regression\n    target: y\n\(data)    \(key): \(written)\n"
        default:
            return "stages:\n  - name: t\n    cmd: \"true\"\n    \(key): \(written)\n"
        }
    }

    static let pathKeys = ["deps", "outs", "data", "test", "params", "metrics", "model"]

    @Test(arguments: pathKeys) func aPathWithDotDotIsRefused(key: String) throws {
        // From the isolated checkout (T/repo/.git/modelgate/runs/ID/tree), six '..' reach T.
        let path = "../../../../../../outside/secret.csv"
        let config = Self.stage(key, path)
        let hostile = try Hostile(["modelgate.yml": config, "train.csv": Self.trainingData])
        try hostile.expectRefused(
            location: Self.position(of: "\"../", in: config), message: "leaves the repository")
    }

    @Test(arguments: pathKeys) func anAbsolutePathIsRefused(key: String) throws {
        let config = Self.stage(key, "{outside}/secret.csv")
        let hostile = try Hostile(["modelgate.yml": config, "train.csv": Self.trainingData])
        try hostile.expectRefused(
            location: Self.position(of: "\"{outside}", in: config), message: "is an absolute path")
    }

    @Test(arguments: pathKeys) func aCommittedSymlinkPointingOutsideIsRefused(key: String) throws {
        let config = Self.stage(key, "link.csv")
        let hostile = try Hostile(
            ["modelgate.yml": config, "train.csv": Self.trainingData],
            symlinks: ["link.csv": "{outside}/secret.csv"])
        try hostile.expectRefused(location: nil, message: "a symbolic link leading outside the repository")
    }

    @Test func aCommittedSymlinkToADirectoryOutsideIsRefused() throws {
        for (link, target, data) in [("data", "/etc", "data/hostname"), ("x", "../outside", "x/secret.csv")] {
            let config = Self.stage("data", data)
            let hostile = try Hostile(["modelgate.yml": config], symlinks: [link: target])
            try hostile.expectRefused(location: nil, message: "leading outside the repository")
        }
    }

    @Test func aSymlinkedOutputWrittenByTheStageIsNotStored() throws {
        let config =
            "stages:\n  - name: t\n    cmd: ln -s {outside}/secret.csv out.csv && mkdir d && ln -s /etc/hostname d/h\n    outs: [out.csv]\n"
        let hostile = try Hostile(["modelgate.yml": config])
        let result = try hostile.modelgate(["run"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("'out.csv' is a symbolic link leading outside the repository"))
        try hostile.expectNothingLeftBehind()
    }

    // MARK: - Names

    @Test func aStageNameWithPathSeparatorsIsRefused() throws {
        for name in ["x/../../../../../outside/y", "a\\\\b", "..", ""] {
            let config = "stages:\n  - name: \"\(name)\"\n    cmd: \"true\"\n"
            let hostile = try Hostile(["modelgate.yml": config])
            try hostile.expectRefused(location: "modelgate.yml:2:11", message: "stage name")
        }
    }

    @Test func aBuiltinStageNamedWithDotDotIsRefused() throws {
        // Its model file would default to '<name>.model.json' in the checkout: T/outside/m.model.json.
        let config =
            "stages:\n  - name: a/../../../../../../../outside/m\n    builtin: linear-regression\n    data: train.csv\n    target: y\n"
        let hostile = try Hostile(["modelgate.yml": config, "train.csv": Self.trainingData])
        try hostile.expectRefused(location: "modelgate.yml:2:11", message: "stage name")
    }

    @Test func metricAndStageNamesWithEscapeSequencesAreRefused() throws {
        let gate =
            "stages:\n  - {name: t, cmd: \"true\", metrics: m.json}\ngates:\n  - {metric: \"r2\\e]0;owned\\a\", min: 1}\n"
        let hostile = try Hostile(["modelgate.yml": gate])
        try hostile.expectRefused(location: "modelgate.yml:4:", message: "metric name")
        let result = try hostile.modelgate(["status"])
        #expect(!result.stderr.contains("\u{1B}"))  // the message escapes it, the terminal never sees it
        let stage = "stages:\n  - {name: \"t\\e[2J\", cmd: \"true\"}\n"
        let other = try Hostile(["modelgate.yml": stage])
        try other.expectRefused(location: "modelgate.yml:2:", message: "stage name")
        #expect(!(try other.modelgate(["run"])).stderr.contains("\u{1B}"))
    }
}
