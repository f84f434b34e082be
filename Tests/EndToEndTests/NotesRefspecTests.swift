import Foundation
import TestSupport
import Testing

/// The one fetch refspec `init` / `install` set for every modelgate notes ref, checked with the
/// real `git fetch` against a bare remote: it never fails while the remote has no notes, brings
/// every kind once there are some, and replaces what an older modelgate wrote.
@Suite struct NotesRefspecTests {
    static let refspec = "+refs/notes/modelgate*:refs/notes/remotes/origin/modelgate*"
    static let outdated = [
        "+refs/notes/modelgate:refs/notes/remotes/origin/modelgate",
        "+refs/notes/modelgate-deployments*:refs/notes/remotes/origin/modelgate-deployments*",
    ]

    @Test func aPlainFetchWorksBeforeAnyNotesAndBringsEveryKindAfter() throws {
        let fixture = try HookFixture()
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        let clone = fixture.repo.directory.appending("teammate")
        try fixture.repo.git(
            ["clone", "--quiet", "--branch", "main", fixture.remote.path, clone.path],
            in: fixture.repo.directory.url)
        #expect(try fixture.modelgate(["install"], in: clone).status == 0)
        // The remote has no notes at all yet.
        for directory in [fixture.repo.url, clone] {
            let fetch = try fixture.repo.gitResult(["fetch", "origin"], in: directory)
            #expect(fetch.status == 0, "\(fetch.stderr)")
        }

        // The first clone records a run, a deployment and a signatures note, and syncs them.
        #expect(try fixture.modelgate(["run"]).status == 0)
        let deployed = try fixture.modelgate(["deployed", "--env", "staging", "--at", "2026-03-01"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        try fixture.repo.git(["notes", "--ref=modelgate-signatures", "add", "-m", "a signature line", "HEAD"])
        #expect(try fixture.modelgate(["sync"]).status == 0)

        let fetch = try fixture.repo.gitResult(["fetch", "origin"], in: clone)
        #expect(fetch.status == 0, "\(fetch.stderr)")
        for name in ["modelgate", "modelgate-signatures", "modelgate-deployments"] {
            let tracking = try fixture.repo.gitResult(
                ["rev-parse", "--verify", "--quiet", "refs/notes/remotes/origin/\(name)"], in: clone)
            #expect(tracking.status == 0, "no tracking ref for \(name)")
            #expect(try fixture.remoteRef("refs/notes/\(name)") == tracking.stdout.trimmed)
            // A fetch never writes the local notes refs.
            #expect(
                try fixture.repo.gitResult(
                    ["rev-parse", "--verify", "--quiet", "refs/notes/\(name)"], in: clone
                )
                .status != 0)
        }
        // Deployments are read from the tracking ref as they are; sync merges the rest.
        let deployments = try fixture.modelgate(["deployments"], in: clone)
        #expect(deployments.stdout.contains("staging"), "\(deployments.stdout)")
        #expect(try fixture.modelgate(["sync"], in: clone).status == 0)
        let record = try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"], in: clone)
        #expect(record.contains("\"verdict\" : \"pass\""))
        let signatures = try fixture.repo.git(
            ["notes", "--ref=modelgate-signatures", "show", "HEAD"], in: clone)
        #expect(signatures == "a signature line")
    }

    @Test func anOlderModelgatesRefspecsAreReplacedOnceAndTheUsersKept() throws {
        let fixture = try HookFixture(install: false)
        let mine = "+refs/heads/main:refs/remotes/origin/also-main"
        for value in [Self.outdated[0], mine, Self.outdated[1]] {
            try fixture.repo.git(["config", "--add", "remote.origin.fetch", value])
        }
        try fixture.repo.git(["config", "notes.rewriteRef", "refs/notes/modelgate"])
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        let broken = try fixture.repo.gitResult(["fetch", "origin"])
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("couldn't find remote ref refs/notes/modelgate"), "\(broken.stderr)")

        let doctor = try fixture.modelgate(["doctor"])
        #expect(doctor.stdout.contains("remote.origin.fetch lacks \(Self.refspec)"), "\(doctor.stdout)")
        #expect(
            doctor.stdout.contains(
                "git config --fixed-value --unset-all remote.origin.fetch '\(Self.outdated[0])' ; "))

        let install = try fixture.modelgate(["install"])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("configured remote.origin.fetch = \(Self.refspec)"))
        let expected = ["+refs/heads/*:refs/remotes/origin/*", mine, Self.refspec].joined(separator: "\n")
        #expect(try fixture.repo.git(["config", "--get-all", "remote.origin.fetch"]) == expected)
        let fetch = try fixture.repo.gitResult(["fetch", "origin"])
        #expect(fetch.status == 0, "\(fetch.stderr)")

        // Installing again changes nothing, and doctor agrees nothing is missing.
        let again = try fixture.modelgate(["install"])
        #expect(!again.stdout.contains("configured"))
        #expect(try fixture.repo.git(["config", "--get-all", "remote.origin.fetch"]) == expected)
        let after = try fixture.modelgate(["doctor"])
        #expect(
            after.stdout.contains("records      travel with 'git fetch' and 'modelgate sync'"),
            "\(after.stdout)")
    }

    /// The fix doctor prints, run by hand with the real `git`, migrates the same way.
    @Test func theCommandDoctorPrintsMigratesByHand() throws {
        let fixture = try HookFixture(install: false)
        try fixture.repo.git(["config", "--add", "remote.origin.fetch", Self.outdated[0]])
        try fixture.repo.git(["config", "notes.rewriteRef", "refs/notes/modelgate"])
        let doctor = try fixture.modelgate(["doctor"])
        let fix = try #require(
            doctor.stdout.split(separator: "\n").first { $0.contains("remote.origin.fetch lacks") }?
                .components(separatedBy: "fix: 'modelgate install' or ").last)
        let result = try ProcessRunner.run("/bin/sh", ["-c", fix], in: fixture.repo.url)
        #expect(result.status == 0, "\(result.output)")
        #expect(
            try fixture.repo.git(["config", "--get-all", "remote.origin.fetch"])
                == "+refs/heads/*:refs/remotes/origin/*\n\(Self.refspec)")
    }

    @Test func concurrentSignersOnOneCommitAllLand() throws {
        let fixture = try TrustFixture(require: "release")
        try fixture.commitRows(3)
        #expect(try fixture.modelgate(["run"]).status == 0)
        // Ed25519 signatures are deterministic: eight keys make eight different lines.
        let keys = try (1...8).map { try SSHKeyPair(named: "signer-\($0)", in: fixture.keys) }
        let binary = try ModelgateBinary.url.path
        let processes = try keys.map { key in
            try ProcessRunner.start(
                binary, ["sign", "--key", key.privateKey.path], in: fixture.repo.url,
                environment: fixture.repo.gitEnvironment())
        }
        for process in processes {
            let result = try process.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try fixture.signatureLines().count == 8)
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
