import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate verify [REV]`: does REV have a passing verdict signed by a trusted signer for its inputs?
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that a commit has a passing verdict signed by a trusted signer for its inputs.",
        discussion: Help.discussion(
            """
            Trusted means: a record signed (PROTOCOL.sshsig, namespace modelgate-verdict) by a key
            that the allowed_signers file of 'trust.signers' lists and that is valid now, whose
            fingerprint equals the fingerprint of REV's inputs (a record signed on a squash-merged
            or rebased twin counts). The policy and the signers file are read from HEAD's tree,
            never from REV. Verification is native; no ssh-keygen is run.
            Exit status 0 when such a record exists and its verdict is pass; 1 when there is none
            (the reason is one of: no record, unsigned, unknown key, expired key, bad signature,
            record for other inputs) or its verdict is not pass; 2 when modelgate.yml has no
            'trust:' or the signers file cannot be read.

            """))

    @Argument(help: "The commit.") var rev = "HEAD"
    @Flag(help: "Print the result as JSON.") var json = false

    /// What --json prints.
    struct Output: Codable {
        var commit: String
        var fingerprint: String?
        var trusted: Bool
        var verdict: String?
        var signer: String?
        var key: String?
        var recordCommit: String?
        var problem: String?

        enum CodingKeys: String, CodingKey {
            case commit, fingerprint, trusted, verdict, signer, key, problem
            case recordCommit = "record_commit"
        }
    }

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let commit = try repository.resolveCommit(rev)
        guard let (_, signers) = try TrustedVerdicts.policy(in: repository) else {
            throw GitError(
                operation: "verify \(rev)", message: "modelgate.yml (at HEAD) has no 'trust:' policy",
                hint: "add 'trust: {signers: .modelgate/allowed_signers}' and commit it",
                exitStatus: .badInput)
        }
        var output = Output(commit: commit.hex, trusted: false)
        output.fingerprint = try TrustedVerdicts.fingerprint(of: commit, in: repository)
        let finding: TrustedVerdicts.Finding =
            if let fingerprint = output.fingerprint {
                try TrustedVerdicts(repository: repository, signers: signers).check(
                    commit, fingerprint: fingerprint)
            } else {
                .refused(.noRecord)
            }
        switch finding {
        case .trusted(let trusted):
            output.trusted = true
            output.verdict = trusted.record.verdict.rawValue
            output.signer = trusted.principal
            output.key = trusted.key
            output.recordCommit = trusted.commit.hex
            if trusted.record.verdict != .pass {
                output.problem = "the trusted verdict is \(trusted.record.verdict.rawValue)"
            }
        case .refused(let refusal):
            output.problem = refusal.text
        }
        if json {
            try Terminal.printJSON(output)
        } else if output.trusted {
            let twin =
                output.recordCommit == commit.hex
                ? "" : " (signed on \(output.recordCommit?.prefix(7) ?? ""), same inputs)"
            print(
                "\(rev) (\(commit.short)): \(output.verdict ?? "?"), \(output.signer ?? "?"), verified\(twin)"
            )
            print("  key: \(output.key ?? "?")")
        } else {
            Terminal.printError(
                "modelgate: \(rev) (\(commit.short)) is not verified: \(output.problem ?? "")")
        }
        guard output.trusted, output.verdict == "pass" else {
            if output.trusted { Terminal.printError("modelgate: \(output.problem ?? "")") }
            throw ExitCode(ExitStatus.refused.rawValue)
        }
    }
}
