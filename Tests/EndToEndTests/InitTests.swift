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
                "+refs/notes/modelgate:refs/notes/remotes/origin/modelgate"))
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
}
