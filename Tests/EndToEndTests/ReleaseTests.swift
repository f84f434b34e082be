import Foundation
import TestSupport
import Testing

/// `modelgate release`, `releases` and `deployable` on real repositories, checked with git itself.
@Suite struct ReleaseTests {
    @Test func aBlessedCommitIsTaggedWithTrailersGitReads() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let release = try repository.modelgate([
            "release", "demo@v1.0.0", "--env", "production", "--message", "First release",
        ])
        #expect(release.status == 0, "\(release.stderr)")
        #expect(release.output == "demo@v1.0.0")
        #expect(try repository.repo.git(["tag", "-l"]) == "demo@v1.0.0")
        #expect(try repository.repo.git(["cat-file", "-t", "demo@v1.0.0"]) == "tag")
        #expect(
            try repository.repo.git(["rev-parse", "demo@v1.0.0^{commit}"])
                == (try repository.repo.git(["rev-parse", "HEAD"])))
        let message = try repository.repo.git(["tag", "-l", "--format=%(contents)", "demo@v1.0.0"])
        #expect(message.hasPrefix("First release\n\nMetrics: r2 0.92\n\n"))
        let trailers = try repository.repo.git(["interpret-trailers", "--parse"], input: message)
        let digest = try #require(try repository.artifactDigest())
        #expect(trailers.contains("Modelgate-Artifact: \(digest)"))
        #expect(trailers.contains("Modelgate-Environment: production"))
        #expect(trailers.contains(#"Modelgate-Metrics: {"r2":0.92}"#))
        let note = try repository.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        let fingerprint = try #require(
            (try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any])?["fingerprint"]
                as? String)
        #expect(trailers.contains("Modelgate-Fingerprint: \(fingerprint)"))
        // The same name again is refused (tags never move).
        let again = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func failingUnevaluatedAndStaleCommitsAreRefused() throws {
        let repository = try ArtifactRepository(gates: "  - {metric: r2, min: 0.93}\n")
        try repository.commitRows(5)
        #expect(try repository.modelgate(["run"]).status == 0)  // 0.95 passes
        let passing = try repository.repo.git(["rev-parse", "HEAD"])
        try repository.commitRows(1)
        #expect(try repository.modelgate(["run"]).status == 1)  // 0.91 fails
        let failing = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("release refused:"))
        #expect(failing.stderr.contains("did not pass its gates: r2 0.91 (min 0.93)"), "\(failing.stderr)")

        try repository.commitRows(7)
        let unevaluated = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(unevaluated.status == 1)
        #expect(unevaluated.stderr.contains("has not been evaluated"))
        #expect(unevaluated.stderr.contains("modelgate run --rev"))

        // A note copied onto a commit with other inputs (as a rewrite with notes.rewriteRef does).
        try repository.repo.git(["notes", "--ref=modelgate", "copy", "--force", passing, "HEAD"])
        let stale = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("verdict is stale"), "\(stale.stderr)")
        #expect(try repository.repo.git(["tag", "-l"]).isEmpty)

        #expect(try repository.modelgate(["release", "demo@v1.0.0", "--rev", passing]).status == 0)
        #expect(try repository.repo.git(["tag", "-l"]) == "demo@v1.0.0")
    }

    @Test func deployablePicksTheNewestBlessedCommit() throws {
        let repository = try ArtifactRepository(gates: "  - {metric: r2, min: 0.93}\n")
        try repository.commitRows(5, message: "pass 1")
        #expect(try repository.modelgate(["run"]).status == 0)
        try repository.commitRows(6, message: "pass 2")
        #expect(try repository.modelgate(["run"]).status == 0)
        let blessed = try repository.repo.git(["rev-parse", "HEAD"])
        try repository.commitRows(1, message: "fail")
        #expect(try repository.modelgate(["run"]).status == 1)
        try repository.repo.commit(files: ["README.md": "x\n"], message: "unevaluated")

        let deployable = try repository.modelgate(["deployable"])
        #expect(deployable.status == 0, "\(deployable.stderr)")
        #expect(deployable.output == blessed)
        // The README commit has the failing commit's inputs, so its verdict is known: also a fail.
        #expect(deployable.stderr.components(separatedBy: "did not pass its gates").count == 3)
        let json = try repository.modelgate(["deployable", "--json", "--branch", "main"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["commit"] as? String == blessed)
        #expect(object?["artifact"] as? String == (try repository.artifactDigest(blessed)))
        #expect((object?["skipped"] as? [[String: Any]])?.count == 2)

        // Corrupt the blessed artifact: the older passing commit is next.
        let digest = try #require(try repository.artifactDigest(blessed))
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: repository.blobURL(digest)))
            as? [String: Any]
        let weights = try #require((manifest?["files"] as? [[String: Any]])?[1]["sha256"] as? String)
        try Data("tampered\n".utf8).write(to: repository.blobURL(weights))
        #expect(
            try repository.modelgate(["deployable"]).output
                == (try repository.repo.git(["rev-parse", "HEAD~3"])))

        let none = try ArtifactRepository(gates: "  - {metric: r2, min: 0.99}\n")
        #expect(try none.modelgate(["run"]).status == 1)
        let nothing = try none.modelgate(["deployable"])
        #expect(nothing.status == 1)
        #expect(nothing.stdout.isEmpty)
        #expect(try none.modelgate(["deployable", "--branch", "nope"]).status == 2)
    }

    @Test func gtoNamesAndReleasesPerEnvironment() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let first = try repository.modelgate(["release", "--gto", "v1.0.0", "--env", "staging"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "demo@v1.0.0\ndemo#staging#1\n")
        try repository.commitRows(4)
        #expect(try repository.modelgate(["run"]).status == 0)
        #expect(
            try repository.modelgate(["release", "--gto", "1.1.0", "--env", "production"]).stdout
                == "demo@v1.1.0\ndemo#production#2\n")
        #expect(
            try repository.modelgate(["release", "--gto", "--env", "staging"]).output == "demo#staging#3")
        #expect(try repository.modelgate(["release", "--gto", "1.2"]).status == 2)
        // A registration carries no environment; the assignment does.
        let registration = try repository.repo.git(["tag", "-l", "--format=%(contents)", "demo@v1.1.0"])
        #expect(!registration.contains("Modelgate-Environment"))

        let staging = try repository.modelgate(["releases", "--env", "staging", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(staging.stdout.utf8)) as? [[String: Any]]
        #expect(list?.map { $0["tag"] as? String } == ["demo#staging#3", "demo#staging#1"])
        #expect(list?.first?["commit"] as? String == (try repository.repo.git(["rev-parse", "HEAD"])))
        let text = try repository.modelgate(["releases"])
        #expect(text.stdout.hasPrefix("production\n  demo#production#2"))
        #expect(text.stdout.contains("staging\n  demo#staging#3"))
        #expect(text.stdout.contains("(no environment)\n  demo@v1.1.0"))
    }

    @Test func releasePushesTheTagToARemote() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let remote = repository.repo.directory.appending("remote.git")
        try repository.repo.git(["init", "--quiet", "--bare", remote.path])
        try repository.repo.git(["remote", "add", "origin", remote.path])
        let release = try repository.modelgate([
            "release", "demo@v2.0.0", "--env", "production", "--push", "origin",
        ])
        #expect(release.status == 0, "\(release.stderr)")
        let remoteTags = try repository.repo.git(["ls-remote", "--tags", "origin"])
        #expect(remoteTags.contains("refs/tags/demo@v2.0.0"))
        let failed = try repository.modelgate(["release", "demo@v2.0.1", "--push", "nowhere"])
        #expect(failed.status == 3)
        #expect(failed.stderr.contains("were created but 'git push nowhere' failed"))
        #expect(try repository.repo.git(["tag", "-l", "demo@v2.0.1"]) == "demo@v2.0.1")
    }

    @Test func anErrorVerdictIsRefused() throws {
        let repository = try ArtifactRepository()
        try repository.repo.commit(
            files: ["score.sh": "echo broken >&2\nexit 4\n"], message: "break the stage")
        #expect(try repository.modelgate(["run"]).status == 3)
        let refused = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("has an error verdict"), "\(refused.stderr)")
        #expect(try repository.repo.git(["tag", "-l"]).isEmpty)
    }
}
