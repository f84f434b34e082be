import Foundation
import GitKit
import TestSupport
import Testing

@testable import Pipeline

/// `--worktree` runs fingerprint files where they are and then copy them: a file written in
/// between would be judged under another content's fingerprint, so the copy notices and stops.
@Suite struct WorkTreeCopyTests {
    @Test func aFileChangedAfterItsFingerprintStopsTheCopy() throws {
        let repo = try TemporaryRepository()
        try repo.commit(files: ["data/a.csv": "x\n1\n", "notes.txt": "n\n"], message: "data")
        let repository = try repo.open()

        let unchanged = try EvaluatedTree(.worktree, in: repository)
        _ = try unchanged.id(of: "data/a.csv")
        let first = repo.directory.appending("first")
        try unchanged.materialize(into: first, from: repository)
        #expect(
            try String(contentsOf: first.appendingPathComponent("data/a.csv"), encoding: .utf8) == "x\n1\n")

        let tree = try EvaluatedTree(.worktree, in: repository)
        _ = try tree.id(of: "data/a.csv")
        usleep(10_000)
        try repo.write(["data/a.csv": "x\n2\n"])  // same size, new bytes, after the fingerprint
        #expect(throws: StageFailure.self) {
            try tree.materialize(into: repo.directory.appending("second"), from: repository)
        }
        // Deleted after its fingerprint: the stages would run without it.
        let deleted = try EvaluatedTree(.worktree, in: repository)
        _ = try deleted.id(of: "data/a.csv")
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("data/a.csv"))
        #expect(throws: StageFailure.self) {
            try deleted.materialize(into: repo.directory.appending("fourth"), from: repository)
        }
        try repo.write(["data/a.csv": "x\n3\n"])
        // A file never fingerprinted is copied as it is, whatever happened to it.
        try repo.write(["notes.txt": "changed\n"])
        let third = try EvaluatedTree(.worktree, in: repository)
        try third.materialize(into: repo.directory.appending("third"), from: repository)
    }
}
