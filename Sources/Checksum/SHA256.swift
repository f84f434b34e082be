import CLibCrypto
import Foundation

/// A streaming SHA-256 (OpenSSL's libcrypto). Owns its context.
///
/// libcrypto is already loaded by libgit2's dependencies, so this costs no start-up time, and it
/// builds in seconds where swift-crypto would add a minute to every clean build. It calls the
/// digest directly (`SHA256_Init`/`_Update`/`_Final`, the same assembly as EVP's) rather than
/// through EVP: EVP's first digest initialises OpenSSL 3's providers and fetches the method,
/// 4.3 million instructions on every command that makes a fingerprint.
public final class SHA256 {
    private var context = SHA256_CTX()

    /// Starts a new digest.
    public init() {
        SHA256_Init(&context)
    }

    /// Adds bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        SHA256_Update(&context, base, bytes.count)
    }

    /// Finishes and returns the lowercase hex digest. The object cannot be reused.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        SHA256_Final(&digest, &context)
        return Hex.lowercase(digest[...])
    }
}

/// A streaming SHA-1 (libcrypto, called directly as `SHA256` is), for computing git object ids
/// at hardware speed.
///
/// git itself uses a collision-detecting SHA-1, which is several times slower; modelgate only
/// compares ids of files it reads with ids git already recorded, where that detection adds nothing.
public final class SHA1 {
    private var context = SHA_CTX()

    /// Starts a new digest.
    public init() {
        SHA1_Init(&context)
    }

    /// Adds bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        SHA1_Update(&context, base, bytes.count)
    }

    /// Finishes and returns the lowercase hex digest. The object cannot be reused.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        SHA1_Final(&digest, &context)
        return Hex.lowercase(digest[...])
    }

    /// The id `git hash-object FILE` prints, streaming the file in 1 MiB chunks.
    public static func gitBlobID(ofFileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        let hasher = SHA1()
        hasher.update("blob \(size)\u{0}")
        var remaining = size
        while remaining > 0, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
            remaining -= UInt64(chunk.count)
        }
        return hasher.finalize()
    }
}

/// The conveniences both digests share.
public protocol StreamingDigest: AnyObject {
    /// Adds bytes.
    func update(_ bytes: UnsafeRawBufferPointer)
}

extension SHA256: StreamingDigest {}
extension SHA1: StreamingDigest {}

extension StreamingDigest {
    /// Adds the bytes of `data`.
    public func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Adds the UTF-8 bytes of `text`.
    public func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }
}

/// Lowercase hex, by table: digests are formatted by the ten thousand in a site build.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func lowercase(_ bytes: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256 {
    /// The digest of `data` in one call.
    public static func hex(of data: Data) -> String {
        let hasher = SHA256()
        hasher.update(data)
        return hasher.finalize()
    }

    /// The digest of the UTF-8 bytes of `text` in one call.
    public static func hex(of text: String) -> String {
        let hasher = SHA256()
        hasher.update(text)
        return hasher.finalize()
    }

    /// The digest of a file, read in 1 MiB chunks (memory bounded whatever its size).
    public static func hex(ofFileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hasher.finalize()
    }
}
