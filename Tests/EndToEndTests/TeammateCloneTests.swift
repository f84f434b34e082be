import Foundation
import TestSupport
import Testing

/// A teammate's clone of a repository that already has `modelgate.yml`: `install` sets what run
/// records need there, `doctor` names what is missing with the fix.
@Suite struct TeammateCloneTests {
    @Test func installSetsTheNotesSettingsDoctorReportedMissing() throws {
        let fixture = try HookFixture()
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more rows").status == 0)
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        #expect(try fixture.modelgate(["sync"]).status == 0)
        let clone = fixture.repo.directory.appending("teammate")
        try fixture.repo.git(
            ["clone", "--quiet", "--branch", "main", fixture.remote.path, clone.path],
            in: fixture.repo.directory.url)

        let before = try fixture.modelgate(["doctor"], in: clone)
        #expect(before.status == 0, "\(before.stderr)")
        let refspec = "+refs/notes/modelgate*:refs/notes/remotes/origin/modelgate*"
        #expect(
            before.stdout.contains(
                "remote.origin.fetch lacks \(refspec), so NOT: 'git fetch origin' brings its run records"))
        #expect(
            before.stdout.contains(
                "fix: 'modelgate install' or git config --add remote.origin.fetch '\(refspec)'"))
        #expect(before.stdout.contains("notes.rewriteRef lacks refs/notes/modelgate"))
        let json = try fixture.modelgate(["doctor", "--json"], in: clone)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((report?["missingSettings"] as? [[String: Any]])?.count == 2)

        let install = try fixture.modelgate(["install"], in: clone)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("configured remote.origin.fetch = \(refspec)"))
        #expect(install.stdout.contains("configured notes.rewriteRef = refs/notes/modelgate"))
        let fetch = try fixture.repo.git(["config", "--get-all", "remote.origin.fetch"], in: clone)
        #expect(fetch.split(separator: "\n").contains { $0 == refspec[...] })
        // The branch refspec git wrote is kept, and no refspec forces the local notes ref.
        #expect(fetch.contains("+refs/heads/*:refs/remotes/origin/*"))
        #expect(!fetch.split(separator: "\n").contains { $0.hasSuffix(":refs/notes/modelgate") })
        let after = try fixture.modelgate(["doctor"], in: clone)
        #expect(after.stdout.contains("records      travel with 'git fetch' and 'modelgate sync'"))
        // Installing again adds nothing.
        let again = try fixture.modelgate(["install"], in: clone)
        #expect(!again.stdout.contains("configured"))

        // A plain fetch brings the records; amend keeps the commit's record.
        try fixture.repo.git(["fetch", "--quiet", "origin"], in: clone)
        let tracked = try fixture.repo.git(
            ["notes", "--ref=refs/notes/remotes/origin/modelgate", "show", "HEAD"], in: clone)
        #expect(tracked.contains("\"verdict\" : \"pass\""))
        #expect(try fixture.modelgate(["sync"], in: clone).status == 0)
        try fixture.repo.git(["commit", "--quiet", "--amend", "--no-verify", "-m", "reworded"], in: clone)
        let kept = try fixture.repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"], in: clone)
        #expect(kept.status == 0 && kept.stdout.contains("\"verdict\" : \"pass\""))
    }

    /// Hooks installed from a binary that is later deleted (`make clean`): doctor and the hook
    /// both say what to do.
    @Test func aDeletedBinaryIsReportedWithTheFix() throws {
        let fixture = try HookFixture(install: false)
        let copy = fixture.repo.directory.appending("tool/.build/debug/modelgate")
        try FileManager.default.createDirectory(
            at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try ModelgateBinary.url, to: copy)
        let path = "/usr/bin:/bin"  // no modelgate on it
        let install = try ProcessRunner.run(
            copy.path, ["install"], in: fixture.repo.url, environment: ["PATH": path])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("note: the hooks call this build (\(copy.path))"))
        #expect(install.stdout.contains("there is none: the hooks will refuse until one is installed"))
        try FileManager.default.removeItem(at: copy)

        let doctor = try fixture.modelgate(["doctor"], environment: ["PATH": path])
        #expect(
            doctor.stdout.contains(
                "binary \(copy.path) is gone and no modelgate is on PATH: the hook refuses (install modelgate, e.g. 'make install', then run 'modelgate install')"
            ))
        try fixture.repo.write(["data/a.csv": "x\n1\n2\n3\n"])
        try fixture.repo.git(["add", "data/a.csv"])
        let commit = try fixture.repo.gitResult(
            ["commit", "--quiet", "-m", "more"], environment: ["PATH": path])
        #expect(commit.status == 1)
        #expect(commit.stderr.contains("the modelgate binary is gone"))
        #expect(commit.stderr.contains("reinstall it and run 'modelgate install'"))
    }
}
