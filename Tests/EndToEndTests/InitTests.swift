import Foundation
import Pipeline
import TestSupport
import Testing

@Suite struct InitTests {
    @Test func writesAValidConfigForTheCSVsItFinds() throws {
        let repo = try TemporaryRepository()
        try repo.git(["remote", "add", "origin", repo.directory.appending("remote.git").path])
        try repo.write([
            "data/train.csv": "rooms,area,price\n1,2,3\n", "data/test.csv": "rooms,area,price\n1,2,3\n",
        ])
        let result = try ModelgateBinary.run(["init"], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        let config = try ConfigLoader().parse(try repo.read("modelgate.yml"))
        guard case .builtin(let stage) = config.stages.first?.kind else {
            Issue.record("no built-in stage suggested")
            return
        }
        #expect(stage.data == "data/train.csv")
        #expect(stage.testFile == "data/test.csv")
        #expect(stage.target == "price")
        #expect(
            try repo.git(["config", "--get-all", "remote.origin.fetch"]).contains(
                "+refs/notes/modelgate*:refs/notes/remotes/origin/modelgate*"))
        #expect(try repo.git(["config", "--get-all", "notes.rewriteRef"]) == "refs/notes/modelgate")
        // No push refspec: it would change what a plain 'git push' pushes.
        #expect(try repo.gitResult(["config", "--get-all", "remote.origin.push"]).status == 1)
    }

    @Test func refusesToOverwriteWithoutForceAndIsIdempotent() throws {
        let repo = try TemporaryRepository()
        try repo.write(["modelgate.yml": "# mine\n"])
        let refused = try ModelgateBinary.run(["init"], in: repo.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("modelgate.yml already exists"))
        #expect(try repo.read("modelgate.yml") == "# mine\n")
        #expect(try ModelgateBinary.run(["init", "--force"], in: repo.url).status == 0)
        #expect(try ModelgateBinary.run(["init", "--force"], in: repo.url).status == 0)
        #expect(try repo.git(["config", "--get-all", "notes.rewriteRef"]) == "refs/notes/modelgate")
        // Without CSVs, the suggestion is a command stage, and it still parses.
        let config = try ConfigLoader().parse(try repo.read("modelgate.yml"))
        #expect(config.stages.first?.name == "train")
    }

    /// A cloned repository's CSVs cannot hang `init` (a link to /dev/stdin, a FIFO, a link out
    /// of the repository are not read), and their names and header columns are quoted so they
    /// cannot add keys to the config written.
    @Test func hostileCSVsNeitherHangNorInjectKeys() throws {
        let repo = try TemporaryRepository()
        let outside = repo.directory.appending("outside.csv")
        try Data("secret,column\n1,2\n".utf8).write(to: outside)
        try repo.write([
            "data/train: {x}.csv": "a,\"y: 1\"\n1,2\n",
            "data/test #1.csv": "a,b\n1,2\n",
        ])
        for (link, target) in [
            ("train.csv", "/dev/stdin"), ("b-test.csv", outside.path), ("zero.csv", "/dev/zero"),
        ] {
            try FileManager.default.createSymbolicLink(
                atPath: repo.url.appendingPathComponent(link).path, withDestinationPath: target)
        }
        #expect(mkfifo(repo.url.appendingPathComponent("fifo.csv").path, 0o644) == 0)
        // Standard input is a FIFO nobody writes to: reading it (through train.csv) would block
        // until the timeout kills init (exit 124).
        let script = "mkfifo \"$1\" && exec 3<>\"$1\" && timeout --kill-after=5 60 \"$0\" init <&3"
        let result = try ProcessRunner.run(
            "sh", ["-c", script, try ModelgateBinary.url.path, repo.directory.appending("stdin").path],
            in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try repo.read("modelgate.yml")
        let config = try ConfigLoader().parse(text)
        guard case .builtin(let stage) = config.stages.first?.kind else {
            Issue.record("no built-in stage suggested: \(text)")
            return
        }
        #expect(stage.data == "data/train: {x}.csv")
        #expect(stage.testFile == "data/test #1.csv")
        #expect(stage.target == "y: 1")
        #expect(!text.contains("secret") && !text.contains("\"train.csv") && !text.contains("fifo"))
        #expect(config.stages.count == 1 && config.gates.count == 2)
    }

    @Test func yamlQuotingKeepsEveryNameOneValue() throws {
        for name in ["a\nstages: []", "x\u{1B}[2J", "q\"uote\\back", "line\u{2028}sep", "#c", "- [a]", "漢字"] {
            let quoted = ProjectInitializer.yamlQuoted(name)
            #expect(!quoted.contains("\n") && !quoted.unicodeScalars.contains { $0.value < 0x20 })
            let parsed = try ConfigLoader().parse(
                "stages:\n  - {name: t, builtin: linear-regression, data: d.csv, target: \(quoted)}\n")
            guard case .builtin(let stage) = parsed.stages.first?.kind else {
                Issue.record("\(name) did not parse")
                continue
            }
            #expect(stage.target == name)
        }
    }
}

/// `init` picks the trainer from the target column and writes gates that trainer's runs record:
/// the config it writes runs and passes on the data it was written for.
@Suite struct InitTrainerChoiceTests {
    static func rows(_ count: Int, target: (Int) -> String) -> String {
        "a,b,target\n"
            + (0..<count).map { index in
                "\(Double(index % 13) / 13),\(Double(index % 7) / 7),\(target(index))\n"
            }.joined()
    }

    @Test(arguments: [
        ("binary", "logistic-regression", "about 41 test rows"),
        ("three classes", "logistic-regression", "about 41 test rows"),
        ("numeric", "linear-regression", "the test set has about 41 rows"),
    ])
    func theTargetChoosesTheTrainerAndTheGates(kind: String, trainer: String, sizeComment: String) throws {
        let repo = try TemporaryRepository()
        let data = Self.rows(205) { index in
            let a = Double(index % 13) / 13
            let b = Double(index % 7) / 7
            switch kind {
            case "binary": return a + b > 0.9 ? "1" : "0"
            case "three classes": return ["low", "mid", "high"][min(2, Int((a + b) * 1.5))]
            default: return RunTestsFormat.number(3 * a - 2 * b + Double(index % 5) / 50)
            }
        }
        try repo.write(["data.csv": data])
        let result = try ModelgateBinary.run(["init"], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try repo.read("modelgate.yml")
        let config = try ConfigLoader().parse(text)
        guard case .builtin(let stage) = config.stages.first?.kind else {
            Issue.record("no built-in stage: \(text)")
            return
        }
        #expect(stage.trainer == trainer)
        #expect(text.contains(sizeComment), "\(text)")
        let metrics = Set(config.gates.map(\.metric))
        #expect(metrics == (trainer == "linear-regression" ? ["r2"] : ["accuracy", "f1", "roc_auc"]))
        // Baseline gates carry a confidence level, so that they fail only on a real drop.
        #expect(config.gates.contains { $0.needsBaseline && $0.confidence == 0.95 }, "\(text)")
        #expect(config.gates.allSatisfy { !$0.needsBaseline || $0.confidence == 0.95 }, "\(text)")
        try repo.git(["add", "."])
        try repo.git(["commit", "--quiet", "-m", "init"])
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }
}
