import Foundation
import GitKit
import TestSupport
import Testing

/// Revisions, commits and history walks, checked against `git rev-parse`, `git log` and `git rev-list`.
@Suite struct RevisionTests {
    @Test func unbornBranch() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        #expect(try repository.head() == nil)
        #expect(try repository.headBranch == "main")
        let error = gitError { _ = try repository.resolveCommit("HEAD") }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.summary.contains("no commits yet") == true)
    }

    @Test func headCommitMatchesGit() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try #require(try repository.head())
        #expect(head.id == (try objectID(repo.git(["rev-parse", "HEAD"]))))
        #expect(head.treeID == (try objectID(repo.git(["rev-parse", "HEAD^{tree}"]))))
        #expect(head.parentIDs == [try objectID(repo.git(["rev-parse", "HEAD~1"]))])
        #expect(head.summary == "third")
        #expect(head.author.name == TemporaryRepository.identity.name)
        #expect(head.author.email == TemporaryRepository.identity.email)
        #expect(
            head.author.date == Date(timeIntervalSince1970: TimeInterval(TemporaryRepository.epoch + 3 * 60)))
        #expect(head.author.utcOffsetMinutes == 0)
        #expect(head.committer == head.author)

        let second = try repository.commit(try repository.resolveCommit("HEAD~1"))
        let raw = try repo.gitResult(["cat-file", "commit", "HEAD~1"]).stdout
        let rawMessage = try #require(raw.range(of: "\n\n")).upperBound
        #expect(second.message == String(raw[rawMessage...]))
        #expect(second.message == "second\n\nbody line\n")
        #expect(second.summary == "second")
        #expect(try repository.commit(try repository.resolveCommit("HEAD~2")).parentIDs.isEmpty)
    }

    @Test func detachedHead() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["checkout", "--quiet", "--detach", "HEAD~1"])
        let repository = try repo.open()
        #expect(try repository.headBranch == nil)
        #expect(try repo.gitResult(["symbolic-ref", "--quiet", "HEAD"]).status != 0)
        #expect(try repository.head()?.id == (try objectID(repo.git(["rev-parse", "HEAD"]))))
        #expect(try repository.head()?.summary == "second")
    }

    @Test func signatureKeepsTimeZone() throws {
        let repo = try TemporaryRepository()
        try repo.git(
            ["commit", "--quiet", "--allow-empty", "-m", "tz"],
            environment: ["GIT_AUTHOR_DATE": "@1767225600 +0530"])
        let commit = try #require(try repo.open().head())
        #expect(commit.author.utcOffsetMinutes == 330)
        #expect(commit.author.date == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(commit.committer.utcOffsetMinutes == 0)
    }

    @Test func resolveCommitMatchesRevParse() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["tag", "light", "HEAD~1"])
        try repo.git(["tag", "-a", "-m", "release one", "v1", "HEAD~2"])
        try repo.git(["branch", "topic", "HEAD~1"])
        let repository = try repo.open()
        let short = String(try repo.git(["rev-parse", "HEAD~1"]).prefix(8))
        for rev in [
            "HEAD", "HEAD~2", "HEAD^", "main", "topic", "light", "v1", "refs/tags/v1", short,
            "main~1^{commit}", ":/second",
        ] {
            let peel = rev.hasPrefix(":/") ? rev : "\(rev)^{commit}"
            let expected = try objectID(repo.git(["rev-parse", "--verify", peel]))
            #expect(try repository.resolveCommit(rev) == expected, "rev \(rev)")
        }
    }

    @Test(arguments: ["nope", "HEAD~9", "main..topic", "0000000", "v1^{tree}"])
    func unknownRevisionIsBadInput(rev: String) throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["tag", "-a", "-m", "one", "v1"])
        #expect(try repo.gitResult(["rev-parse", "--verify", "--quiet", "\(rev)^{commit}"]).status != 0)
        let error = gitError { _ = try repo.open().resolveCommit(rev) }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.location == rev)
        #expect(error?.hint != nil)
    }

    @Test func firstParentHistoryMatchesRevList() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["checkout", "--quiet", "-b", "side", "HEAD~1"])
        try repo.commit(files: ["side.txt": "s\n"], message: "side work")
        try repo.git(["checkout", "--quiet", "main"])
        try repo.commit(files: ["main.txt": "m\n"], message: "main work")
        try repo.git(["merge", "--quiet", "--no-ff", "-m", "merge side", "side"])
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        let expected = try repo.git(["rev-list", "--first-parent", "HEAD"]).split(separator: "\n").map {
            try objectID(String($0))
        }
        #expect(try repository.firstParentHistory(from: head).map(\.id) == expected)
        #expect(
            try repository.firstParentHistory(from: head, limit: 2).map(\.id) == Array(expected.prefix(2)))
        #expect(try repository.firstParentHistory(from: head, limit: 0).isEmpty)
        #expect(try repository.firstParentHistory(from: head).first?.parentIDs.count == 2)
    }

    @Test func ancestryAndMergeBase() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["checkout", "--quiet", "-b", "side", "HEAD~1"])
        try repo.commit(files: ["side.txt": "s\n"], message: "side work")
        let repository = try repo.open()
        let main = try repository.resolveCommit("main")
        let side = try repository.resolveCommit("side")
        let root = try repository.resolveCommit("main~2")
        for (a, b) in [(root, main), (main, side), (side, main), (main, main), (root, side)] {
            let git = try repo.gitResult(["merge-base", "--is-ancestor", a.hex, b.hex]).status == 0
            #expect(try repository.isAncestor(a, of: b) == git)
        }
        #expect(
            try repository.mergeBase(main, side) == (try objectID(repo.git(["merge-base", "main", "side"]))))

        try repo.git(["checkout", "--quiet", "--orphan", "lonely"])
        try repo.commit(message: "unrelated root")
        let lonely = try repository.resolveCommit("lonely")
        #expect(try repository.mergeBase(main, lonely) == nil)
        #expect(try repository.isAncestor(root, of: lonely) == false)
    }

    @Test func commitsReachableExcludingMatchesRevList() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["checkout", "--quiet", "-b", "side", "HEAD~2"])
        try repo.commit(files: ["a.txt": "a\n"], message: "a")
        try repo.commit(files: ["b.txt": "b\n"], message: "b")
        try repo.git(["merge", "--quiet", "--no-ff", "-m", "merge main", "main"])
        let repository = try repo.open()
        let side = try repository.resolveCommit("side")
        let main = try repository.resolveCommit("main")
        let root = try repository.resolveCommit("main~2")
        let cases: [[ObjectID]] = [[], [main], [root], [main, root], [side]]
        for excluded in cases {
            let gitOutput = try repo.git(["rev-list", side.hex] + excluded.map { "^\($0.hex)" })
            let expected = try gitOutput.split(separator: "\n").map { try objectID(String($0)) }
            let actual = try repository.commits(reachableFrom: side, excluding: excluded)
            #expect(Set(actual) == Set(expected), "excluding \(excluded.map(\.short))")
            #expect(actual.count == expected.count)
            #expect(actual.first == (expected.isEmpty ? nil : side))
        }
        // Annotated tag objects (as pre-push gets them for tags) are peeled on both sides.
        try repo.git(["tag", "-a", "-m", "t", "tagged-side", "side~1"])
        try repo.git(["tag", "-a", "-m", "t", "tagged-main", "main~1"])
        let sideTag = try objectID(repo.git(["rev-parse", "tagged-side"]))
        let mainTag = try objectID(repo.git(["rev-parse", "tagged-main"]))
        let tagged = try repo.git(["rev-list", "tagged-side", "^tagged-main"]).split(separator: "\n").map {
            try objectID(String($0))
        }
        #expect(Set(try repository.commits(reachableFrom: sideTag, excluding: [mainTag])) == Set(tagged))
        #expect(!tagged.isEmpty)
        // A remote tip we never fetched, and the all-zero id of a new branch, exclude nothing.
        let unknown = try objectID(String(repeating: "ab", count: 20))
        #expect(try repository.commits(reachableFrom: main, excluding: [unknown, .zero]).count == 3)
    }
}
