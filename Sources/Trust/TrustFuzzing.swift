extension SSHSignature {
    /// Fuzzing entry point: the first byte picks the parser, the rest is its input — 0 an sshsig
    /// blob (then verified over nothing), 1 an armored signature, 2 an OpenSSH private key file,
    /// 3 a public key line, 4 an allowed_signers file (then asked about its first key), 5 an
    /// ssh-agent answer. Each must return a value or throw a `TrustError`, never trap or hang;
    /// any other error type would reach users as an internal error, so it stops the fuzzer.
    package static func fuzz(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let input = Array(bytes.dropFirst())
        do {
            switch selector % 6 {
            case 0: try SSHSignature(blob: input).verify([])
            case 1: try SSHSignature(armored: input).verify(input)
            case 2: _ = try SSHPrivateKey(openSSH: input).sign(input)
            case 3: _ = try SSHPublicKey(line: String(decoding: input, as: UTF8.self)).fingerprint
            case 4:
                let signers = try AllowedSigners(input)
                if let key = signers.entries.first?.key {
                    _ = signers.standing(of: key, namespace: verdictNamespace)
                }
            default:
                let key = try SSHPublicKey(
                    blob: [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32]
                        + [UInt8](repeating: 1, count: 32))
                _ = try SSHAgentSigner.signature(fromAnswer: input, key: key)
            }
        } catch is TrustError {
            return
        } catch {
            preconditionFailure("a Trust parser threw \(type(of: error)), not a TrustError: \(error)")
        }
    }
}
