import Foundation
import TestSupport
import Testing

/// `modelgate serve`'s refusals: each with its exit code and a hint, and no server started.
@Suite struct ServeCommandTests {
    @Test func aCommitWithoutARecordIsRefused() throws {
        let repo = try TemporaryRepository()
        try repo.commit(files: ["modelgate.yml": "name: x\nstages: []\n"], message: "nothing run")
        let result = try ModelgateBinary.run(["serve", "--port", "0"], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("has not been evaluated, so it has no artifact"))
        #expect(result.stderr.contains("modelgate run"))
    }

    /// A command stage's artifact holds no built-in model: refused (exit 2), pointing elsewhere.
    @Test func aCommandStagesModelIsRefused() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml":
                    "name: cmd\nstages:\n  - {name: fit, cmd: sh fit.sh, deps: [fit.sh], metrics: m.json, outs: [model.json]}\ngates: []\n",
                "fit.sh": "echo '{\"r2\": 0.9}' > m.json\necho '{\"weights\": [1, 2]}' > model.json\n",
            ], message: "a command stage")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 0, "\(run.output)")
        let result = try ModelgateBinary.run(["serve", "--port", "0"], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("holds no built-in model (model.json)"))
        #expect(result.stderr.contains("builtin: stages"))
    }

    /// Without modelgate-serve beside modelgate or on PATH: exit 3 and the install hint.
    @Test func aMissingServerBinaryIsReported() throws {
        let directory = try TemporaryDirectory()
        let copy = directory.appending("modelgate")
        try FileManager.default.copyItem(at: try ModelgateBinary.url, to: copy)
        let model = directory.appending("m.json")
        try "{}".write(to: model, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(
            copy.path, ["serve", model.path], in: directory.url, environment: ["PATH": "/nonexistent"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("modelgate-serve is not installed"))
        #expect(result.stderr.contains("make install"))
    }

    /// modelgate-serve itself refuses a directory without a built-in model (exit 2).
    @Test func theServerRefusesADirectoryWithoutAModel() throws {
        let directory = try TemporaryDirectory()
        try "{\"weights\": 1}".write(to: directory.appending("model.json"), atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(
            try ServerProcess.serverURL.path, ["--model", directory.url.path, "--port", "0"],
            in: directory.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("holds no built-in model file"))
    }
}
