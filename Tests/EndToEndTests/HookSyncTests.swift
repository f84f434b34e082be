import Foundation
import TestSupport
import Testing

/// `modelgate sync`: two clones with divergent notes converge without losing a record.
@Suite struct HookSyncTests {
    func record(commit: String, verdict: String, started: String) -> String {
        """
        {
          "commit" : "\(commit)",
          "duration_ms" : 5,
          "fingerprint" : "f-\(verdict)",
          "gates" : [],
          "inputs" : {},
          "metrics" : {"r2" : \(verdict == "pass" ? 0.95 : 0.5)},
          "schema" : 1,
          "source" : "rev",
          "stages" : [],
          "started" : "\(started)",
          "tool" : "modelgate 0.1.0",
          "verdict" : "\(verdict)"
        }

        """
    }

    @Test func divergentNotesMergeKeepingTheNewerRunAndTheOtherRecord() throws {
        let fixture = try HookFixture(install: false)
        let first = try fixture.head()
        try fixture.repo.commit(files: ["README.md": "two\n"], message: "second")
        let second = try fixture.head()
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        let clone = fixture.repo.directory.appending("clone")
        try fixture.repo.git(
            ["clone", "--quiet", fixture.remote.path, clone.path], in: fixture.repo.directory.url)

        // Here: an older failing run on `first`, and a note only here on `second`.
        let older = record(commit: first, verdict: "fail", started: "2026-01-01T10:00:00Z")
        let newer = record(commit: first, verdict: "pass", started: "2026-01-02T10:00:00Z")
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-m", older, first])
        try fixture.repo.git([
            "notes", "--ref=modelgate", "add", "-f", "-m",
            record(commit: second, verdict: "pass", started: "2026-01-03T00:00:00Z"), second,
        ])
        // There: a newer passing run on the same commit.
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-m", newer, first], in: clone)

        // A release tag (with modelgate's trailers) travels; a plain tag does not.
        try fixture.repo.git([
            "tag", "-a", "demo@v1", "-m", "release\n\nModelgate-Environment: production", first,
        ])
        try fixture.repo.git(["tag", "scratch", first])
        let here = try fixture.modelgate(["sync"])
        #expect(here.status == 0, "\(here.stderr)")
        #expect(here.stdout.contains("  records:            2 pushed (2 notes)"), "\(here.stdout)")
        #expect(here.stdout.contains("  release tags:       pushed demo@v1"))
        #expect(try fixture.remoteRef("refs/tags/demo@v1") != nil)
        #expect(try fixture.remoteRef("refs/tags/scratch") == nil)
        let there = try fixture.modelgate(["sync", "--json"], in: clone)
        #expect(there.status == 0, "\(there.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(there.stdout.utf8)) as? [String: Any]
        #expect(summary?["received"] as? Int == 1)
        #expect(summary?["conflicts"] as? Int == 1)
        // Its own note is the newer run.
        #expect(summary?["tookRemote"] as? Int == 0)
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate", "show", first], in: clone).contains(
                "\"verdict\" : \"pass\""))
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate", "show", second], in: clone).contains(
                "\"verdict\" : \"pass\""))
        let superseded = try fixture.repo.git(
            ["notes", "--ref=modelgate-superseded", "show", first], in: clone)
        #expect(superseded.contains("\"verdict\":\"fail\""))  // the older fail is kept, not lost

        // Back here: the newer pass replaces the local fail, which was already kept.
        let back = try fixture.modelgate(["sync", "--json"])
        #expect(back.status == 0, "\(back.stderr)")
        let backSummary = try JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as? [String: Any]
        #expect(backSummary?["tookRemote"] as? Int == 1)
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate", "show", first]).contains(
                "\"verdict\" : \"pass\""))
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate-superseded", "show", first]).contains(
                "\"verdict\":\"fail\""))
        // Both clones and the remote now agree, and local history was never rewritten.
        let local = try fixture.repo.git(["rev-parse", "refs/notes/modelgate"])
        #expect(try fixture.remoteRef("refs/notes/modelgate") == local)
        #expect(
            try fixture.repo.git([
                "merge-base", "--is-ancestor", "refs/notes/remotes/origin/modelgate", "refs/notes/modelgate",
            ]).isEmpty)
    }

    /// A collaborator's note over the record size limit is never read, nor one that is not UTF-8
    /// taken as text: the local record stays, and the superseded ref names the note's blob and
    /// the reason instead of copying its text.
    @Test(arguments: [true, false])
    func aNoteTooLargeOrNotUTF8LosesWithoutBeingRead(large: Bool) throws {
        let fixture = try HookFixture(install: false)
        let first = try fixture.head()
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        let clone = fixture.repo.directory.appending("clone")
        try fixture.repo.git(
            ["clone", "--quiet", fixture.remote.path, clone.path], in: fixture.repo.directory.url)
        let file = fixture.repo.directory.appending("big-note")
        let theirs = Data(record(commit: first, verdict: "pass", started: "2026-01-09T00:00:00Z").utf8)
        try (theirs + (large ? Data(repeating: 0x20, count: 10_000_000) : Data([0x20, 0xFF]))).write(to: file)
        let blob = try fixture.repo.git(["hash-object", "-w", file.path], in: clone)
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-C", blob, first], in: clone)
        #expect(try fixture.modelgate(["sync"], in: clone).status == 0)

        let mine = record(commit: first, verdict: "fail", started: "2026-01-01T10:00:00Z")
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-m", mine, first])
        let sync = try fixture.modelgate(["sync", "--json"])
        #expect(sync.status == 0, "\(sync.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(sync.stdout.utf8)) as? [String: Any]
        #expect(summary?["conflicts"] as? Int == 1)
        #expect(summary?["tookRemote"] as? Int == 0)
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate", "show", first]).contains(
                "\"verdict\" : \"fail\""))
        let superseded = try fixture.repo.git(["notes", "--ref=modelgate-superseded", "show", first])
        #expect(
            superseded
                == "{\"blob\": \"\(blob)\", \"unreadable\": \"\(large ? "the note is 10.0 MB; a run record is at most 4 MiB" : "it is not valid UTF-8 text")\"}"
        )
        let show = try fixture.modelgate(["show", first])
        #expect(show.status == 1 && show.stdout.contains("verdict: fail"))
    }

    @Test func unknownRemoteIsAnError() throws {
        let fixture = try HookFixture(install: false)
        let result = try fixture.modelgate(["sync", "nowhere"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("could not list the remote's notes"))
    }
}

/// `modelgate sync` says what it fetched and pushed, per notes ref and for release tags, and
/// "already up to date" when there was nothing to do.
@Suite struct SyncReportTests {
    func summary(_ result: ProcessResult) throws -> [String: Any] {
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// label → [fetched, merged, pushed, notes] of a `sync --json` summary.
    func counts(_ summary: [String: Any]) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for ref in summary["refs"] as? [[String: Any]] ?? [] {
            guard let label = ref["label"] as? String else { continue }
            result[label] = ["fetched", "merged", "pushed", "notes"].map { ref[$0] as? Int ?? -1 }
        }
        return result
    }

    @Test func syncReportsWhatItFetchedAndPushedPerRef() throws {
        let fixture = try HookFixture(install: false)
        let first = try fixture.head()
        try fixture.repo.commit(files: ["README.md": "two\n"], message: "second")
        let second = try fixture.head()
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        let clone = fixture.repo.directory.appending("clone")
        try fixture.repo.git(
            ["clone", "--quiet", fixture.remote.path, clone.path], in: fixture.repo.directory.url)

        // Here: a record on each commit, a signature line, a release tag; no deployments.
        for commit in [first, second] {
            try fixture.repo.git([
                "notes", "--ref=modelgate", "add", "-m",
                HookSyncTests().record(commit: commit, verdict: "pass", started: "2026-01-02T10:00:00Z"),
                commit,
            ])
        }
        try fixture.repo.git(["notes", "--ref=modelgate-signatures", "add", "-m", "sig line", first])
        try fixture.repo.git([
            "tag", "-a", "demo@v1", "-m", "release\n\nModelgate-Environment: production", first,
        ])
        let pushed = try summary(try fixture.modelgate(["sync", "--json"]))
        #expect(counts(pushed)["records"] == [0, 0, 2, 2])
        #expect(counts(pushed)["signatures"] == [0, 0, 1, 1])
        #expect(counts(pushed)["deployments"] == [0, 0, 0, 0])
        #expect(pushed["pushedTags"] as? [String] == ["demo@v1"])
        #expect(try fixture.remoteRef("refs/notes/modelgate-signatures") != nil)

        // Nothing new: every ref is up to date, and no tag counts as pushed again.
        let again = try fixture.modelgate(["sync"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.output == """
                synced with origin
                  records:            already up to date (2 notes)
                  superseded records: none
                  signatures:         already up to date (1 note)
                  deployments:        none
                  release tags:       already up to date
                """, "\(again.stdout)")
        let quiet = try summary(try fixture.modelgate(["sync", "--json"]))
        #expect(quiet["pushedTags"] as? [String] == [])
        #expect((quiet["refs"] as? [[String: Any]])?.allSatisfy { $0["upToDate"] as? Bool == true } == true)

        // The clone (made before the tags) fetches them all; its deployment goes back.
        try fixture.repo.git([
            "tag", "-a", "demo@v2", "-m", "release\n\nModelgate-Environment: staging", second,
        ])
        #expect(try fixture.modelgate(["sync"]).status == 0)
        try fixture.repo.git(
            ["notes", "--ref=modelgate-deployments", "add", "-m", "deployed line", second], in: clone)
        let there = try summary(try fixture.modelgate(["sync", "--json"], in: clone))
        #expect(counts(there)["records"] == [2, 0, 0, 2])
        #expect(counts(there)["signatures"] == [1, 0, 0, 1])
        #expect(counts(there)["deployments"] == [0, 0, 1, 1])
        #expect(there["fetchedTags"] as? [String] == ["demo@v1", "demo@v2"])
        #expect(there["pushedTags"] as? [String] == [])

        // Both sides add a line to the same signature note: merged here, then pushed.
        try fixture.repo.git(["notes", "--ref=modelgate-signatures", "append", "-m", "second sig", first])
        try fixture.repo.git(
            ["notes", "--ref=modelgate-signatures", "append", "-m", "third sig", first], in: clone)
        #expect(try fixture.modelgate(["sync"], in: clone).status == 0)
        let back = try fixture.modelgate(["sync"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout.contains("  signatures:         1 merged, 1 pushed (1 note)"), "\(back.stdout)")
        #expect(back.stdout.contains("  deployments:        1 fetched (1 note)"), "\(back.stdout)")
    }
}
