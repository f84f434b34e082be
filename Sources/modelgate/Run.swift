import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline
import Trust

/// `modelgate run`: evaluate a commit, the staged files, or the work tree, and judge the gates.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train and test the model on a commit, the staged files or the work tree; judge the gates.",
        discussion: Help.discussion(
            """
            Without --staged or --worktree, evaluates --rev (default HEAD). Evaluations run in an
            isolated checkout: the work tree, index and stash are never touched. A run whose inputs
            (fingerprint) were already evaluated reuses that verdict without training. A commit's
            record is stored as a note under refs/notes/modelgate.

            """))

    @OptionGroup var source: SourceOptions
    @Flag(help: "Run every stage even when a verdict for these inputs is cached.") var force = false
    @Flag(help: "Print the run record as JSON on stdout.") var json = false
    @Option(
        help: ArgumentHelp(
            "Sign the commit's record with this SSH key (default: $MODELGATE_SIGNING_KEY).",
            discussion:
                "A private key file (OpenSSH format, no passphrase) or a public key file whose private half is in ssh-agent.",
            valueName: "KEY"))
    var sign: String?

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let environment = ProcessInfo.processInfo.environment
        let key = sign ?? environment["MODELGATE_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let evaluated = source.source(default: .revision("HEAD"))
        // The key is loaded before the run, so a wrong key fails in a second, not after training.
        var signer: (any SSHSigner)?
        if let key {
            guard case .revision = evaluated else { throw VerdictError.signNeedsCommit }
            signer = try SigningKey.load(key, environment: environment)
        }
        let outcome = try PipelineRunner(
            repository: repository, artifacts: ArtifactStore(repository: repository)
        ).run(evaluated, force: force, observer: ProgressPrinter())
        if let signer, case .revision(let rev) = evaluated {
            let commit = try repository.resolveCommit(rev)
            let store = SignedRecords(repository: repository)
            // A run that wrote no note (a stage crashed before a record existed) has nothing to
            // sign; its own exit status says why, not a signing error.
            if try store.noteBytes(on: commit) != nil {
                let signature = try store.sign(commit, with: signer)
                Terminal.printError(
                    "modelgate: signed the record of \(commit.short) with \(signature.publicKey.fingerprint)")
            } else {
                Terminal.printError("modelgate: \(commit.short) has no record note; nothing was signed")
            }
        }
        try VerdictPrinter(json: json).print(outcome)
    }
}
