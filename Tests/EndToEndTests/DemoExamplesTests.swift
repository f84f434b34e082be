import Foundation
import TestSupport
import Testing

/// The pipelines under `examples/`, run with the built binary on the data their generators write.
@Suite struct DemoExamplesTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    /// A repository holding `example`'s modelgate.yml (and `files`), and data from its generator:
    /// `generate.sh` runs once per entry of `data`, each writing the path it names.
    static func repository(
        of example: String, files: [String] = ["modelgate.yml"], data: [String: String]
    ) throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        let folder = examples.appendingPathComponent(example)
        for file in files {
            try repo.write([
                file: try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            ])
        }
        try FileManager.default.createDirectory(
            at: repo.url.appendingPathComponent("data"), withIntermediateDirectories: true)
        for (path, arguments) in data {
            try generate(example, arguments, into: repo.url.appendingPathComponent(path))
        }
        try repo.git(["add", "--all"])
        try repo.commit(message: "add everything")
        return repo
    }

    /// Runs `examples/EXAMPLE/generate.sh ARGUMENTS` and writes (or with `append`, appends) its output.
    static func generate(_ example: String, _ arguments: String, into file: URL, append: Bool = false) throws
    {
        let generator = examples.appendingPathComponent("\(example)/generate.sh").path
        let result = try ProcessRunner.run(
            "/bin/sh", ["-c", "\"$0\" \(arguments) \(append ? ">>" : ">") \"$1\"", generator, file.path],
            in: file.deletingLastPathComponent())
        guard result.status == 0 else { throw TestFailure("generate.sh \(arguments): \(result.stderr)") }
    }

    /// The metrics of a `modelgate run --json` result.
    static func metrics(_ result: ProcessResult) throws -> [String: Double] {
        let record = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return record?["metrics"] as? [String: Double] ?? [:]
    }

    @Test func housingGeneratorIsDeterministicAndRealistic() throws {
        let directory = try TemporaryDirectory(prefix: "modelgate-demo-test")
        let file = directory.appending("train.csv")
        try Self.generate("housing", "3 1", into: file)
        #expect(
            try String(contentsOf: file, encoding: .utf8)
                == "rooms,area,age,distance,price\n6,198.7,52,2.54,368.2\n3,70.5,66,12.37,117.8\n"
                + "5,128.0,24,4.79,336.2\n")
        try Self.generate("housing", "--no-header --distance-shift 25 --area-scale 2 1 1", into: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "6,397.5,52,27.54,368.2\n")
    }

    @Test func classificationPassesItsGatesAndRefusesALostChurnFlag() throws {
        let repo = try Self.repository(
            of: "classification", data: ["data/train.csv": "8000 1", "data/test.csv": "2000 2"])
        let run = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("logistic-regression: 8000 training rows, 2000 test rows"))
        let metrics = try Self.metrics(run)
        #expect((metrics["accuracy"] ?? 0) > 0.8)
        #expect((metrics["precision"] ?? 0) > 0.75)
        #expect((metrics["recall"] ?? 0) > 0.7)
        #expect((metrics["f1"] ?? 0) > 0.75)
        #expect((metrics["roc_auc"] ?? 0) > 0.9)

        // A batch whose churners were all written as 0: recall and f1 collapse, the gates refuse it.
        try Self.generate(
            "classification", "--no-header --lose-churn 1 4000 3",
            into: repo.url.appendingPathComponent("data/train.csv"), append: true)
        let bad = try ModelgateBinary.run(["run", "--worktree", "--json"], in: repo.url)
        #expect(bad.status == 1, "\(bad.stderr)")
        let badMetrics = try Self.metrics(bad)
        #expect((badMetrics["recall"] ?? 1) < 0.5)
        #expect((badMetrics["f1"] ?? 1) < 0.7)
    }

    /// The virtualenv `make deps` (and `make demo-sklearn`) creates with scikit-learn, pandas and joblib.
    static let venv = examples.appendingPathComponent("sklearn/.venv")

    /// Runs in CI like every other test: `make test` installs the virtualenv first, and without
    /// it this test fails rather than being skipped.
    @Test(.timeLimit(.minutes(2)))
    func sklearnDemoPassesACommitAndRefusesABadBatch() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.venv.appendingPathComponent("bin/python").path),
            "no examples/sklearn/.venv: run 'make deps' (or scripts/install-test-tools.sh sklearn) first")
        let directory = try TemporaryDirectory(prefix: "modelgate-demo-test")
        let result = try ProcessRunner.run(
            "/bin/bash",
            [Self.examples.appendingPathComponent("sklearn/demo.sh").path, directory.appending("work").path],
            in: directory.url,
            environment: ["MODELGATE": try ModelgateBinary.url.path, "VENV": Self.venv.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("train | trained on 16000 rows, tested on 4000: r2 0.9659"))
        #expect(result.stdout.contains("modelgate: pass on the staged files"))
        #expect(result.stdout.contains("modelgate: commit refused: 3 gate(s) failed on the staged files"))
        #expect(result.stdout.contains("$ git status --short\nM  data/train.csv\n"))
        #expect(result.stdout.contains("demo: all 4 steps played as expected"))
        // The passing commit's verdict stays with it, as a note.
        let notes = try ProcessRunner.run(
            "git", ["notes", "--ref=modelgate", "list", "HEAD"],
            in: directory.appending("work/housing-sklearn"))
        #expect(notes.status == 0 && !notes.output.isEmpty)
    }
}
