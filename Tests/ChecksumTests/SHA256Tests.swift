import Checksum
import Foundation
import TestSupport
import Testing

@Test func matchesKnownVectors() {
    #expect(SHA256.hex(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}

@Test func streamingEqualsOneShotAndSha256sum() throws {
    let directory = try TemporaryDirectory()
    let file = directory.appending("data.bin")
    let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    try data.write(to: file)
    let streamed = try SHA256.hex(ofFileAt: file)
    #expect(streamed == SHA256.hex(of: data))
    let tool = try ProcessRunner.run("sha256sum", [file.path], in: directory.url)
    #expect(tool.stdout.hasPrefix(streamed))
}
