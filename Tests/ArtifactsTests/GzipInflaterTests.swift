import Checksum
import Foundation
import TestSupport
import Testing

@testable import Artifacts

/// Gzip layers are inflated with zlib; checked against files compressed by the `gzip` command.
@Suite struct GzipInflaterTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory(prefix: "modelgate-gzip") }

    /// `parts` compressed one by one with `gzip -c` and concatenated (one member each).
    func gzipped(_ parts: [Data], name: String) throws -> URL {
        var joined = Data()
        for (index, part) in parts.enumerated() {
            let plain = directory.appending("\(name)-\(index)")
            try part.write(to: plain)
            let result = try ProcessRunner.run("gzip", ["-k", "-9", plain.path], in: directory.url)
            #expect(result.status == 0, "\(result.stderr)")
            joined += try Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz"))
        }
        let url = directory.appending("\(name).gz")
        try joined.write(to: url)
        return url
    }

    @Test func inflatesOneMemberAndConcatenatedMembers() throws {
        // Large enough for many output buffers, with a repeating pattern zlib compresses well.
        let first = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let second = Data("and a second member\n".utf8)
        let source = try gzipped([first, second], name: "two")
        let out = directory.appending("two.tar")
        let digest = try GzipInflater.gunzip(source, to: out)
        #expect(try Data(contentsOf: out) == first + second)
        #expect(digest == SHA256.hex(of: first + second))
    }

    /// A layer that would leave the disk with less than the reserve stops inflating.
    @Test func inflatingStopsBeforeTheDiskFills() throws {
        let source = try gzipped([Data(repeating: 0, count: 1_000_000)], name: "zeros")
        let out = directory.appending("zeros.tar")
        do {
            _ = try GzipInflater.gunzip(source, to: out, reserve: Int64.max / 2)
            Issue.record("inflated past the reserve")
        } catch let error as ArtifactError {
            #expect(error.summary.contains("stopped before it fills up"))
        }
        #expect(try GzipInflater.gunzip(source, to: directory.appending("ok.tar"), reserve: 0).count == 64)
    }

    @Test func corruptAndTruncatedInputsAreErrors() throws {
        let source = try gzipped([Data(repeating: 7, count: 100_000)], name: "one")
        var bytes = try Data(contentsOf: source)

        let truncated = directory.appending("truncated.gz")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        #expect(throws: ArtifactError.self) {
            try GzipInflater.gunzip(truncated, to: directory.appending("t"))
        }

        bytes[bytes.count / 2] ^= 0xFF
        let corrupt = directory.appending("corrupt.gz")
        try bytes.write(to: corrupt)
        do {
            _ = try GzipInflater.gunzip(corrupt, to: directory.appending("c"))
            Issue.record("a corrupt gzip stream inflated")
        } catch let error as ArtifactError {
            #expect(error.summary.hasPrefix("the layer is not valid gzip"))
        }

        let notGzip = directory.appending("plain.tar")
        try Data("just a tar, not compressed".utf8).write(to: notGzip)
        #expect(throws: ArtifactError.self) { try GzipInflater.gunzip(notGzip, to: directory.appending("p")) }
    }
}
