import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate show [REV]`: the run record of a commit.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the run record of a commit (default HEAD).",
        discussion: Help.discussion(
            """
            Exit status 1 when the record's verdict is not pass, 2 when the commit has no record or
            its note is not a readable run record (with --json, {"commit": ..., "unreadable": REASON}
            is printed then). The text output says who vouched for the record ("ci@example.com,
            verified" or "local, unsigned") when modelgate.yml has a trust policy.

            --record prints the note's exact bytes (what signatures cover) and --signature the
            armored signatures over them, so that 'ssh-keygen -Y verify -f allowed_signers -I ID
            -n modelgate-verdict -s SIG < RECORD' checks a verdict without modelgate.

            """))

    @Argument(help: "The commit.") var rev = "HEAD"
    @Flag(help: "Print the record as JSON.") var json = false
    @Flag(help: "Print the record note's exact bytes (what is signed).") var record = false
    @Flag(help: "Print the armored SSH signatures over the record note.") var signature = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let commit = try repository.resolveCommit(rev)
        if record || signature {
            return try printSigned(commit, in: repository)
        }
        // The note, or for a commit the pre-commit hook passed, the verdict of its inputs.
        let found: RunRecord?
        do {
            found = try PipelineInspector(repository: repository).record(for: .revision(commit.hex))
        } catch RecordError.unreadable(let unreadable) {
            if json { try Terminal.printJSON(unreadable) }
            throw RecordError.unreadable(unreadable)
        }
        guard let record = found else {
            throw GitError(
                operation: "show the record of \(rev)",
                message: "\(rev) (\(commit.short)) has not been evaluated",
                hint: "run 'modelgate run --rev \(commit.short)'", exitStatus: .badInput)
        }
        if !json, let (_, signers) = try? TrustedVerdicts.policy(in: repository) {
            let voucher = try TrustedVerdicts(repository: repository, signers: signers).voucher(for: commit)
            print("vouched: \(voucher)")
        }
        try VerdictPrinter(json: json).print(
            PipelineRunner.Outcome(record: record, reused: false, subject: "\(rev) (\(commit.short))"))
    }

    /// `--record` / `--signature`: the bytes of the note, or the signatures over exactly them.
    private func printSigned(_ commit: ObjectID, in repository: Repository) throws {
        let store = SignedRecords(repository: repository)
        guard let bytes = try store.noteBytes(on: commit) else {
            throw VerdictError.noRecordToSign(commit: commit.short)
        }
        if record {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        let signatures = try store.entries(on: commit).entries.filter { $0.record == bytes }
        guard !signatures.isEmpty else { throw VerdictError.unsigned(commit: commit.short) }
        FileHandle.standardOutput.write(Data(signatures.map(\.signature.armored).joined().utf8))
    }
}
