import Foundation
import TestSupport
import Testing

/// A verdict computed anywhere counts everywhere: the commit pre-commit judged gets its record
/// at once (post-commit), and a record that arrives by `sync` is a cache hit for its inputs in
/// any clone, on any commit with the same fingerprint.
@Suite struct SharedVerdictTests {
    @Test func theCommitThePreCommitHookJudgedHasItsRecordRightAfter() throws {
        let fixture = try HookFixture()
        let made = try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(fixture.runCount == 1)
        let head = try fixture.head()
        #expect(made.stderr.contains("modelgate: recorded the pass verdict on \(head.prefix(7))"))
        let note = try fixture.repo.gitResult(["notes", "--ref=modelgate", "show", head])
        #expect(note.status == 0)
        #expect(note.stdout.contains("\"verdict\" : \"pass\""))
        #expect(note.stdout.contains("\"commit\" : \"\(head)\""))
        // The marker is used once: an unrelated commit afterwards gets no record and runs nothing.
        #expect(try fixture.commit(["README.md": "more words\n"], message: "docs").status == 0)
        let docs = try fixture.repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"])
        #expect(docs.status != 0)
        #expect(fixture.runCount == 1)
    }

    /// Hooks outside the git directory (core.hooksPath) find the marker through git.
    @Test func theRecordIsMadeWithHooksElsewhereToo() throws {
        let fixture = try HookFixture(install: false)
        try fixture.repo.git(["config", "core.hooksPath", ".githooks"])
        #expect(try fixture.modelgate(["install"]).status == 0)
        let made = try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"]).contains(
                "\"verdict\" : \"pass\""))
    }

    /// An amend keeps a readable record: git copies the replaced commit's note to the new commit
    /// after post-commit ran (notes.rewriteRef), so post-commit must not write one there first
    /// (git would concatenate the two notes into one unreadable text).
    @Test func anAmendedCommitKeepsAReadableRecord() throws {
        let fixture = try HookFixture()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows").status == 0)
        let amend = try fixture.commit(
            ["data/a.csv": "x\n1\n2\n3\n4\n"], message: "even more rows", extra: ["--amend"])
        #expect(amend.status == 0, "\(amend.stderr)")
        #expect(fixture.runCount == 2)
        let show = try fixture.modelgate(["show", "HEAD", "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(!show.stdout.contains("unreadable"))
        // The copied record is the replaced commit's; the push replaces it with the amend's own
        // verdict, found by its inputs, without training again.
        let push = try fixture.repo.gitResult(["push", "origin", "main"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("(cached verdict from the run of "), "\(push.stderr)")
        #expect(fixture.runCount == 2)
        #expect(try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"]).contains("\"r2\" : 0.94"))
    }

    /// The scenario from the issue, in a fresh clone after `modelgate sync`: status knows the
    /// verdict, `run` trains nothing, and a README-only push reuses the parent's synced record.
    @Test func aSyncedRecordIsACacheHitInAFreshClone() throws {
        let fixture = try HookFixture()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows").status == 0)
        #expect(fixture.runCount == 1)
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        #expect(try fixture.modelgate(["sync"]).status == 0)

        let clone = fixture.repo.directory.appending("teammate")
        try fixture.repo.git(
            ["clone", "--quiet", "--branch", "main", fixture.remote.path, clone.path],
            in: fixture.repo.directory.url)
        #expect(try fixture.modelgate(["install"], in: clone).status == 0)
        let sync = try fixture.modelgate(["sync"], in: clone)
        #expect(sync.status == 0, "\(sync.stderr)")

        let status = try fixture.modelgate(["status"], in: clone)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("a verdict for these inputs is cached"))
        #expect(!status.stdout.contains("no verdict"))

        try Data("docs only\n".utf8).write(to: clone.appendingPathComponent("README.md"))
        try fixture.repo.git(["commit", "--quiet", "-am", "docs"], in: clone)
        let push = try fixture.repo.gitResult(["push", "origin", "main"], in: clone)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("modelgate: pass"))
        #expect(fixture.runCount == 1)
        // The reused verdict is now the pushed commit's own record.
        #expect(
            try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"], in: clone).contains(
                "\"verdict\" : \"pass\""))
        let run = try fixture.modelgate(["run", "--rev", "HEAD~1"], in: clone)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("inputs unchanged since an earlier run"))
        #expect(fixture.runCount == 1)
    }
}
