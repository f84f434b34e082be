import Foundation

/// A detached SSH signature in the format of `ssh-keygen -Y sign` (PROTOCOL.sshsig), the format
/// git uses for `gpg.format=ssh`.
///
/// What is signed is never the message itself but `"SSHSIG" ‖ namespace ‖ reserved ‖ hash
/// algorithm ‖ H(message)`, so a signature made for one namespace (here `modelgate-verdict`)
/// can never be replayed as a git commit signature, a file signature or an SSH login, and the
/// other way round. Verification compares the namespace first, then checks the signature with
/// libcrypto; any unreadable field makes it fail, never trap.
public struct SSHSignature: Equatable, Sendable {
    /// The namespace of run records.
    public static let verdictNamespace = "modelgate-verdict"
    /// The largest signature blob read (an Ed25519 signature is about 300 bytes).
    public static let maxBlobBytes = 16 * 1024

    /// The signing key.
    public let publicKey: SSHPublicKey
    /// The namespace it was made for.
    public let namespace: String
    /// "sha256" or "sha512".
    public let hashAlgorithm: String
    /// The SSH signature blob (algorithm name and signature bytes).
    public let signature: [UInt8]
    /// The whole sshsig blob.
    public let blob: [UInt8]

    private static let magic = Array("SSHSIG".utf8)

    /// Reads an sshsig blob.
    public init(blob: [UInt8]) throws {
        let what = "SSH signature"
        guard blob.count <= Self.maxBlobBytes else { throw TrustError(.malformed(what: what)) }
        var reader = SSHWireReader(blob, what: what)
        guard try reader.fixed(6) == Self.magic, try reader.uint32() == 1 else {
            throw TrustError(.malformed(what: what))
        }
        publicKey = try SSHPublicKey(blob: reader.string())
        namespace = try reader.text()
        _ = try reader.string()  // reserved: ignored, as PROTOCOL.sshsig says
        hashAlgorithm = try reader.text()
        signature = try reader.string()
        try reader.requireEnd()
        guard !namespace.isEmpty, ["sha256", "sha512"].contains(hashAlgorithm) else {
            throw TrustError(.malformed(what: what))
        }
        self.blob = blob
    }

    /// Reads an armored signature (`-----BEGIN SSH SIGNATURE-----`…).
    public init(armored: some Collection<UInt8>) throws {
        try self.init(blob: Armor.decode(armored, label: "SSH SIGNATURE", what: "SSH signature"))
    }

    /// Signs `message` for `namespace` with `signer` (SHA-512, as ssh-keygen does).
    public static func make(
        over message: [UInt8], namespace: String = verdictNamespace, signer: any SSHSigner
    ) throws -> SSHSignature {
        let signed = signedData(message: message, namespace: namespace, hashAlgorithm: "sha512")
        let signature = try signer.sign(signed)
        var writer = SSHWireWriter()
        writer.raw(magic)
        writer.uint32(1)
        writer.string(signer.publicKey.blob)
        writer.string(namespace)
        writer.string([UInt8]())
        writer.string("sha512")
        writer.string(signature)
        return try SSHSignature(blob: writer.bytes)
    }

    /// The armored text, as `ssh-keygen -Y sign` writes it.
    public var armored: String { Armor.encode(blob, label: "SSH SIGNATURE") }

    /// Throws unless this is `publicKey`'s signature over `message` for `namespace`.
    public func verify(_ message: [UInt8], namespace expected: String = verdictNamespace) throws {
        guard namespace == expected else {
            throw TrustError(.wrongNamespace(found: namespace, expected: expected))
        }
        let signed = Self.signedData(message: message, namespace: namespace, hashAlgorithm: hashAlgorithm)
        guard publicKey.verifies(signature, over: signed) else { throw TrustError(.badSignature) }
    }

    /// The bytes the key signs (PROTOCOL.sshsig, section 3).
    static func signedData(message: [UInt8], namespace: String, hashAlgorithm: String) -> [UInt8] {
        var writer = SSHWireWriter()
        writer.raw(magic)
        writer.string(namespace)
        writer.string([UInt8]())
        writer.string(hashAlgorithm)
        writer.string(hashAlgorithm == "sha256" ? Digest.sha256(message) : Digest.sha512(message))
        return writer.bytes
    }
}
