import Foundation
import Pipeline
import TestSupport
import Testing

/// A repository whose `main` needs a trusted verdict (trust.require: push:main), the CI key
/// listed in a committed allowed_signers file, and a bare remote; keys made by ssh-keygen.
final class TrustFixture {
    let hooks: HookFixture
    var repo: TemporaryRepository { hooks.repo }
    let keys: URL
    let ci: SSHKeyPair
    let stranger: SSHKeyPair
    let retired: SSHKeyPair

    init(require: String = "\"push:main\"") throws {
        hooks = try HookFixture(policy: "off")
        keys = hooks.repo.directory.appending("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        ci = try SSHKeyPair(named: "ci", in: keys, comment: "ci")
        stranger = try SSHKeyPair(named: "stranger", in: keys)
        retired = try SSHKeyPair(named: "retired", in: keys)
        let signers =
            try [
                ci.allowedSignersLine(principal: "ci@example.com"),
                retired.allowedSignersLine(principal: "old-ci@example.com", options: "valid-before=20200101"),
            ].joined(separator: "\n") + "\n"
        let config = ScoringPipeline.config(
            timeout: "20s",
            extra: """
                gates:
                  - {metric: r2, min: 0.92}
                hooks:
                  pre-commit: off
                trust:
                  signers: .modelgate/allowed_signers
                  require: [\(require)]

                """)
        try repo.commit(
            files: ["modelgate.yml": config, ".modelgate/allowed_signers": signers], message: "trust CI")
    }

    func modelgate(_ arguments: [String]) throws -> ProcessResult { try hooks.modelgate(arguments) }

    /// Commits `rows` data rows without hooks; returns the commit id.
    @discardableResult
    func commitRows(_ rows: Int, message: String = "data") throws -> String {
        let body = (0..<rows).map { "\($0)\n" }.joined()
        _ = try hooks.commit(["data/a.csv": "x\n" + body], message: message, extra: ["--no-verify"])
        return try hooks.head()
    }

    func push(_ refspec: String = "HEAD:main") throws -> ProcessResult {
        try repo.gitResult(["push", "--quiet", "origin", refspec])
    }

    /// The signatures note on `rev`, one line per signature.
    func signatureLines(_ rev: String = "HEAD") throws -> [String] {
        try repo.git(["notes", "--ref=modelgate-signatures", "show", rev]).split(separator: "\n").map(
            String.init)
    }
}

/// Signed verdicts, `verify`, and the pre-push hook for branches in `trust.require`.
@Suite struct TeamVerdictTests {
    @Test func signaturesVerifyWithSSHKeygenInBothDirections() throws {
        let fixture = try TrustFixture()
        let signed = try fixture.modelgate(["run", "--sign", fixture.ci.privateKey.path])
        #expect(signed.status == 0, "\(signed.stderr)")
        let record = try fixture.modelgate(["show", "--record"])
        #expect(record.stdout == (try fixture.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])) + "\n")
        let signature = try fixture.modelgate(["show", "--signature"])
        #expect(signature.stdout.hasPrefix("-----BEGIN SSH SIGNATURE-----\n"))
        let scratch = fixture.repo.directory
        try Data(record.stdout.utf8).write(to: scratch.appending("record"))
        try Data(signature.stdout.utf8).write(to: scratch.appending("record.sig"))
        let verified = try ProcessRunner.run(
            "ssh-keygen",
            [
                "-Y", "verify", "-f",
                fixture.repo.url.appendingPathComponent(".modelgate/allowed_signers").path,
                "-I", "ci@example.com", "-n", "modelgate-verdict", "-s", scratch.appending("record.sig").path,
            ], in: scratch.url, input: record.stdout)
        #expect(verified.status == 0, "\(verified.output)")

        // A signature made outside (ssh-keygen over `show --record`) is attached and counts.
        try Data(record.stdout.utf8).write(to: scratch.appending("outside"))
        let outside = try ProcessRunner.run(
            "ssh-keygen",
            [
                "-Y", "sign", "-n", "modelgate-verdict", "-f", fixture.stranger.privateKey.path,
                scratch.appending("outside").path,
            ],
            in: scratch.url)
        #expect(outside.status == 0, "\(outside.output)")
        let attached = try fixture.modelgate([
            "sign", "HEAD", "--attach", scratch.appending("outside.sig").path,
        ])
        #expect(attached.status == 0, "\(attached.stderr)")
        #expect(try fixture.signatureLines().count == 2)
        let both = try fixture.modelgate(["show", "--signature"]).stdout
        #expect(both.components(separatedBy: "-----BEGIN SSH SIGNATURE-----").count == 3)

        // A signature over other bytes is refused (exit 2) and nothing is added.
        try Data("other\n".utf8).write(to: scratch.appending("other"))
        _ = try ProcessRunner.run(
            "ssh-keygen",
            [
                "-Y", "sign", "-n", "modelgate-verdict", "-f", fixture.ci.privateKey.path,
                scratch.appending("other").path,
            ],
            in: scratch.url)
        let wrong = try fixture.modelgate(["sign", "HEAD", "--attach", scratch.appending("other.sig").path])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("the signature does not match the signed bytes"))
        #expect(try fixture.signatureLines().count == 2)

        let verify = try fixture.modelgate(["verify", "--json"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let output = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(output?["trusted"] as? Bool == true)
        #expect(output?["signer"] as? String == "ci@example.com")
        #expect(try fixture.modelgate(["show"]).stdout.contains("vouched: ci@example.com, verified"))
        #expect(try fixture.modelgate(["log"]).stdout.contains("[ci@example.com, verified]"))
        let signedBy = "Signed by: " + MarkdownReport.text("ci@example.com, verified")
        #expect(try fixture.modelgate(["report"]).stdout.contains(signedBy))
        let site = scratch.appending("site")
        #expect(try fixture.modelgate(["site", "--out", site.path]).status == 0)
        let head = try fixture.repo.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let page = try String(contentsOf: site.appendingPathComponent("commit/\(head).html"), encoding: .utf8)
        #expect(page.contains("<dt>vouched for by</dt><dd>ci@example.com, verified</dd>"), "\(page)")
    }

    @Test func protectedPushWaitsForCIAndAcceptsTheSignedTipAndItsSquashedTwin() throws {
        let fixture = try TrustFixture()
        let tip = try fixture.commitRows(3)
        // A local, unsigned verdict does not count for main; nothing is trained by the hook.
        #expect(try fixture.modelgate(["run"]).status == 0)
        let runs = fixture.hooks.runCount
        let refused = try fixture.push()
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "no CI verdict yet for these inputs — push a branch and let CI run, then `modelgate sync`"))
        #expect(fixture.hooks.runCount == runs)
        #expect(try fixture.hooks.remoteRef("refs/heads/main") != tip)
        // Other branches pass as before.
        #expect(try fixture.push("HEAD:refs/heads/feature").status == 0)
        // CI signs (here: the same clone) and syncs; the push is accepted, naming the signer.
        #expect(try fixture.modelgate(["sign", "HEAD", "--key", fixture.ci.privateKey.path]).status == 0)
        let accepted = try fixture.push()
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stderr.contains("verdict signed by ci@example.com, verified"))
        #expect(try fixture.hooks.remoteRef("refs/heads/main") == tip)

        // A squash-merged twin (same tree, another commit) is accepted by its inputs.
        try fixture.repo.git(["checkout", "--quiet", "-b", "topic"])
        _ = try fixture.commitRows(4, message: "four")
        let five = try fixture.commitRows(5, message: "five")
        #expect(
            try fixture.modelgate(["run", "--rev", five, "--sign", fixture.ci.privateKey.path]).status == 0)
        try fixture.repo.git(["checkout", "--quiet", "main"])
        try fixture.repo.git(["merge", "--quiet", "--squash", "topic"])
        try fixture.repo.git(["commit", "--quiet", "--no-verify", "-m", "squashed"])
        let twin = try fixture.hooks.head()
        #expect(twin != five)
        let squashed = try fixture.push()
        #expect(squashed.status == 0, "\(squashed.stderr)")
        #expect(
            try fixture.modelgate(["verify"]).stdout.contains("(signed on \(five.prefix(7)), same inputs)"))
    }

    @Test func forgedExpiredForeignAndCopiedVerdictsAreRefusedAndNamed() throws {
        let fixture = try TrustFixture()
        let signed = try fixture.commitRows(3)
        #expect(try fixture.modelgate(["run", "--sign", fixture.ci.privateKey.path]).status == 0)
        let line = try #require(try fixture.signatureLines().first)

        func refusal(_ rev: String = "HEAD") throws -> String {
            let result = try fixture.modelgate(["verify", rev, "--json"])
            #expect(result.status == 1)
            let output = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return output?["problem"] as? String ?? ""
        }

        // A note written by hand with git: no signature.
        let other = try fixture.commitRows(6)
        try fixture.repo.git(["notes", "--ref=modelgate", "add", "-f", "-m", #"{"verdict":"pass"}"#, other])
        #expect(try refusal().hasPrefix("unsigned"))
        // A key not in allowed_signers.
        #expect(
            try fixture.modelgate(["run", "--force", "--sign", fixture.stranger.privateKey.path]).status == 0)
        #expect(try refusal().hasPrefix("unknown key"))
        // A listed key past its valid-before.
        #expect(try fixture.modelgate(["sign", "--key", fixture.retired.privateKey.path]).status == 0)
        #expect(try refusal().hasPrefix("expired key"))
        // A record whose metric was edited after signing.
        let fields = line.split(separator: " ")
        let record = String(decoding: try #require(Data(base64Encoded: String(fields[0]))), as: UTF8.self)
        let edited = record.replacingOccurrences(of: "0.93", with: "0.99")
        #expect(edited != record)
        let forged = Data(edited.utf8).base64EncodedString() + " " + fields[1]
        try fixture.repo.git(["notes", "--ref=modelgate-signatures", "add", "-f", "-m", forged, signed])
        #expect(try refusal(signed).hasPrefix("bad signature"))
        // A signature copied from another commit (other inputs).
        try fixture.repo.git(["notes", "--ref=modelgate-signatures", "add", "-f", "-m", line, other])
        #expect(try refusal().hasPrefix("record for other inputs"))
        let push = try fixture.push()
        #expect(push.status != 0)
        #expect(push.stderr.contains("refused: record for other inputs"))
        // Garbage lines are never trusted and never crash.
        let fresh = try fixture.commitRows(7)
        #expect(try fixture.modelgate(["run"]).status == 0)
        try fixture.repo.git([
            "notes", "--ref=modelgate-signatures", "add", "-f", "-m", "AAAA ////\n\u{7f}", fresh,
        ])
        #expect(try refusal() == "unsigned: the record has no signature")
    }

    @Test func theRemotesSignaturesAreFetchedIntoTheTrackingRefOnly() throws {
        let fixture = try TrustFixture()
        let tip = try fixture.commitRows(3)
        #expect(try fixture.modelgate(["run", "--sign", fixture.ci.privateKey.path]).status == 0)
        // Publish the signatures to the remote, then forget them here.
        #expect(try fixture.modelgate(["sync", "origin"]).status == 0)
        #expect(try fixture.hooks.remoteRef("refs/notes/modelgate-signatures") != nil)
        try fixture.repo.git(["update-ref", "-d", "refs/notes/modelgate-signatures"])
        let pushed = try fixture.push()
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(try fixture.hooks.remoteRef("refs/heads/main") == tip)
        #expect(
            try fixture.repo.gitResult([
                "rev-parse", "--verify", "--quiet", "refs/notes/modelgate-signatures",
            ]).status != 0)
        #expect(
            try fixture.repo.gitResult([
                "rev-parse", "--verify", "--quiet", "refs/notes/remotes/origin/modelgate-signatures",
            ]).status == 0)
    }

    @Test func releasesNeedATrustedVerdictAndSignedTagsVerifyWithGit() throws {
        let repository = try ArtifactRepository(
            gates: "  - {metric: r2, min: 0.9}\ntrust:\n  signers: allowed_signers\n  require: [release]\n")
        let keys = repository.repo.directory.appending("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        let ci = try SSHKeyPair(named: "ci", in: keys)
        try repository.repo.commit(
            files: ["allowed_signers": try ci.allowedSignersLine(principal: "ci@example.com") + "\n"],
            message: "signers")
        #expect(try repository.modelgate(["run"]).status == 0)
        let unsigned = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(unsigned.status == 1)
        #expect(unsigned.stderr.contains("has no trusted verdict (trust.require has 'release'): unsigned"))
        #expect(try repository.modelgate(["deployable"]).status == 1)
        #expect(try repository.modelgate(["sign", "--key", ci.privateKey.path]).status == 0)
        #expect(try repository.modelgate(["deployable"]).status == 0)
        let release = try repository.modelgate(["release", "demo@v1.0.0", "--sign", ci.privateKey.path])
        #expect(release.status == 0, "\(release.stderr)")
        let verified = try repository.repo.gitResult([
            "-c", "gpg.format=ssh", "-c",
            "gpg.ssh.allowedSignersFile=\(repository.url.appendingPathComponent("allowed_signers").path)",
            "tag", "-v", "demo@v1.0.0",
        ])
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.stderr.contains("Good \"git\" signature for ci@example.com"))
        // The signed tag still reads as a release, trailers and all.
        let releases = try repository.modelgate(["releases", "--json"])
        #expect(releases.stdout.contains("\"artifact\" : \"sha256:"))
    }

    @Test func ciStagesNeverRunInHooksAndTrustKeysAreValidated() throws {
        let hooks = try HookFixture(policy: "train")
        let ciOnly = ScoringPipeline.config(timeout: "20s", extra: "gates:\n  - {metric: r2, min: 0.92}\n")
            .replacingOccurrences(of: "    timeout: 20s", with: "    timeout: 20s\n    runs_on: ci")
        try hooks.repo.commit(files: ["modelgate.yml": ciOnly], message: "train on CI")
        let runs = hooks.runCount
        let committed = try hooks.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more")
        #expect(committed.status == 0, "\(committed.stderr)")
        #expect(hooks.runCount == runs)
        let pushed = try hooks.repo.gitResult(["push", "--quiet", "origin", "HEAD:refs/heads/feature"])
        #expect(pushed.status == 0)
        #expect(pushed.stderr.contains("runs_on: ci; its verdict comes from CI"))
        #expect(hooks.runCount == runs)

        for (bad, position, words) in [
            (
                ciOnly.replacingOccurrences(of: "runs_on: ci", with: "runs_on: gpu"), "modelgate.yml:8:14",
                "runs_on 'gpu'"
            ),
            (
                ciOnly + "trust:\n  signers: s\n  require: [push]\n", "modelgate.yml:13:13",
                "trust.require has 'push'"
            ),
            (
                ciOnly + "trust:\n  signers: /etc/passwd\n", "modelgate.yml:12:12",
                "not a path inside the repository"
            ),
            (ciOnly + "trust:\n  signer: s\n", "modelgate.yml:12:3", "unknown key 'trust.signer'"),
        ] {
            try hooks.repo.write(["modelgate.yml": bad])
            let result = try hooks.modelgate(["run", "--worktree"])
            #expect(result.status == 2, "\(bad)")
            #expect(result.stderr.contains(position), "\(result.stderr)")
            #expect(result.stderr.contains(words), "\(result.stderr)")
        }
    }
}
