import Foundation
import GitKit
import TestSupport
import Testing

@Suite struct DoctorTests {
    @Test func reportsLocationsFromASubdirectory() throws {
        let repo = try TemporaryRepository()
        try repo.commit(files: ["data/train.csv": "x,y\n1,2\n"], message: "add data")
        let result = try ModelgateBinary.run(
            ["doctor", "--json"], in: repo.url.appendingPathComponent("data"))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["workTree"] as? String == repo.url.path)
        let gitHooks = try repo.git(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        let gitCommon = try repo.git(["rev-parse", "--path-format=absolute", "--git-common-dir"])
        #expect(report?["hooksDir"] as? String == gitHooks)
        #expect(report?["commonDir"] as? String == gitCommon)
        #expect(report?["configExists"] as? Bool == false)
        let hooks = report?["hooks"] as? [[String: Any]]
        #expect(hooks?.map { $0["state"] as? String } == ["missing", "missing", "missing"])
    }

    @Test func worksInALinkedWorktree() throws {
        let repo = try TemporaryRepository()
        try repo.commit(files: ["README": "hi\n"], message: "first")
        let linked = repo.directory.appending("linked")
        try repo.git(["worktree", "add", "--quiet", linked.path])
        let result = try ModelgateBinary.run(["doctor", "--json"], in: linked)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["workTree"] as? String == linked.path)
        #expect(report?["linkedWorktree"] as? Bool == true)
        #expect(report?["commonDir"] as? String == repo.url.appendingPathComponent(".git").path)
        #expect(report?["hooksDir"] as? String == repo.url.appendingPathComponent(".git/hooks").path)
    }

    @Test func namesAForeignHookAndCoreHooksPath() throws {
        let repo = try TemporaryRepository()
        try repo.git(["config", "core.hooksPath", ".husky"])
        try repo.write([".husky/pre-commit": "#!/bin/sh\nnpm test\n"])
        try repo.git(["update-index", "--chmod=+x", "--add", ".husky/pre-commit"])
        chmod(repo.url.appendingPathComponent(".husky/pre-commit").path, 0o755)
        let result = try ModelgateBinary.run(["doctor"], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hooks dir    \(repo.url.path)/.husky (core.hooksPath)"))
        #expect(result.stdout.contains("pre-commit   another tool's hook"))
        #expect(result.stdout.contains("pre-push     not installed"))
    }

    @Test func outsideARepositoryIsBadInput() throws {
        let directory = try TemporaryDirectory()
        let result = try ModelgateBinary.run(["doctor"], in: directory.url)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("error: could not open repository: not a git repository"))
        #expect(result.stderr.contains("where: \(directory.url.path)"))
        #expect(result.stderr.contains("fix:"))
    }

    @Test func unknownArgumentIsAUsageError() throws {
        let directory = try TemporaryDirectory()
        let result = try ModelgateBinary.run(["doctor", "--bogus"], in: directory.url)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--bogus"))
    }

    @Test func helpListsCommandsAndExitCodes() throws {
        let directory = try TemporaryDirectory()
        let result = try ModelgateBinary.run(["--help"], in: directory.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("doctor"))
        #expect(result.stdout.contains("EXIT CODES"))
        #expect(result.stdout.contains("64  usage error"))
        let version = try ModelgateBinary.run(["--version"], in: directory.url)
        #expect(version.status == 0)
        #expect(version.output.split(separator: ".").count == 3)
    }
}
