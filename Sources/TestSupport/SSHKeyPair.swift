import Foundation

/// A key pair made by the real `ssh-keygen` (openssh-client) in a directory of the test's own.
public struct SSHKeyPair {
    /// The private key file (no passphrase unless one was given).
    public let privateKey: URL
    /// The public key file (`privateKey.pub`).
    public let publicKey: URL

    /// Runs `ssh-keygen -t type` into `directory/name`; `comment` becomes the key's comment.
    public init(
        _ type: String = "ed25519", named name: String, in directory: URL, passphrase: String = "",
        comment: String = "test"
    ) throws {
        privateKey = directory.appendingPathComponent(name)
        publicKey = directory.appendingPathComponent(name + ".pub")
        let result = try ProcessRunner.run(
            "ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C", comment, "-f", privateKey.path],
            in: directory)
        guard result.status == 0 else {
            throw ProcessFailure(command: "ssh-keygen", result: result)
        }
    }

    /// The public key line (`TYPE BASE64 COMMENT`) without its newline.
    public func publicLine() throws -> String {
        try String(contentsOf: publicKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An allowed_signers line for this key: `principal [options] TYPE BASE64`.
    public func allowedSignersLine(principal: String, options: String? = nil) throws -> String {
        let key = try publicLine().split(separator: " ").prefix(2).joined(separator: " ")
        return [principal, options, key].compactMap { $0 }.joined(separator: " ")
    }
}

/// A test helper's child process that exited non-zero.
public struct ProcessFailure: Error, CustomStringConvertible {
    /// The command.
    public let command: String
    /// What it printed and how it exited.
    public let result: ProcessResult

    /// The command and its output.
    public var description: String { "\(command) exited \(result.status): \(result.output)" }
}
