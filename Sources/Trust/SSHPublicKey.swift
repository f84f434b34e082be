import CLibCrypto
import Foundation

/// An SSH public key of a type modelgate verifies: ssh-ed25519 or ecdsa-sha2-nistp256.
///
/// Read from its wire blob (RFC 8709, RFC 5656) or from a `TYPE BASE64 [COMMENT]` line; two keys
/// are the same key exactly when their blobs are equal.
public struct SSHPublicKey: Hashable, Sendable {
    /// The key types supported.
    public enum Kind: String, Sendable {
        /// Ed25519 (RFC 8709).
        case ed25519 = "ssh-ed25519"
        /// ECDSA over NIST P-256 with SHA-256 (RFC 5656).
        case ecdsaP256 = "ecdsa-sha2-nistp256"
    }

    /// The key type.
    public let kind: Kind
    /// The raw key: 32 bytes for Ed25519, the 65-byte uncompressed point for P-256.
    public let raw: [UInt8]
    /// The wire encoding (what signatures and agents carry).
    public let blob: [UInt8]

    /// Reads a public key blob.
    public init(blob: [UInt8]) throws {
        var reader = SSHWireReader(blob, what: "SSH public key")
        let type = try reader.text()
        switch Kind(rawValue: type) {
        case .ed25519:
            raw = try reader.string()
            guard raw.count == 32 else { throw TrustError(.malformed(what: "ssh-ed25519 key")) }
            kind = .ed25519
        case .ecdsaP256:
            guard try reader.text() == "nistp256" else {
                throw TrustError(.malformed(what: "ecdsa-sha2-nistp256 key"))
            }
            raw = try reader.string()
            guard raw.count == 65, raw[0] == 4 else {
                throw TrustError(.malformed(what: "ecdsa-sha2-nistp256 key"))
            }
            kind = .ecdsaP256
        case nil:
            throw TrustError(.unsupportedKeyType(type))
        }
        try reader.requireEnd()
        self.blob = blob
    }

    /// Reads `TYPE BASE64 [COMMENT]` (a `.pub` file, the key part of an allowed_signers line).
    public init(line: some StringProtocol) throws {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2, let data = Data(base64Encoded: String(fields[1])) else {
            throw TrustError(.malformed(what: "SSH public key line"))
        }
        try self.init(blob: [UInt8](data))
        guard kind.rawValue == fields[0] else { throw TrustError(.malformed(what: "SSH public key line")) }
    }

    /// `TYPE BASE64`, as in a `.pub` file without its comment.
    public var line: String { "\(kind.rawValue) \(Data(blob).base64EncodedString())" }

    /// `SHA256:…`, the fingerprint `ssh-keygen -l` prints.
    public var fingerprint: String {
        let digest = Digest.sha256(blob)
        return "SHA256:" + Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// True when `signature` (an SSH signature blob: algorithm name and signature bytes) is this
    /// key's signature over `data`. Never throws: anything unreadable is simply not a signature.
    public func verifies(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        var reader = SSHWireReader(signature, what: "SSH signature")
        guard let algorithm = try? reader.text(), algorithm == kind.rawValue,
            let body = try? reader.string(), reader.isAtEnd
        else { return false }
        switch kind {
        case .ed25519:
            guard body.count == 64,
                let key = raw.withUnsafeBufferPointer({
                    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
                })
            else { return false }
            defer { EVP_PKEY_free(key) }
            return Digest.verify(body, over: data, key: key, digest: nil)
        case .ecdsaP256:
            guard let der = Self.ecdsaDER(body), let key = Self.p256Key(raw) else { return false }
            defer { EVP_PKEY_free(key) }
            return Digest.verify(der, over: data, key: key, digest: EVP_sha256())
        }
    }

    /// The prefix of a DER SubjectPublicKeyInfo for an uncompressed P-256 point (RFC 5480).
    private static let p256SPKIPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
        0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    /// A libcrypto key for the P-256 point; the caller frees it.
    static func p256Key(_ point: [UInt8]) -> OpaquePointer? {
        let der = p256SPKIPrefix + point
        return der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
    }

    /// The DER ECDSA-Sig-Value for an SSH ECDSA signature body (`mpint r, mpint s`).
    private static func ecdsaDER(_ body: [UInt8]) -> [UInt8]? {
        var reader = SSHWireReader(body, what: "ECDSA signature")
        guard let r = try? reader.string(), let s = try? reader.string(), reader.isAtEnd,
            r.count <= 33, s.count <= 33, let signature = ECDSA_SIG_new()
        else { return nil }
        defer { ECDSA_SIG_free(signature) }
        let bigR = BN_bin2bn(r, Int32(r.count), nil)
        let bigS = BN_bin2bn(s, Int32(s.count), nil)
        guard ECDSA_SIG_set0(signature, bigR, bigS) == 1 else {
            BN_free(bigR)
            BN_free(bigS)
            return nil
        }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &out)
        guard length > 0, let out else { return nil }
        defer { CRYPTO_free(out, #file, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}

/// One-shot digests and EVP signing over libcrypto.
enum Digest {
    static func sha256(_ data: [UInt8]) -> [UInt8] { hash(data, EVP_sha256()) }

    static func sha512(_ data: [UInt8]) -> [UInt8] { hash(data, EVP_sha512()) }

    private static func hash(_ data: [UInt8], _ algorithm: OpaquePointer?) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_Digest(data, data.count, &out, &length, algorithm, nil)
        return Array(out.prefix(Int(length)))
    }

    /// EVP_DigestVerify (one-shot: Ed25519 takes the whole message; ECDSA hashes with `digest`).
    static func verify(
        _ signature: [UInt8], over data: [UInt8], key: OpaquePointer, digest: OpaquePointer?
    ) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, digest, nil, key) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, data, data.count) == 1
    }

    /// EVP_DigestSign; nil when libcrypto refuses.
    static func sign(_ data: [UInt8], key: OpaquePointer, digest: OpaquePointer?) -> [UInt8]? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, digest, nil, key) == 1 else { return nil }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, data, data.count) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &out, &length, data, data.count) == 1 else { return nil }
        return Array(out.prefix(length))
    }
}
