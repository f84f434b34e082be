import Foundation
import TestSupport
import Testing

/// The installed pre-push hook, driven by `git push` to a local bare remote.
@Suite struct HookPushTests {
    @Test func pushOfAPassingTipIsAllowedAndInstantOnceRecorded() throws {
        let fixture = try HookFixture()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more").status == 0)
        #expect(fixture.runCount == 1)
        // The commit's inputs were judged at commit time and post-commit recorded that verdict
        // on it: the push reads it.
        let first = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stderr.contains(
                "modelgate: pass branch main \(try fixture.head().prefix(7)) (recorded verdict)"))
        #expect(fixture.runCount == 1)
        #expect(try fixture.remoteRef("refs/heads/main") == (try fixture.head()))
        // The verdict is now a note on the commit; another push of the same tip reads it.
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        #expect(note.contains("\"verdict\" : \"pass\""))
        let second = try fixture.repo.gitResult(["push", "--quiet", "origin", "main:release"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(fixture.runCount == 1)
    }

    @Test func pushOfAFailingTipIsRefusedNamingRefAndCommit() throws {
        let fixture = try HookFixture()
        #expect(try fixture.repo.gitResult(["push", "--quiet", "origin", "main"]).status == 0)
        let pushed = try fixture.head()
        #expect(
            try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "bad", extra: ["--no-verify"]
            ).status == 0)
        let bad = try fixture.head()
        let result = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains(
                "modelgate: push refused: branch main at \(bad.prefix(7)) failed 1 gate(s) (ran the pipeline)"
            ))
        #expect(result.stderr.contains("r2      0.91   >= 0.92"))
        #expect(result.stderr.contains("changed: data/a.csv"))
        #expect(result.stderr.contains("reproduce: modelgate run --rev \(bad.prefix(7))"))
        #expect(result.stderr.contains("skip once: git push --no-verify, or MODELGATE_SKIP=1 git push"))
        #expect(try fixture.remoteRef("refs/heads/main") == pushed)
        // The failing verdict is recorded: refusing again runs nothing.
        let runs = fixture.runCount
        let again = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("(recorded verdict)"))
        #expect(fixture.runCount == runs)
        // Skipping once pushes.
        let skipped = try fixture.repo.gitResult(
            ["push", "--quiet", "origin", "main"], environment: ["MODELGATE_SKIP": "1"])
        #expect(skipped.status == 0)
        #expect(try fixture.remoteRef("refs/heads/main") == bad)
    }

    @Test func severalRefsInOnePushAreAllJudgedAndOneFailureBlocksAll() throws {
        let fixture = try HookFixture()
        #expect(try fixture.repo.gitResult(["push", "--quiet", "origin", "main"]).status == 0)
        try fixture.repo.git(["checkout", "--quiet", "-b", "good"])
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "good").status == 0)
        try fixture.repo.git(["branch", "good-copy"])
        try fixture.repo.git(["checkout", "--quiet", "-b", "bad", "main"])
        #expect(
            try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "bad", extra: ["--no-verify"]
            ).status == 0)
        let bad = try fixture.head()
        let result = try fixture.repo.gitResult(["push", "--quiet", "origin", "good", "good-copy", "bad"])
        #expect(result.status != 0)
        // one tip, judged once, both refs named
        #expect(result.stderr.contains("branch good, branch good-copy"))
        #expect(result.stderr.contains("push refused: branch bad at \(bad.prefix(7))"))
        #expect(!result.stderr.contains("push refused: branch good"))
        #expect(try fixture.remoteRef("refs/heads/good") == nil)  // pre-push refusal stops the whole push
        #expect(try fixture.remoteRef("refs/heads/bad") == nil)
    }

    @Test func tagsDeletionsAndNewBranchesWithoutNewCommitsAreNotJudged() throws {
        let fixture = try HookFixture()
        #expect(try fixture.repo.gitResult(["push", "--quiet", "origin", "main", "main:old"]).status == 0)
        let runs = fixture.runCount
        // The tip has no verdict yet, so judging it would run the stage: pushes that carry no
        // new commits must not.
        try fixture.repo.git(["tag", "-a", "v1", "-m", "release 1"])
        let tag = try fixture.repo.gitResult(["push", "--quiet", "origin", "v1"])
        #expect(tag.status == 0, "\(tag.stderr)")
        #expect(try fixture.remoteRef("refs/tags/v1") != nil)
        let newBranch = try fixture.repo.gitResult(["push", "--quiet", "origin", "main:feature"])
        #expect(newBranch.status == 0, "\(newBranch.stderr)")
        let deletion = try fixture.repo.gitResult(["push", "--quiet", "origin", ":old"])
        #expect(deletion.status == 0, "\(deletion.stderr)")
        #expect(try fixture.remoteRef("refs/heads/old") == nil)
        #expect(fixture.runCount == runs)
        // A new branch that does carry a new, failing commit is judged and refused.
        try fixture.repo.git(["checkout", "--quiet", "-b", "topic"])
        #expect(
            try fixture.commit(["data/a.csv": "x\n"], message: "empty data", extra: ["--no-verify"]).status
                == 0)
        let topic = try fixture.repo.gitResult(["push", "--quiet", "origin", "topic"])
        #expect(topic.status != 0)
        #expect(topic.stderr.contains("push refused: branch topic"))
        // A tag on that failing commit is judged as well.
        try fixture.repo.git(["tag", "v2"])
        let badTag = try fixture.repo.gitResult(["push", "--quiet", "origin", "v2"])
        #expect(badTag.status != 0)
        #expect(badTag.stderr.contains("push refused: tag v2"))
    }

    @Test func prePushPolicyOffLetsTheTipThroughAndSaysSo() throws {
        let fixture = try HookFixture(prePush: "off")
        let failing = ["data/a.csv": HookFixture.failingData]
        #expect(try fixture.commit(failing, message: "bad", extra: ["--no-verify"]).status == 0)
        let result = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("not checked (hooks.pre-push is off)"))
        #expect(fixture.runCount == 0)
    }

    @Test func prePushReadsEveryLineFromStandardInput() throws {
        let fixture = try HookFixture(install: false)
        let head = try fixture.head()
        let zero = String(repeating: "0", count: 40)
        let input = """
            refs/heads/main \(head) refs/heads/main \(zero)
            refs/heads/copy \(head) refs/heads/copy \(zero)
            (delete) \(zero) refs/heads/gone \(head)

            """
        let result = try fixture.modelgate(
            ["hook", "pre-push", "origin", fixture.remote.path], environment: [:])
        #expect(result.status == 0)  // no stdin lines: nothing to do
        let judged = try ProcessRunner.run(
            try ModelgateBinary.url.path, ["hook", "pre-push", "origin", fixture.remote.path],
            in: fixture.repo.url,
            environment: fixture.repo.gitEnvironment(), input: input)
        #expect(judged.status == 0, "\(judged.stderr)")
        #expect(
            judged.stderr.contains(
                "modelgate: pass branch main, branch copy \(head.prefix(7)) (ran the pipeline)"))
        #expect(fixture.runCount == 1)
        let malformed = try ProcessRunner.run(
            try ModelgateBinary.url.path, ["hook", "pre-push", "origin", "x"], in: fixture.repo.url,
            environment: fixture.repo.gitEnvironment(), input: "garbage\n")
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("pre-push got a line it cannot read: 'garbage'"))
    }
}
