import Foundation
import GitKit
import TestSupport
import Testing

/// `operationInProgress` names what `git status` says is in progress.
@Suite struct OperationStateTests {
    /// main and side both change README.md, so merging, picking or rebasing one onto the other stops.
    private func conflicting() throws -> TemporaryRepository {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["checkout", "--quiet", "-b", "side", "HEAD~1"])
        try repo.commit(files: ["README.md": "side\n"], message: "side")
        try repo.git(["checkout", "--quiet", "main"])
        try repo.commit(files: ["README.md": "main\n"], message: "main")
        return repo
    }

    @Test func none() throws {
        #expect(try TemporaryRepository.withHistory().open().operationInProgress == RepositoryOperation.none)
    }

    @Test func merge() throws {
        let repo = try conflicting()
        #expect(try repo.gitResult(["merge", "side"]).status != 0)
        #expect(try repo.open().operationInProgress == .merge)
        #expect(try repo.git(["status"]).contains("You have unmerged paths"))
        try repo.git(["merge", "--abort"])
        #expect(try repo.open().operationInProgress == RepositoryOperation.none)
    }

    @Test func cherryPick() throws {
        let repo = try conflicting()
        #expect(try repo.gitResult(["cherry-pick", "side"]).status != 0)
        #expect(try repo.open().operationInProgress == .cherryPick)
        #expect(try repo.git(["status"]).contains("cherry-pick"))
    }

    @Test func revert() throws {
        let repo = try conflicting()
        try repo.commit(files: ["README.md": "main again\n"], message: "main again")
        #expect(try repo.gitResult(["revert", "--no-edit", "HEAD~1"]).status != 0)
        #expect(try repo.open().operationInProgress == .revert)
    }

    @Test func rebase() throws {
        let repo = try conflicting()
        #expect(try repo.gitResult(["rebase", "side"]).status != 0)
        #expect(try repo.open().operationInProgress == .rebase)
        #expect(try repo.git(["status"]).contains("rebase"))
    }

    @Test func bisect() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["bisect", "start"])
        #expect(try repo.open().operationInProgress == .bisect)
    }
}
