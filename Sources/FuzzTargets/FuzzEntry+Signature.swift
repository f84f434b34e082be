import Trust

extension FuzzEntry {
    /// The parsers of signed verdicts (`SSHSignature.fuzz`): sshsig blobs and armor, OpenSSH
    /// private keys, public key lines, allowed_signers files and ssh-agent answers, the first
    /// byte choosing which.
    public static func signature(_ bytes: [UInt8]) {
        SSHSignature.fuzz(bytes)
    }
}
