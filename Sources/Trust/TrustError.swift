import Diagnostics

/// A problem with a key, a signature, an allowed_signers file or the ssh-agent.
///
/// Every text that quotes input goes through `TerminalText`, because signatures, key files and
/// allowed_signers files may come from a repository an attacker wrote.
public struct TrustError: UserFacingError, Equatable {
    /// Which mistake this is.
    public enum Problem: Equatable, Sendable {
        /// Bytes that are not the named format (`what`): a signature, a key, an agent answer.
        case malformed(what: String)
        /// A key type other than ssh-ed25519 and ecdsa-sha2-nistp256.
        case unsupportedKeyType(String)
        /// An OpenSSH private key protected by a passphrase.
        case encryptedKey
        /// A file that cannot be read.
        case unreadableFile(reason: String)
        /// A signature made for another namespace than the one expected.
        case wrongNamespace(found: String, expected: String)
        /// The signature does not match the signed bytes and the key.
        case badSignature
        /// A line of an allowed_signers file that cannot be read.
        case allowedSigners(line: Int, reason: String)
        /// The ssh-agent could not be reached or refused to sign.
        case agent(reason: String)
        /// libcrypto failed to sign (the key is unusable).
        case signingFailed
    }

    /// Which mistake this is.
    public let problem: Problem
    /// What is wrong.
    public let summary: String
    /// The file (and line) it was found in.
    public let location: String?
    /// How to fix it.
    public let hint: String?
    /// Bad input, except an agent that cannot be reached (an I/O error).
    public var exitStatus: ExitStatus {
        if case .agent = problem { return .failure }
        return .badInput
    }

    /// Makes the error for `problem`, found in `location`.
    public init(_ problem: Problem, location: String? = nil) {
        self.problem = problem
        self.location = location.map { TerminalText.sanitized($0) }
        switch problem {
        case .malformed(let what):
            summary = "this is not a readable \(TerminalText.sanitized(what))"
            hint = nil
        case .unsupportedKeyType(let type):
            summary = "key type '\(TerminalText.sanitized(type))' is not supported"
            hint = "use an ssh-ed25519 or ecdsa-sha2-nistp256 key ('ssh-keygen -t ed25519')"
        case .encryptedKey:
            summary = "the private key is protected by a passphrase"
            hint =
                "add it to ssh-agent ('ssh-add KEY') and pass the public key file (KEY.pub) instead"
        case .unreadableFile(let reason):
            summary = "cannot read the key or signature file: \(TerminalText.sanitized(reason))"
            hint = nil
        case .wrongNamespace(let found, let expected):
            summary =
                "the signature is for namespace '\(TerminalText.sanitized(found))', not '\(expected)'"
            hint = "sign with 'ssh-keygen -Y sign -n \(expected) -f KEY FILE'"
        case .badSignature:
            summary = "the signature does not match the signed bytes"
            hint = "sign exactly what 'modelgate show REV --record' prints"
        case .allowedSigners(let line, let reason):
            summary = "allowed signers line \(line): \(TerminalText.sanitized(reason))"
            hint = "see ssh-keygen(1), section ALLOWED SIGNERS"
        case .agent(let reason):
            summary = "ssh-agent: \(TerminalText.sanitized(reason))"
            hint = "start an agent, 'ssh-add' the key, and check SSH_AUTH_SOCK"
        case .signingFailed:
            summary = "libcrypto could not sign with this key"
            hint = nil
        }
    }
}
