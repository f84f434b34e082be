import Checksum
import Foundation
import TestSupport
import Testing

@testable import Artifacts

/// Compressed layers are inflated with zlib and libzstd; checked against files compressed by the
/// `gzip` and `zstd` commands.
@Suite struct LayerInflationTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory(prefix: "modelgate-gzip") }

    /// `parts` compressed one by one with `tool` (`gzip` or `zstd`) and concatenated: one gzip
    /// member or zstd frame each.
    func compressed(_ parts: [Data], name: String, tool: String = "gzip") throws -> URL {
        let suffix = tool == "gzip" ? ".gz" : ".zst"
        var joined = Data()
        for (index, part) in parts.enumerated() {
            let plain = directory.appending("\(name)-\(index)")
            try part.write(to: plain)
            let result = try ProcessRunner.run(tool, ["-k", "-q", plain.path], in: directory.url)
            #expect(result.status == 0, "\(result.stderr)")
            joined += try Data(contentsOf: URL(fileURLWithPath: plain.path + suffix))
        }
        let url = directory.appending(name + suffix)
        try joined.write(to: url)
        return url
    }

    func gzipped(_ parts: [Data], name: String) throws -> URL { try compressed(parts, name: name) }

    static func gunzip(_ source: URL, to destination: URL, reserve: Int64 = 1 << 30) throws -> String {
        try LayerInflation.inflate(source, to: destination, with: try GzipInflater(), reserve: reserve)
    }

    @Test func inflatesOneMemberAndConcatenatedMembers() throws {
        // Large enough for many output buffers, with a repeating pattern zlib compresses well.
        let first = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let second = Data("and a second member\n".utf8)
        let source = try gzipped([first, second], name: "two")
        let out = directory.appending("two.tar")
        let digest = try Self.gunzip(source, to: out)
        #expect(try Data(contentsOf: out) == first + second)
        #expect(digest == SHA256.hex(of: first + second))
    }

    /// A layer that would leave the disk with less than the reserve stops inflating.
    @Test func inflatingStopsBeforeTheDiskFills() throws {
        let source = try gzipped([Data(repeating: 0, count: 1_000_000)], name: "zeros")
        let out = directory.appending("zeros.tar")
        do {
            _ = try Self.gunzip(source, to: out, reserve: Int64.max / 2)
            Issue.record("inflated past the reserve")
        } catch let error as ArtifactError {
            #expect(error.summary.contains("stopped before it fills up"))
        }
        #expect(try Self.gunzip(source, to: directory.appending("ok.tar"), reserve: 0).count == 64)
    }

    /// A decompression bomb stops at the limit (`pull --max-bytes`), whatever the disk holds.
    @Test func inflatingStopsAtTheLimit() throws {
        let source = try gzipped([Data(repeating: 0, count: 3_000_000)], name: "bomb")
        #expect(throws: UnpackError.limitReached(.bytes(1 << 20), layer: nil, offset: nil)) {
            try LayerInflation.inflate(
                source, to: directory.appending("bomb.tar"), with: try GzipInflater(), limit: 1 << 20)
        }
        let exact = try LayerInflation.inflate(
            source, to: directory.appending("exact.tar"), with: try GzipInflater(), limit: 3_000_000)
        #expect(exact == SHA256.hex(of: Data(repeating: 0, count: 3_000_000)))
    }

    @Test func zstdFramesInflateAndBadOnesAreErrors() throws {
        let first = Data((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 % 241) })
        let second = Data("a second frame\n".utf8)
        let source = try compressed([first, second], name: "frames", tool: "zstd")
        let out = directory.appending("frames.tar")
        let digest = try LayerInflation.inflate(source, to: out, with: try ZstdInflater())
        #expect(try Data(contentsOf: out) == first + second)
        #expect(digest == SHA256.hex(of: first + second))

        var bytes = try Data(contentsOf: source)
        let truncated = directory.appending("truncated.zst")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        #expect(throws: ArtifactError.self) {
            try LayerInflation.inflate(truncated, to: directory.appending("t2"), with: try ZstdInflater())
        }
        bytes[4] ^= 0xFF  // the frame header
        let corrupt = directory.appending("corrupt.zst")
        try bytes.write(to: corrupt)
        do {
            _ = try LayerInflation.inflate(corrupt, to: directory.appending("c2"), with: try ZstdInflater())
            Issue.record("a corrupt zstd frame inflated")
        } catch let error as ArtifactError {
            #expect(error.summary.hasPrefix("the layer is not valid zstd"), "\(error.summary)")
        }
    }

    /// Output that ends exactly at the end of zstd's output buffer (a multiple of 128 KiB) is a
    /// complete frame too.
    @Test func zstdOutputEndingOnTheBufferBoundaryIsComplete() throws {
        for size in [131_072, 262_144, 655_360] {
            let plain = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 % 253) })
            let source = try compressed([plain], name: "boundary-\(size)", tool: "zstd")
            let out = directory.appending("boundary-\(size).tar")
            _ = try LayerInflation.inflate(source, to: out, with: try ZstdInflater())
            #expect(try Data(contentsOf: out) == plain, "\(size)")
        }
    }

    @Test func onlyKnownCompressionsAreAccepted() throws {
        let target = try RegistryReference(parsing: "127.0.0.1:5000/team/model:v1")
        let auth = try RegistryAuth(
            registry: try #require(Origin(URL(string: "http://127.0.0.1:5000"))), name: target.registry,
            credentials: nil, scope: "repository:team/model:pull")
        func compression(_ mediaType: String) throws -> LayerCompression {
            try LayerCompression(mediaType: mediaType, layer: "sha256:a", target: target, auth: auth)
        }
        #expect(try compression(OCI.layerType) == .none)
        #expect(try compression(OCI.layerType + "+gzip") == .gzip)
        #expect(try compression(OCI.layerType + "+zstd") == .zstd)
        #expect(
            throws: RegistryError.unsupportedLayer(
                digest: "sha256:a", mediaType: auth.redact(OCI.layerType + "+lz4"),
                reference: target.description)
        ) {
            try compression(OCI.layerType + "+lz4")
        }
    }

    @Test func corruptAndTruncatedInputsAreErrors() throws {
        let source = try gzipped([Data(repeating: 7, count: 100_000)], name: "one")
        var bytes = try Data(contentsOf: source)

        let truncated = directory.appending("truncated.gz")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        #expect(throws: ArtifactError.self) {
            try Self.gunzip(truncated, to: directory.appending("t"))
        }

        bytes[bytes.count / 2] ^= 0xFF
        let corrupt = directory.appending("corrupt.gz")
        try bytes.write(to: corrupt)
        do {
            _ = try Self.gunzip(corrupt, to: directory.appending("c"))
            Issue.record("a corrupt gzip stream inflated")
        } catch let error as ArtifactError {
            #expect(error.summary.hasPrefix("the layer is not valid gzip"))
        }

        let notGzip = directory.appending("plain.tar")
        try Data("just a tar, not compressed".utf8).write(to: notGzip)
        #expect(throws: ArtifactError.self) { try Self.gunzip(notGzip, to: directory.appending("p")) }
    }
}
