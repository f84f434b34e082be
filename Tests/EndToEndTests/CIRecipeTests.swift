import Foundation
import TestSupport
import Testing

/// `examples/ci/verdict.sh`, the script both CI recipes call, run for real in a scratch clone
/// whose `origin` is a bare repository on disk.
@Suite struct CIRecipeTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/ci/verdict.sh").path

    /// A CI job's clone of the fixture's remote, at `main`.
    func ciClone(_ fixture: HookFixture) throws -> URL {
        let clone = fixture.repo.directory.appending("ci")
        try fixture.repo.git(
            ["clone", "--quiet", "--branch", "main", fixture.remote.path, clone.path],
            in: fixture.repo.directory.url)
        return clone
    }

    func runScript(in clone: URL, fixture: HookFixture, sha: String, extra: [String: String] = [:]) throws
        -> ProcessResult
    {
        var environment = fixture.repo.gitEnvironment()
        environment["SHA"] = sha
        environment["MODELGATE_BIN"] = try ModelgateBinary.url.path
        environment["GITHUB_STEP_SUMMARY"] = fixture.repo.directory.appending("summary.md").path
        environment["MODELGATE_SITE_URL"] = "https://ci.example/site"
        environment["MODELGATE_SIGNING_KEY"] = ""
        environment.merge(extra) { _, new in new }
        return try ProcessRunner.run("/bin/sh", [Self.script], in: clone, environment: environment)
    }

    @Test func theScriptJudgesSharesAndReportsACommit() throws {
        let fixture = try HookFixture(install: false)
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n"])
        try fixture.repo.git(["commit", "--quiet", "-am", "more rows"])
        try fixture.repo.git(["push", "--quiet", "origin", "main"])
        let sha = try fixture.head()
        let clone = try ciClone(fixture)

        let result = try runScript(in: clone, fixture: fixture, sha: sha)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(fixture.runCount == 1)
        // The verdict is on the remote, as the commit's note.
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", sha], in: fixture.remote)
        #expect(note.contains("\"verdict\" : \"pass\""))
        // The step summary and the JUnit report.
        let summary = try String(
            contentsOf: fixture.repo.directory.appending("summary.md"), encoding: .utf8)
        #expect(summary.hasPrefix("<!-- modelgate-report -->"))
        #expect(summary.contains("modelgate: **pass**"))
        #expect(summary.contains("https://ci.example/site/commit/\(sha).html"))
        let junit = try String(
            contentsOf: clone.appendingPathComponent("modelgate-report/junit.xml"), encoding: .utf8)
        #expect(junit.contains("<testcase classname=\"modelgate.gates\" name=\"r2 &gt;= 0.92\""))

        // The developer syncs and pushes: the CI verdict is reused, nothing retrains.
        #expect(try fixture.modelgate(["sync"]).status == 0)
        #expect(try fixture.modelgate(["install"]).status == 0)
        try fixture.repo.write(["README.md": "docs\n"])
        try fixture.repo.git(["commit", "--quiet", "--no-verify", "-am", "docs"])
        let push = try fixture.repo.gitResult(["push", "origin", "main"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(fixture.runCount == 1)
    }

    /// A failing verdict fails the job, and is shared and reported all the same.
    @Test func aFailingVerdictFailsTheJobButIsShared() throws {
        let fixture = try HookFixture(install: false)
        try fixture.repo.write(["data/a.csv": HookFixture.failingData])
        try fixture.repo.git(["commit", "--quiet", "-am", "fewer rows"])
        try fixture.repo.git(["push", "--quiet", "origin", "main"])
        let sha = try fixture.head()
        let clone = try ciClone(fixture)
        let result = try runScript(in: clone, fixture: fixture, sha: sha)
        #expect(result.status == 1, "\(result.stderr)")
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", sha], in: fixture.remote)
        #expect(note.contains("\"verdict\" : \"fail\""))
        let junit = try String(
            contentsOf: clone.appendingPathComponent("modelgate-report/junit.xml"), encoding: .utf8)
        #expect(junit.contains("<failure type=\"gate\" message=\"r2 = 0.91, limit &gt;= 0.92"))
    }

    /// With a signing key set, the script signs, or refuses when this modelgate cannot sign:
    /// it never shares an unsigned verdict that was asked to be signed.
    @Test func aSigningKeyIsUsedOrTheJobRefuses() throws {
        let fixture = try HookFixture(install: false)
        try fixture.repo.git(["push", "--quiet", "origin", "main"])
        let clone = try ciClone(fixture)
        let canSign = try ModelgateBinary.run(["run", "--help"], in: clone).stdout.contains("--sign")
        let result = try runScript(
            in: clone, fixture: fixture, sha: try fixture.head(),
            extra: ["MODELGATE_SIGNING_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n"])
        // Either way the job fails and no verdict reaches the remote.
        #expect(result.status != 0)
        #expect(try fixture.remoteRef("refs/notes/modelgate") == nil)
        if !canSign {
            #expect(result.status == 2)
            #expect(result.stderr.contains("MODELGATE_SIGNING_KEY is set, but this modelgate cannot sign"))
            #expect(fixture.runCount == 0)
        }
    }
}
