import CLibCrypto
import Foundation

/// A streaming SHA-256 (OpenSSL's libcrypto). Owns its `EVP_MD_CTX` and frees it on deinit.
///
/// libcrypto is already loaded by libgit2's dependencies, so this costs no start-up time, and it
/// builds in seconds where swift-crypto would add a minute to every clean build.
public final class SHA256: StreamingDigest {
    /// Starts a new digest.
    public init() {
        super.init(algorithm: EVP_sha256())
    }
}

/// A streaming SHA-1 (libcrypto), for computing git object ids at hardware speed.
///
/// git itself uses a collision-detecting SHA-1, which is several times slower; modelgate only
/// compares ids of files it reads with ids git already recorded, where that detection adds nothing.
public final class SHA1: StreamingDigest {
    /// Starts a new digest.
    public init() {
        super.init(algorithm: EVP_sha1())
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

/// A message digest over libcrypto's EVP interface. Owns its `EVP_MD_CTX` and frees it on deinit.
public class StreamingDigest {
    private let context: OpaquePointer

    init(algorithm: OpaquePointer?) {
        // EVP_MD_CTX_new only fails when out of memory, where nothing else would work either.
        context = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(context, algorithm, nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds the bytes of `data`.
    public func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Adds the UTF-8 bytes of `text`.
    public func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Finishes and returns the lowercase hex digest. The object cannot be reused.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Self.hex(digest.prefix(Int(length)))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`, by table: digests are formatted by the ten thousand in a site build.
    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 15)])
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
