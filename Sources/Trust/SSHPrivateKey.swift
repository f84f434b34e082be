import CLibCrypto
import Foundation

/// Something that makes SSH signatures with one key: a private key file or the ssh-agent.
public protocol SSHSigner: Sendable {
    /// The key whose signatures this makes.
    var publicKey: SSHPublicKey { get }
    /// An SSH signature blob (algorithm name, signature bytes) over `data`.
    func sign(_ data: [UInt8]) throws -> [UInt8]
}

/// The signer `--sign KEY` names, as git's `user.signingKey` does: a private key file in
/// OpenSSH format, or a public key (a `.pub` file or `key::TYPE BASE64`) whose private half
/// the ssh-agent holds.
public enum SigningKey {
    /// The largest key file read.
    static let maxFileBytes = 64 * 1024

    /// Loads the signer for `argument`; `environment` supplies `SSH_AUTH_SOCK`.
    public static func load(_ argument: String, environment: [String: String]) throws -> any SSHSigner {
        if argument.hasPrefix("key::") {
            return try SSHAgentSigner(
                publicKey: SSHPublicKey(line: argument.dropFirst(5)), environment: environment)
        }
        let bytes = try readFile(argument)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            return try SSHPrivateKey(openSSH: bytes, location: argument)
        }
        if text.contains("PRIVATE KEY-----") {
            throw TrustError(
                .malformed(what: "OpenSSH private key (PEM keys are not read)"), location: argument)
        }
        guard let line = text.split(whereSeparator: \.isNewline).first else {
            throw TrustError(.malformed(what: "SSH public key file"), location: argument)
        }
        do {
            return try SSHAgentSigner(publicKey: SSHPublicKey(line: line), environment: environment)
        } catch let error as TrustError {
            throw TrustError(error.problem, location: argument)
        }
    }

    /// The bytes of a small file; over `maxFileBytes` or unreadable is an error.
    public static func readFile(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrustError(.unreadableFile(reason: "\(path) cannot be opened"), location: path)
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxFileBytes + 1)) ?? Data()
        guard data.count <= maxFileBytes else {
            throw TrustError(.unreadableFile(reason: "\(path) is over 64 KiB"), location: path)
        }
        return [UInt8](data)
    }
}

/// An unencrypted private key from an OpenSSH key file (`openssh-key-v1`, PROTOCOL.key).
///
/// Keys protected by a passphrase are refused (use the agent): modelgate never asks for a
/// passphrase, so it never holds one.
public struct SSHPrivateKey: SSHSigner {
    /// The key whose signatures this makes.
    public let publicKey: SSHPublicKey
    /// The Ed25519 seed (32 bytes) or the P-256 scalar (32 bytes).
    private let secret: [UInt8]

    /// Reads an armored OpenSSH private key file's bytes.
    public init(openSSH bytes: [UInt8], location: String? = nil) throws {
        let what = "OpenSSH private key"
        do {
            let blob = try Armor.decode(bytes, label: "OPENSSH PRIVATE KEY", what: what)
            var reader = SSHWireReader(blob, what: what)
            guard try reader.fixed(15) == Array("openssh-key-v1\u{0}".utf8) else {
                throw TrustError(.malformed(what: what))
            }
            let cipher = try reader.text()
            _ = try reader.string()  // kdf name
            _ = try reader.string()  // kdf options
            guard cipher == "none" else { throw TrustError(.encryptedKey) }
            guard try reader.uint32() == 1 else { throw TrustError(.malformed(what: what)) }
            let publicKey = try SSHPublicKey(blob: reader.string())
            var secretReader = SSHWireReader(try reader.string(), what: what)
            guard try secretReader.uint32() == secretReader.uint32() else {
                throw TrustError(.malformed(what: what))
            }
            guard try secretReader.text() == publicKey.kind.rawValue else {
                throw TrustError(.malformed(what: what))
            }
            switch publicKey.kind {
            case .ed25519:
                guard try secretReader.string() == publicKey.raw else {
                    throw TrustError(.malformed(what: what))
                }
                let pair = try secretReader.string()
                guard pair.count == 64, Array(pair[32...]) == publicKey.raw else {
                    throw TrustError(.malformed(what: what))
                }
                secret = Array(pair[..<32])
            case .ecdsaP256:
                guard try secretReader.text() == "nistp256", try secretReader.string() == publicKey.raw else {
                    throw TrustError(.malformed(what: what))
                }
                let scalar = try secretReader.string().drop { $0 == 0 }
                guard scalar.count <= 32 else { throw TrustError(.malformed(what: what)) }
                secret = [UInt8](repeating: 0, count: 32 - scalar.count) + scalar
            }
            self.publicKey = publicKey
        } catch let error as TrustError {
            throw TrustError(error.problem, location: location)
        }
    }

    /// An SSH signature blob over `data`.
    public func sign(_ data: [UInt8]) throws -> [UInt8] {
        var writer = SSHWireWriter()
        writer.string(publicKey.kind.rawValue)
        switch publicKey.kind {
        case .ed25519:
            guard
                let key = secret.withUnsafeBufferPointer({
                    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
                })
            else { throw TrustError(.signingFailed) }
            defer { EVP_PKEY_free(key) }
            guard let signature = Digest.sign(data, key: key, digest: nil) else {
                throw TrustError(.signingFailed)
            }
            writer.string(signature)
        case .ecdsaP256:
            guard let key = p256PrivateKey() else { throw TrustError(.signingFailed) }
            defer { EVP_PKEY_free(key) }
            guard let der = Digest.sign(data, key: key, digest: EVP_sha256()), let body = Self.sshECDSA(der)
            else { throw TrustError(.signingFailed) }
            writer.string(body)
        }
        return writer.bytes
    }

    /// A libcrypto P-256 private key from the scalar and point, through a DER ECPrivateKey
    /// (RFC 5915, fixed layout for P-256); the caller frees it.
    private func p256PrivateKey() -> OpaquePointer? {
        let der: [UInt8] =
            [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20] + secret
            + [
                0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03,
                0x42, 0x00,
            ]
            + publicKey.raw
        return der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PrivateKey(EVP_PKEY_EC, nil, &cursor, buffer.count)
        }
    }

    /// `mpint r, mpint s` from a DER ECDSA-Sig-Value.
    private static func sshECDSA(_ der: [UInt8]) -> [UInt8]? {
        let parsed = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let parsed else { return nil }
        defer { ECDSA_SIG_free(parsed) }
        var writer = SSHWireWriter()
        for number in [ECDSA_SIG_get0_r(parsed), ECDSA_SIG_get0_s(parsed)] {
            var bytes = [UInt8](repeating: 0, count: 33)
            let count = BN_bn2bin(number, &bytes)
            writer.mpint(Array(bytes.prefix(Int(count))))
        }
        return writer.bytes
    }
}
