import Foundation
import GitKit
import TestSupport
import Testing

@testable import Pipeline

/// A parameters file over `ParametersFile.maxBytes` is not flattened, and is not read whole to
/// find out: `diff` and `status` read at most one byte past the limit.
@Suite struct ParametersLimitTests {
    /// Bytes this process has read through read(2) and friends (`rchar` of /proc/self/io).
    static func bytesRead() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/io", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("rchar:") } ?? ""
        return Int(line.dropFirst("rchar:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }

    @Test func aParametersFileOverTheLimitIsNotReadWhole() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: ["modelgate.yml": "stages:\n  - {name: t, cmd: x, params: p.yaml}\n", "p.yaml": "a: 1\n"],
            message: "params")
        let repository = try repo.open()
        let inspector = PipelineInspector(repository: repository)
        #expect(try inspector.parameters(in: EvaluatedTree(.worktree, in: repository)) == ["p.yaml:a": "1"])

        // 1 GiB of holes: nothing on disk, but a reader that reads it whole reads 1 GiB.
        let handle = try FileHandle(forWritingTo: repo.url.appendingPathComponent("p.yaml"))
        try handle.truncate(atOffset: 1 << 30)
        try handle.close()
        let tree = try EvaluatedTree(.worktree, in: repository)
        let before = try Self.bytesRead()
        #expect(try inspector.parameters(in: tree).isEmpty)
        let read = try Self.bytesRead() - before
        // The limit and one byte, plus the config; tests running beside this one read far less
        // than the 1 GiB a whole read would.
        #expect(read < 256 << 20, "\(read) bytes read")
    }
}
