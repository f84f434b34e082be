import Foundation
import TestSupport
import Testing

/// Behaviour a review found wrong once; each test reproduces the original report.
@Suite struct ReviewRegressionTests {
    @Test func aChangedGateIsJudgedAgainEvenWhenTheInputsAreCached() throws {
        let fixture = try RunTests.Fixture(gates: "  - {metric: r2, min: 0.9}\n")
        #expect(try fixture.run().status == 0)  // r2 0.92
        // Same stage inputs, stricter gate, committed without the hook.
        let config = try fixture.repo.read("modelgate.yml").replacingOccurrences(
            of: "min: 0.9", with: "min: 0.99")
        try fixture.repo.commit(files: ["modelgate.yml": config], message: "stricter")
        let release = try ModelgateBinary.run(["release", "demo@v1.0.0"], in: fixture.repo.url)
        #expect(release.status == 1, "\(release.stdout)")
        #expect(try fixture.repo.git(["tag", "-l"]).isEmpty)
        let deployable = try ModelgateBinary.run(["deployable"], in: fixture.repo.url)
        #expect(deployable.output == (try fixture.repo.git(["rev-parse", "HEAD~1"])))
        let run = try fixture.run()
        #expect(run.status == 1)
        #expect(run.stdout.contains("(cached)"))  // measurements reused, judgement made afresh
        #expect(fixture.runCount == 1)
    }

    @Test func aDriftGateWithoutABaselineIsNoBaselineNotMissing() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml":
                    "stages:\n  - {name: check, builtin: validate, data: d.csv, drift: true}\ngates:\n  - {metric: drift.psi.x, max: 0.2}\n",
                "d.csv": "x\n" + (1...200).map { "\($0 % 17)" }.joined(separator: "\n") + "\n",
            ], message: "first")
        let first = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"status\" : \"no-baseline\""))
        try repo.commit(
            files: ["d.csv": "x\n" + (1...200).map { "\(($0 * 7) % 17)" }.joined(separator: "\n") + "\n"],
            message: "second")
        let second = try ModelgateBinary.run(["run", "--json"], in: repo.url)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("drift.psi.x"))
    }

    @Test func theDriftBaselineIsAnInputOfTheValidateStage() throws {
        let repo = try TemporaryRepository()
        let config =
            "stages:\n  - {name: check, builtin: validate, data: d.csv, drift: true}\ngates:\n  - {metric: drift.psi.x, max: 0.2}\n"
        let a = "x\n" + (1...300).map { "\($0 % 10)" }.joined(separator: "\n") + "\n"
        let far = "x\n" + (1...300).map { "\(1000 + $0 % 10)" }.joined(separator: "\n") + "\n"
        try repo.commit(files: ["modelgate.yml": config, "d.csv": a], message: "a")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        try repo.commit(files: ["d.csv": a + "5\n"], message: "a2")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        // The same data as a2 on a branch whose baseline is far away: drift must be measured again.
        try repo.git(["checkout", "--quiet", "--orphan", "other"])
        try repo.commit(files: ["modelgate.yml": config, "d.csv": far], message: "far")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        try repo.commit(files: ["d.csv": a + "5\n"], message: "a2 again")
        let result = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(!result.stdout.contains("(cached)"))
        #expect(result.status == 1)
    }

    @Test func aBranchFastForwardedToACommitPushedUnderAnotherNameIsChecked() throws {
        let fixture = try HookFixture()
        #expect(try fixture.repo.gitResult(["push", "--quiet", "origin", "main"]).status == 0)
        try fixture.repo.git(["checkout", "--quiet", "-b", "wip"])
        #expect(
            try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "bad", extra: ["--no-verify"]
            )
            .status == 0)
        #expect(try fixture.repo.gitResult(["push", "--quiet", "--no-verify", "origin", "wip"]).status == 0)
        try fixture.repo.git(["checkout", "--quiet", "main"])
        try fixture.repo.git(["merge", "--quiet", "--ff-only", "wip"])
        let push = try fixture.repo.gitResult(["push", "--quiet", "origin", "main"])
        #expect(push.status != 0)
        #expect(push.stderr.contains("push refused: branch main"))
        #expect(try fixture.remoteRef("refs/heads/main") != (try fixture.head()))
    }

    @Test func aStageCannotReachTheUsersRepositoryThroughGit() throws {
        let fixture = try RunTests.Fixture(
            script:
                "git rev-parse --git-dir >/dev/null 2>&1 && echo reached-user-repo || echo no-repository\nprintf '{\"r2\": 0.95}' > metrics.json\n"
        )
        let result = try fixture.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("evaluate | no-repository"))
    }

    @Test func anEndlessTimeoutIsBadInput() throws {
        for value in ["inf", "nan", "1e300", "1000000h"] {
            let repo = try TemporaryRepository()
            try repo.commit(
                files: ["modelgate.yml": "stages:\n  - {name: t, cmd: ./t.sh, timeout: \(value)}\n"],
                message: "c")
            let result = try ModelgateBinary.run(["run"], in: repo.url)
            #expect(result.status == 2, "\(value): \(result.stderr)")
            #expect(result.stderr.contains("is not a duration"))
        }
    }
}
