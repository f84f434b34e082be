import Foundation
import TestSupport
import Testing

/// The installed pre-commit hook, driven by `git commit`.
@Suite struct HookCommitTests {
    @Test func passingCommitIsAllowedAndFailingOneRefused() throws {
        let fixture = try HookFixture()
        let allowed = try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows")
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("modelgate: pass on the staged files: r2 0.93 (>= 0.92)"))
        #expect(fixture.runCount == 1)
        let before = try fixture.head()
        let refused = try fixture.commit(["data/a.csv": HookFixture.failingData], message: "fewer rows")
        #expect(refused.status != 0)
        #expect(try fixture.head() == before)
        #expect(refused.stderr.contains("modelgate: commit refused: 1 gate(s) failed on the staged files"))
        #expect(refused.stderr.contains("r2      0.91   >= 0.92"))
        #expect(refused.stderr.contains("changed: data/a.csv"))
        #expect(refused.stderr.contains("reproduce: modelgate run --staged"))
        #expect(refused.stderr.contains("skip once: git commit --no-verify, or MODELGATE_SKIP=1 git commit"))
        #expect(!refused.stderr.contains("\u{1B}["))  // not a terminal: no colours
        // The same staged inputs again: the verdict is reused, nothing runs.
        let again = try fixture.repo.gitResult(["commit", "--quiet", "-m", "fewer rows"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("cached verdict"))
        #expect(fixture.runCount == 2)
    }

    /// An amend replaces HEAD, so a change bound is measured from HEAD's parent: amending
    /// cannot spend the allowed drop again on top of the commit it replaces.
    @Test func anAmendIsJudgedAgainstTheParentOfTheCommitItReplaces() throws {
        let repo = try TemporaryRepository()
        let counter = repo.directory.appending("runs.log").path
        // r2 = 0.9 followed by the row count: 9 rows 0.99, 7 rows 0.97, 5 rows 0.95.
        func rows(_ count: Int) -> String { "x\n" + (1...count).map { "\($0)\n" }.joined() }
        try repo.commit(
            files: [
                "modelgate.yml": ScoringPipeline.config(
                    timeout: "20s", extra: "gates:\n  - {metric: r2, max_drop: 0.03}\n"),
                "score.sh": ScoringPipeline.script(counter: counter, testRows: false),
                "data/a.csv": rows(9),
            ], message: "model")
        func modelgate(_ arguments: [String]) throws -> ProcessResult {
            try ModelgateBinary.run(arguments, in: repo.url, environment: repo.gitEnvironment())
        }
        #expect(try modelgate(["install"]).status == 0)
        #expect(try modelgate(["run"]).status == 0)  // the baseline: r2 0.99

        try repo.write(["data/a.csv": rows(7)])
        try repo.git(["add", "data/a.csv"])
        let first = try repo.gitResult(["commit", "--quiet", "-m", "fewer rows"])
        #expect(first.status == 0, "\(first.stderr)")  // 0.97: a drop of 0.02 from 0.99
        let replaced = try repo.git(["rev-parse", "HEAD"])

        // 0.95 is 0.02 below the commit being replaced but 0.04 below its parent: refused.
        try repo.write(["data/a.csv": rows(5)])
        try repo.git(["add", "data/a.csv"])
        let amend = try repo.gitResult(["commit", "--quiet", "--amend", "--no-edit"])
        #expect(amend.status != 0, "\(amend.stderr)")
        #expect(amend.stderr.contains("commit refused"), "\(amend.stderr)")
        #expect(amend.stderr.contains("reproduce: modelgate run --staged --amend"))
        #expect(try repo.git(["rev-parse", "HEAD"]) == replaced)
        let reproduced = try modelgate(["run", "--staged", "--amend"])
        #expect(reproduced.status == 1, "\(reproduced.stderr)")
        // The same staged files as a new commit on top are within the bound of their parent.
        let onTop = try repo.gitResult(["commit", "--quiet", "-m", "fewer still"])
        #expect(onTop.status == 0, "\(onTop.stderr)")
        // Through an alias too.
        try repo.git(["config", "alias.fix", "commit --amend --no-edit"])
        try repo.write(["data/a.csv": rows(3)])
        try repo.git(["add", "data/a.csv"])
        let aliased = try repo.gitResult(["fix", "--quiet"])
        #expect(aliased.status != 0 && aliased.stderr.contains("--amend"), "\(aliased.stderr)")
    }

    @Test func irrelevantCommitRunsNothingAndPrintsNothing() throws {
        let fixture = try HookFixture()
        // install already wrote the shim's shortcut for the committed config.
        let pathspec = try String(
            contentsOf: fixture.repo.url.appendingPathComponent(".git/modelgate/pre-commit.pathspec"),
            encoding: .utf8)
        #expect(
            pathspec.hasPrefix(
                "modelgate pathspec 1\nconfig \(try fixture.repo.git(["rev-parse", ":modelgate.yml"]))\n"))
        let result = try fixture.commit(["README.md": "words\n", "docs/guide.md": "x\n"], message: "docs")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(fixture.runCount == 0)
    }

    @Test func unstagedEditsAreUntouchedByARefusedCommit() throws {
        let fixture = try HookFixture()
        try fixture.repo.write(["data/a.csv": HookFixture.failingData])
        try fixture.repo.git(["add", "data/a.csv"])
        // Unstaged edits on top of the staged file, plus an untracked file.
        let unstaged = "x\n1\n2\n3\n4\nunsaved work\n"
        try fixture.repo.write(["data/a.csv": unstaged, "notes.txt": "untracked\n"])
        let status = try fixture.repo.git(["status", "--porcelain"])
        let diff = try fixture.repo.git(["diff"])
        let staged = try fixture.repo.git(["diff", "--cached"])
        let result = try fixture.repo.gitResult(["commit", "--quiet", "-m", "fewer rows"])
        #expect(result.status != 0)
        // The staged file (1 row), not the work tree's (4 rows), was judged.
        #expect(result.stderr.contains("r2      0.91"))
        #expect(try fixture.repo.read("data/a.csv") == unstaged)
        #expect(try fixture.repo.read("notes.txt") == "untracked\n")
        #expect(try fixture.repo.git(["status", "--porcelain"]) == status)
        #expect(try fixture.repo.git(["diff"]) == diff)
        #expect(try fixture.repo.git(["diff", "--cached"]) == staged)
        #expect(try fixture.repo.git(["stash", "list"]).isEmpty)
    }

    @Test func commitAllFromASubdirectoryJudgesTheTemporaryIndex() throws {
        let fixture = try HookFixture()
        let data = fixture.repo.url.appendingPathComponent("data")
        // `git commit -a` from data/: git hands the hook a temporary index with the edit in it.
        try fixture.repo.write(["data/a.csv": HookFixture.failingData])
        let refused = try fixture.repo.gitResult(["commit", "-a", "--quiet", "-m", "fewer"], in: data)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("commit refused"))
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n"])
        let allowed = try fixture.repo.gitResult(["commit", "-a", "--quiet", "-m", "more"], in: data)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("r2 0.93"))
    }

    @Test func committingOnlySomePathsJudgesWhatIsCommitted() throws {
        let fixture = try HookFixture()
        // A failing data file is staged, but `git commit README.md` commits only the README:
        // the temporary index git builds has HEAD's data, so there is nothing to judge.
        try fixture.repo.write(["data/a.csv": HookFixture.failingData, "README.md": "changed\n"])
        try fixture.repo.git(["add", "data/a.csv", "README.md"])
        let result = try fixture.repo.gitResult(["commit", "--quiet", "-m", "readme", "README.md"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(fixture.runCount == 0)
        #expect(try fixture.repo.git(["diff", "--cached", "--name-only"]) == "data/a.csv")
    }

    @Test func skipsWithTheEnvironmentVariableAndNoVerify() throws {
        let fixture = try HookFixture()
        let skipped = try fixture.commit(
            ["data/a.csv": HookFixture.failingData], message: "skip", environment: ["MODELGATE_SKIP": "1"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("modelgate: pre-commit check skipped (MODELGATE_SKIP=1)"))
        #expect(fixture.runCount == 0)
        let noVerify = try fixture.commit(["data/a.csv": "x\n"], message: "no verify", extra: ["--no-verify"])
        #expect(noVerify.status == 0)
        #expect(fixture.runCount == 0)
        // CI=true changes nothing: the gate still refuses.
        let ci = try fixture.commit(["data/a.csv": "x\n9\n"], message: "ci", environment: ["CI": "true"])
        #expect(ci.status != 0)
        #expect(ci.stderr.contains("commit refused"))
    }

    @Test func missingBinaryFailsClosedButTheFastPathNeedsNoBinary() throws {
        let fixture = try HookFixture(install: false)
        let bin = fixture.repo.directory.appending("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let copy = bin.appendingPathComponent("modelgate")
        // cp in its own process: a file this process has open for writing can leak into a child
        // that a parallel test forks, and exec would then fail with "Text file busy".
        let copied = try ProcessRunner.run("cp", [try ModelgateBinary.url.path, copy.path], in: bin)
        #expect(copied.status == 0)
        let install = try ProcessRunner.run(
            copy.path, ["install"], in: fixture.repo.url, environment: fixture.repo.gitEnvironment())
        #expect(install.status == 0, "\(install.stderr)")
        let path = "/usr/bin:/bin"  // no modelgate on it, as in a GUI client that skips the shell profile
        // The shim calls the binary by the absolute path recorded at install.
        let more = try fixture.commit(
            ["data/a.csv": "x\n1\n2\n3\n"], message: "more", environment: ["PATH": path])
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stderr.contains("modelgate: pass"))
        try FileManager.default.removeItem(at: copy)
        // Nothing relevant staged: the shim's pathspec answers without the binary.
        let docs = try fixture.commit(["README.md": "docs\n"], message: "docs", environment: ["PATH": path])
        #expect(docs.status == 0, "\(docs.stderr)")
        let before = try fixture.head()
        let data = try fixture.commit(
            ["data/a.csv": "x\n1\n2\n3\n4\n"], message: "data", environment: ["PATH": path])
        #expect(data.status != 0)
        #expect(try fixture.head() == before)
        let lines = data.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(
            data.stderr.contains(
                "modelgate: pre-commit refused: the modelgate binary is gone (installed as \(copy.path)"))
        #expect(data.stderr.contains("git commit --no-verify"))
        let push = try fixture.repo.gitResult(
            ["push", "--quiet", "origin", "main"], environment: ["PATH": path])
        #expect(push.status != 0)
        #expect(push.stderr.contains("modelgate: pre-push refused: the modelgate binary is gone"))
        #expect(try fixture.remoteRef("refs/heads/main") == nil)
    }

    @Test func theShimsShortcutFollowsTheStagedConfig() throws {
        let fixture = try HookFixture()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more").status == 0)
        let pathspec = fixture.repo.url.appendingPathComponent(".git/modelgate/pre-commit.pathspec")
        #expect(try String(contentsOf: pathspec, encoding: .utf8).contains(":(top,glob)data/*.csv\n"))
        // A new dependency arrives in a commit the hook did not see (so the shortcut is stale):
        // staging only that dependency must still be judged.
        let config = try fixture.repo.read("modelgate.yml").replacingOccurrences(
            of: "deps: [score.sh, \"data/*.csv\"]", with: "deps: [score.sh, \"data/*.csv\", \"flags/*.txt\"]")
        let script = try fixture.repo.read("score.sh").replacingOccurrences(
            of: "printf '{\"r2\": %s}' \"0.9$rows\" > metrics.json",
            with:
                "if grep -q bad flags/on.txt; then echo '{\"r2\": 0.1}'; else printf '{\"r2\": %s}' \"0.9$rows\"; fi > metrics.json"
        )
        #expect(
            try fixture.commit(
                ["modelgate.yml": config, "score.sh": script, "flags/on.txt": "good\n"], message: "flags",
                extra: ["--no-verify"]
            ).status == 0)
        let refused = try fixture.commit(["flags/on.txt": "bad\n"], message: "bad flag")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("r2      0.1"))
        #expect(try String(contentsOf: pathspec, encoding: .utf8).contains(":(top,glob)flags/*.txt\n"))
    }

    @Test func onATerminalProgressSpinsAndColoursObeyNoColor() throws {
        let fixture = try HookFixture()
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n"])
        try fixture.repo.git(["add", "data/a.csv"])
        // `script` gives the commit a terminal, as a developer's shell would.
        let plain = try ProcessRunner.run(
            "script", ["-qec", "git commit -q -m more", "/dev/null"], in: fixture.repo.url,
            environment: fixture.repo.gitEnvironment().merging(["NO_COLOR": "1", "TERM": "xterm"]) { _, new in
                new
            })
        #expect(plain.status == 0, "\(plain.stdout)")
        // live line: spinner, stage, elapsed
        #expect(plain.stdout.contains("⠙ modelgate [1/1] evaluate 0.0s"))
        #expect(plain.stdout.contains("\r\u{1B}[K"))
        #expect(!plain.stdout.contains("\u{1B}[32m"))
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n4\n"])
        try fixture.repo.git(["add", "data/a.csv"])
        // An empty NO_COLOR means colours (no-color.org); the test runner itself may set it.
        let coloured = try ProcessRunner.run(
            "script", ["-qec", "git commit -q -m more", "/dev/null"], in: fixture.repo.url,
            environment: fixture.repo.gitEnvironment().merging(["TERM": "xterm", "NO_COLOR": ""]) { _, new in
                new
            })
        #expect(coloured.status == 0, "\(coloured.stdout)")
        #expect(coloured.stdout.contains("modelgate: \u{1B}[32m✓\u{1B}[0m evaluate done"))
    }

    @Test func policyOffAndValidate() throws {
        let off = try HookFixture(policy: "off")
        #expect(try off.commit(["data/a.csv": HookFixture.failingData], message: "off").status == 0)
        #expect(off.runCount == 0)

        let validate = try HookFixture(policy: "validate")
        // No stage named 'validate': nothing runs, and the hook says so.
        let none = try validate.commit(["data/a.csv": HookFixture.failingData], message: "v")
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stderr.contains("modelgate.yml has no validate stage"))
        #expect(validate.runCount == 0)

        // With a 'validate' stage (a data check: no empty rows), only it runs, gates are not judged.
        let config = try validate.repo.read("modelgate.yml").replacingOccurrences(
            of: "stages:\n",
            with:
                "stages:\n  - name: validate\n    cmd: \"! grep -qx '' data/a.csv\"\n    deps: [\"data/*.csv\"]\n"
        )
        #expect(
            try validate.commit(["modelgate.yml": config], message: "validate", extra: ["--no-verify"]).status
                == 0)
        let checked = try validate.commit(["data/a.csv": "x\n1\n2\n"], message: "two rows")
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stderr.contains("modelgate: pass data checks (validate) on the staged files"))
        #expect(validate.runCount == 0)
        let refused = try validate.commit(["data/a.csv": "x\n\n1\n"], message: "empty row")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("modelgate: commit refused: data checks failed on the staged files"))
        #expect(refused.stderr.contains("stage 'validate' failed"))
        #expect(refused.stderr.contains("skip once: git commit --no-verify"))
        #expect(validate.runCount == 0)
    }

    @Test func validatePolicyRunsTheBuiltinDataChecksOnly() throws {
        let repo = try TemporaryRepository()
        let counter = repo.directory.appending("runs.log").path
        try repo.commit(
            files: [
                "modelgate.yml": """
                name: demo
                stages:
                  - name: check-data
                    builtin: validate
                    data: data/train.csv
                    columns: [a, y]
                    ranges: {a: [0, 10]}
                  - name: evaluate
                    cmd: sh score.sh
                    deps: [score.sh, "data/*.csv"]
                    metrics: metrics.json
                gates:
                  - {metric: r2, min: 0.9}
                hooks:
                  pre-commit: validate

                """,
                "data/train.csv": "a,y\n1,2\n2,4\n",
                "score.sh": "echo run >> '\(counter)'\nprintf '{\"r2\": 0.5}' > metrics.json\n",
            ], message: "initial")
        #expect(
            try ModelgateBinary.run(["install"], in: repo.url, environment: repo.gitEnvironment()).status == 0
        )
        try repo.write(["data/train.csv": "a,y\n1,2\n2,4\n3,6\n"])
        try repo.git(["add", "data/train.csv"])
        // The data checks pass; the r2 gate (failing) belongs to the full run at push.
        let allowed = try repo.gitResult(["commit", "--quiet", "-m", "more rows"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("modelgate: pass data checks (check-data) on the staged files"))
        try repo.write(["data/train.csv": "a,y\n1,2\n50,4\n"])
        try repo.git(["add", "data/train.csv"])
        let refused = try repo.gitResult(["commit", "--quiet", "-m", "out of range"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("modelgate: commit refused: data checks failed on the staged files"))
        #expect(refused.stderr.contains("data check 'check-data' found"))
        #expect(refused.stderr.contains("changed: data/train.csv"))
        #expect(!FileManager.default.fileExists(atPath: counter))  // the command stage never ran
    }

    @Test func aMergeInProgressIsNotTrainedAndSaysSo() throws {
        let fixture = try HookFixture()
        try fixture.repo.git(["checkout", "--quiet", "-b", "side"])
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "side").status == 0)
        try fixture.repo.git(["checkout", "--quiet", "main"])
        #expect(try fixture.commit(["data/a.csv": "x\n5\n6\n7\n8\n"], message: "main").status == 0)
        let runs = fixture.runCount
        let merge = try fixture.repo.gitResult(["merge", "--quiet", "side"])
        #expect(merge.status != 0)  // conflict
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n4\n5\n"])
        try fixture.repo.git(["add", "data/a.csv"])
        let result = try fixture.repo.gitResult(["commit", "--quiet", "--no-edit"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "modelgate: merge in progress; this step is not trained now (pre-push checks the tip you push)"
            ))
        #expect(fixture.runCount == runs)
    }
}
