import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline
import Trust

/// `modelgate sign REV --key KEY | --attach SIG`: sign a commit's record, or attach a signature made elsewhere.
struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a commit's run record, or attach an SSH signature made elsewhere.",
        discussion: Help.discussion(
            """
            --key signs the record note's exact bytes ('modelgate show REV --record') with an SSH
            key (a private key file, or a public key file whose private half is in ssh-agent).
            --attach reads an armored signature made outside modelgate, e.g.
            'modelgate show REV --record > r; ssh-keygen -Y sign -n modelgate-verdict -f KEY r',
            checks that it is a signature over the record for namespace modelgate-verdict, and keeps
            it in refs/notes/modelgate-signatures ('modelgate sync' shares it). Whether the key is
            trusted is decided by 'trust.signers' when the verdict is used.
            Exit status 2 when the commit has no record or the signature does not match it.

            """))

    @Argument(help: "The commit whose record to sign.") var rev = "HEAD"
    @Option(help: ArgumentHelp("Sign with this SSH key.", valueName: "KEY")) var key: String?
    @Option(help: ArgumentHelp("Attach this armored signature file ('-' for stdin).", valueName: "SIG"))
    var attach: String?

    func validate() throws {
        guard (key == nil) != (attach == nil) else {
            throw ValidationError("give either --key KEY or --attach SIG")
        }
    }

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let commit = try repository.resolveCommit(rev)
        let store = SignedRecords(repository: repository)
        let signature: SSHSignature
        if let key {
            signature = try store.sign(
                commit, with: SigningKey.load(key, environment: ProcessInfo.processInfo.environment))
        } else if let attach {
            let data =
                attach == "-"
                ? FileHandle.standardInput.readData(ofLength: 64 * 1024)
                : try Data(SigningKey.readFile(attach))
            signature = try store.attach([UInt8](data), to: commit, location: attach)
        } else {
            return
        }
        print("signed the record of \(commit.short) with \(signature.publicKey.fingerprint)")
    }
}
