import Foundation
import TestSupport
import Testing

/// `modelgate deployed`, `deployments` and `releases --env --at` on real repositories, the notes
/// carried by `git` itself and union-merged by `modelgate sync`.
@Suite struct DeploymentTests {
    static let image = "registry.example/demo@sha256:" + String(repeating: "ab", count: 32)

    /// A fixture with two passing commits (`first`, `second`) and the deployer's e-mail set.
    func fixture() throws -> (HookFixture, first: String, second: String) {
        let fixture = try HookFixture()
        #expect(try fixture.modelgate(["run"]).status == 0)
        let first = try fixture.head()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows").status == 0)
        let second = try fixture.head()
        #expect(try fixture.modelgate(["show", "--json"]).status == 0)
        try fixture.repo.git(["config", "user.email", "cd@example.com"])
        return (fixture, first, second)
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// What `releases --env ENV --at TIME --json` says served ENV then (the commit), or the exit status.
    func served(_ fixture: HookFixture, _ env: String, at time: String, in directory: URL? = nil) throws
        -> String
    {
        let result = try fixture.modelgate(["releases", "--env", env, "--at", time, "--json"], in: directory)
        guard result.status == 0 else { return "exit \(result.status)" }
        return (try json(result.stdout) as? [String: Any])?["commit"] as? String ?? "no commit"
    }

    @Test func threeDeploymentsTwoEnvironmentsAndARollbackAnswerWhatServed() throws {
        let (fixture, first, second) = try fixture()
        let staging = try fixture.modelgate([
            "deployed", "--env", "staging", "--rev", first, "--at", "2026-01-01 10:00",
        ])
        #expect(staging.status == 0, "\(staging.stderr)")
        #expect(
            staging.stdout
                == "recorded: \(first.prefix(7)) live in staging since 2026-01-01T10:00:00Z by cd@example.com\n"
        )
        let production = try fixture.modelgate([
            "deployed", "--env", "production", "--at", "2026-01-02T11:00:00+01:00", "--by", "deploy-bot",
            "--image", Self.image, "--json",
        ])
        #expect(production.status == 0, "\(production.stderr)")
        let recorded = try json(production.stdout) as? [String: Any]
        #expect(recorded?["commit"] as? String == second)
        #expect(recorded?["at"] as? String == "2026-01-02T10:00:00Z")
        #expect(recorded?["image"] as? String == Self.image)
        #expect(recorded?["tag"] is NSNull)
        // The rollback: the older commit goes live again.
        let rollback = try fixture.modelgate([
            "deployed", "--env", "production", "--rev", first, "--at", "2026-01-03",
        ])
        #expect(rollback.status == 0, "\(rollback.stderr)")

        #expect(try served(fixture, "production", at: "2026-01-02T09:59:59Z") == "exit 1")
        #expect(try served(fixture, "production", at: "2026-01-02T10:00:00Z") == second)
        #expect(try served(fixture, "production", at: "2026-01-02 23:59") == second)
        #expect(try served(fixture, "production", at: "2026-01-03T00:00:00Z") == first)
        #expect(try served(fixture, "staging", at: "2027-01-01") == first)
        let nothing = try fixture.modelgate(["releases", "--env", "production", "--at", "2025-12-31"])
        #expect(nothing.status == 1)
        #expect(
            nothing.stderr.contains("nothing was deployed to production at or before 2025-12-31T00:00:00Z"))
        let text = try fixture.modelgate(["releases", "--env", "production", "--at", "2026-01-02 12:00"])
        #expect(
            text.stdout.contains(
                "\(second)  production  from 2026-01-02T10:00:00Z until 2026-01-03T00:00:00Z"))

        // The history, newest first, each until the next deployment in its environment.
        let list = try fixture.modelgate(["deployments", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let periods = try #require(try json(list.stdout) as? [[String: Any]])
        #expect(periods.map { $0["env"] as? String } == ["production", "production", "staging"])
        #expect(periods.map { $0["commit"] as? String } == [first, second, first])
        #expect(periods[0]["until"] is NSNull)
        #expect(periods[0]["live"] as? Bool == true)
        #expect(periods[1]["until"] as? String == "2026-01-03T00:00:00Z")
        #expect(periods[2]["by"] as? String == "cd@example.com")
        let only = try fixture.modelgate(["deployments", "--env", "staging"])
        #expect(
            only.stdout == "staging  \(first.prefix(7))  2026-01-01T10:00:00Z → live now  cd@example.com\n")

        // Stored as one JSON line per event on the deployed commit, read back by git itself.
        let note = try fixture.repo.git(["notes", "--ref=modelgate-deployments", "show", first])
        #expect(
            note.split(separator: "\n") == [
                #"{"at":"2026-01-01T10:00:00Z","by":"cd@example.com","commit":"\#(first)","env":"staging","image":null,"tag":null}"#,
                #"{"at":"2026-01-03T00:00:00Z","by":"cd@example.com","commit":"\#(first)","env":"production","image":null,"tag":null}"#,
            ])
        // The same event again adds nothing.
        let again = try fixture.modelgate([
            "deployed", "--env", "staging", "--rev", first, "--at", "2026-01-01 10:00",
        ])
        #expect(again.stdout.hasPrefix("already recorded"))
        #expect(try fixture.repo.git(["notes", "--ref=modelgate-deployments", "show", first]) == note)
    }

    @Test func deploymentsInTheSameSecondAreOrderedByTheirLines() throws {
        let (fixture, first, second) = try fixture()
        for commit in [first, second] {
            let result = try fixture.modelgate([
                "deployed", "--env", "production", "--rev", commit, "--at", "2026-02-01T12:00:00Z",
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        // Same time, same deployer: the line with the larger commit id sorts last and counts as later.
        let later = max(first, second)
        let earlier = min(first, second)
        #expect(try served(fixture, "production", at: "2026-02-01T12:00:00Z") == later)
        let periods = try #require(
            try json(try fixture.modelgate(["deployments", "--json"]).stdout) as? [[String: Any]])
        #expect(periods.map { $0["commit"] as? String } == [later, earlier])
        #expect(periods[1]["until"] as? String == "2026-02-01T12:00:00Z")
    }

    @Test func releaseTagsAreRecordedAsTagsAndUnblessedCommitsAreRefused() throws {
        let (fixture, first, _) = try fixture()
        try fixture.repo.git([
            "tag", "-a", "demo@v1", "-m", "release\n\nModelgate-Environment: production", first,
        ])
        // Without deployment records, what served an environment is its latest release tag then.
        let fromTag = try fixture.modelgate([
            "releases", "--env", "production", "--at", "2999-01-01", "--json",
        ])
        #expect(fromTag.status == 0, "\(fromTag.stderr)")
        let answer = try json(fromTag.stdout) as? [String: Any]
        #expect(answer?["source"] as? String == "release")
        #expect(answer?["commit"] as? String == first)
        #expect(answer?["tag"] as? String == "demo@v1")
        #expect(try served(fixture, "production", at: "1971-01-01") == "exit 1")
        let tagged = try fixture.modelgate(["deployed", "demo@v1", "--env", "production", "--json"])
        #expect(tagged.status == 0, "\(tagged.stderr)")
        let recorded = try json(tagged.stdout) as? [String: Any]
        #expect(recorded?["tag"] as? String == "demo@v1")
        #expect(recorded?["commit"] as? String == first)
        #expect(
            (try json(
                try fixture.modelgate(["releases", "--env", "production", "--at", "2999-01-01", "--json"])
                    .stdout)
                as? [String: Any])?["source"] as? String == "deployment")
        let plain = try fixture.modelgate(["deployed", "HEAD", "--env", "production"])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("'HEAD' is not a release tag: there is no such tag"))

        // A failing commit is refused (exit 1) and nothing is written; --force records it.
        #expect(
            try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "bad", extra: ["--no-verify"]
            ).status == 0)
        #expect(try fixture.modelgate(["run"]).status == 1)
        let before = try fixture.repo.git(["rev-parse", "refs/notes/modelgate-deployments"])
        let refused = try fixture.modelgate(["deployed", "--env", "production"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not recorded:"))
        #expect(refused.stderr.contains("did not pass its gates"), "\(refused.stderr)")
        #expect(try fixture.repo.git(["rev-parse", "refs/notes/modelgate-deployments"]) == before)
        let forced = try fixture.modelgate(["deployed", "--env", "production", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test func concurrentRecordersOnOneCommitAllLand() throws {
        let (fixture, first, _) = try fixture()
        let binary = try ModelgateBinary.url.path
        let processes = try (1...8).map { region in
            try ProcessRunner.start(
                binary, ["deployed", "--env", "region-\(region)", "--rev", first, "--at", "2026-05-01"],
                in: fixture.repo.url, environment: fixture.repo.gitEnvironment())
        }
        for process in processes {
            let result = try process.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        let lines = try fixture.repo.git(["notes", "--ref=modelgate-deployments", "show", first])
            .split(separator: "\n")
        #expect(lines.count == 8, "\(lines)")
    }

    @Test func underATrustPolicyOnlyATrustedVerdictIsRecordedForcedOrNot() throws {
        let fixture = try TrustFixture(require: "release")
        try fixture.commitRows(3)
        #expect(try fixture.modelgate(["run"]).status == 0)
        for extra in [[], ["--force"]] {
            let refused = try fixture.modelgate(["deployed", "--env", "production", "--by", "cd"] + extra)
            #expect(refused.status == 1, "\(extra): \(refused.stderr)")
            #expect(
                refused.stderr.contains("has no trusted verdict (trust.require has 'release'): unsigned"),
                "\(refused.stderr)")
        }
        #expect(
            try fixture.repo.gitResult([
                "rev-parse", "--verify", "--quiet", "refs/notes/modelgate-deployments",
            ]).status == 1)
        #expect(try fixture.modelgate(["sign", "--key", fixture.ci.privateKey.path]).status == 0)
        let trusted = try fixture.modelgate(["deployed", "--env", "production", "--by", "cd"])
        #expect(trusted.status == 0, "\(trusted.stderr)")
    }

    @Test func badInputIsRefusedWithExitTwoAndNothingWritten() throws {
        let (fixture, _, _) = try fixture()
        let cases: [([String], String)] = [
            (["--env", "prod uction"], "not a valid environment: the environment name holds whitespace"),
            (["--env", ""], "not a valid environment: the environment name is empty"),
            (["--env", "prod\u{1b}[31m"], "a control, line-break or invisible character"),
            (["--env", "production", "--at", "yesterday"], "'yesterday' is not a time"),
            (["--env", "production", "--at", "2026-02-30"], "'2026-02-30' is not a time"),
            (["--env", "production", "--at", "2999-01-01"], "2999-01-01T00:00:00Z is in the future"),
            (["--env", "production", "--image", "registry.example/demo:latest"], "is not REF@sha256:DIGEST"),
            (["--env", "production", "--image", "demo@sha256:abc"], "has no sha256 digest"),
            (["--env", "production", "--by", "a\nb"], "the deployer (--by) holds U+000A"),
        ]
        for (arguments, message) in cases {
            let result = try fixture.modelgate(["deployed"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        try fixture.repo.git(["config", "--unset", "user.email"])
        // No identity anywhere: an empty home, so no ~/.gitconfig either.
        let home = fixture.repo.directory.appending("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let anonymous = try fixture.modelgate(
            ["deployed", "--env", "production"],
            environment: ["HOME": home.path, "XDG_CONFIG_HOME": home.path])
        #expect(anonymous.status == 2)
        #expect(anonymous.stderr.contains("pass --by you@example.com"))
        #expect(
            try fixture.repo.gitResult([
                "rev-parse", "--verify", "--quiet", "refs/notes/modelgate-deployments",
            ]).status == 1)
        let usage = try fixture.modelgate(["releases", "--at", "2026-01-01"])
        #expect(usage.status == 64)
    }

    @Test func gitCarriesTheNotesAndSyncUnionsConcurrentDeployments() throws {
        let (fixture, first, second) = try fixture()
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        #expect(
            try fixture.repo.git(["config", "--get-all", "remote.origin.fetch"]).contains(
                "+refs/notes/modelgate*:refs/notes/remotes/origin/modelgate*"))
        #expect(try fixture.modelgate(["sync"]).status == 0)
        #expect(
            try fixture.modelgate(["deployed", "--env", "staging", "--rev", first, "--at", "2026-03-01"])
                .status == 0)
        // git itself pushes the notes ref, and a clone's plain fetch (install's refspec) brings it.
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "refs/notes/modelgate-deployments"])
        let clone = fixture.repo.directory.appending("clone")
        try fixture.repo.git(
            ["clone", "--quiet", fixture.remote.path, clone.path], in: fixture.repo.directory.url)
        #expect(try fixture.modelgate(["install"], in: clone).status == 0)
        try fixture.repo.git(["fetch", "--quiet", "origin"], in: clone)
        #expect(try served(fixture, "staging", at: "2026-03-02", in: clone) == first)

        // Both clones record a deployment at the same time, on the same commit and on another.
        try fixture.repo.git(["config", "user.email", "other@example.com"], in: clone)
        for (directory, env) in [(fixture.repo.url, "production"), (clone, "canary")] {
            let result = try fixture.modelgate(
                ["deployed", "--env", env, "--rev", first, "--at", "2026-03-05", "--force"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(
            try fixture.modelgate(
                ["deployed", "--env", "production", "--rev", second, "--at", "2026-03-06", "--force"],
                in: clone
            )
            .status == 0)
        let here = try fixture.modelgate(["sync"])
        #expect(here.status == 0, "\(here.stderr)")
        let there = try fixture.modelgate(["sync"], in: clone)
        #expect(there.status == 0, "\(there.stderr)")
        #expect(try fixture.modelgate(["sync"]).status == 0)
        for directory in [fixture.repo.url, clone] {
            // The local refs alone (tracking refs removed) hold every line from both sides.
            _ = try? fixture.repo.git(
                ["update-ref", "-d", "refs/notes/remotes/origin/modelgate-deployments"], in: directory)
            let lines = try fixture.repo.git(
                ["notes", "--ref=modelgate-deployments", "show", first], in: directory
            )
            .split(separator: "\n")
            #expect(lines.count == 3, "\(lines)")
            #expect(lines.contains { $0.contains(#""env":"canary""#) && $0.contains("other@example.com") })
            #expect(lines.contains { $0.contains(#""env":"production""#) && $0.contains("cd@example.com") })
            #expect(try served(fixture, "production", at: "2026-03-07", in: directory) == second)
            #expect(try served(fixture, "canary", at: "2026-03-07", in: directory) == first)
        }
        #expect(
            try fixture.remoteRef("refs/notes/modelgate-deployments")
                == (try fixture.repo.git(["rev-parse", "refs/notes/modelgate-deployments"])))
    }

    @Test func hostileNoteLinesAreSkippedWithWarnings() throws {
        let (fixture, first, second) = try fixture()
        let good =
            #"{"at":"2026-04-01T00:00:00Z","by":"cd@example.com","commit":"\#(first)","env":"production","image":null,"tag":null}"#
        let lines = [
            good,
            "not json at all",
            #"{"at":"2026-04-02T00:00:00Z","by":"x","commit":"\#(first)","env":"production","extra":1}"#,
            #"{"at":"2026-04-02T00:00:00Z","by":"x","commit":"\#(second)","env":"production"}"#,
            #"{"at":"2026-04-02","by":"x","commit":"\#(first)","env":"production"}"#,
            #"{"at":"2026-04-02T00:00:00Z","by":7,"commit":"\#(first)","env":"production"}"#,
            #"{"at":"2026-04-02T00:00:00Z","by":"x","commit":"\#(first)","env":"prod uction"}"#,
            #"{"at":"2026-04-02T00:00:00Z","by":"x","commit":"\#(first)","env":"production","image":"x@sha256:1"}"#,
            "{\"at\":\"2026-04-02T00:00:00Z\",\"by\":\"" + String(repeating: "y", count: 5_000) + "\"}",
            "[1,2,3]",
        ]
        try fixture.repo.git([
            "notes", "--ref=modelgate-deployments", "add", "-f", "-m", lines.joined(separator: "\n"), first,
        ])
        let result = try fixture.modelgate(["deployments", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let periods = try #require(try json(result.stdout) as? [[String: Any]])
        #expect(periods.count == 1)
        #expect(periods.first?["from"] as? String == "2026-04-01T00:00:00Z")
        for expected in [
            "line 2: it is not a JSON object", "line 3: it has an unknown field 'extra'",
            "line 4: it names commit \(second.prefix(7)), not the commit it is attached to",
            "line 5: its 'at' is not an RFC 3339 UTC time", "line 6: its 'by' is not a string",
            "line 7: the environment name holds whitespace",
            "line 8: the image 'x@sha256:1' has no sha256 digest",
            "line 9: it is 5", "line 10: it is not a JSON object",
        ] {
            #expect(
                result.stderr.contains("warning: deployment note on \(first.prefix(7)): \(expected)"),
                "\(expected)\n\(result.stderr)")
        }
        // A note that is not UTF-8 is skipped whole; recording on it leaves out what no one could read.
        let badNote = fixture.repo.directory.appending("bad.note")
        try Data([0xFF, 0xFE, 0x0A]).write(to: badNote)
        try fixture.repo.git([
            "notes", "--ref=modelgate-deployments", "add", "-f", "-F", badNote.path, second,
        ])
        let bad = try fixture.modelgate(["deployments"])
        #expect(bad.status == 0)
        #expect(
            bad.stderr.contains("deployment note on \(second.prefix(7)): the note is not valid UTF-8 text"),
            "\(bad.stderr)")
        let onBad = try fixture.modelgate(["deployed", "--env", "staging", "--at", "2026-04-03"])
        #expect(onBad.status == 0, "\(onBad.stderr)")
        #expect(onBad.stderr.contains("had 1 line(s) that were not UTF-8 text"))
        // Recording on a note with unreadable lines keeps them as they are.
        #expect(
            try fixture.modelgate(["deployed", "--env", "staging", "--rev", first, "--at", "2026-04-03"])
                .status == 0)
        let kept = try fixture.repo.git(["notes", "--ref=modelgate-deployments", "show", first])
        #expect(kept.contains("not json at all"))
        #expect(kept.split(separator: "\n").count == lines.count + 1)
    }
}
