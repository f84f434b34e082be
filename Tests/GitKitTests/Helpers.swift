import Foundation
import GitKit
import TestSupport
import Testing

/// A full id from git's output, failing the test (not crashing) when git printed something else.
func objectID(_ hex: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ObjectID {
    try #require(
        ObjectID(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines)), sourceLocation: sourceLocation)
}

/// Splits NUL-separated git output (`-z`), dropping the empty tail.
func nulFields(_ text: String) -> [String] {
    text.split(separator: "\0", omittingEmptySubsequences: true).map(String.init)
}

/// Runs `body` and returns the `GitError` it threw; fails the test when it threw nothing or something else.
func gitError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> GitError? {
    do {
        try body()
        Issue.record("expected a GitError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as GitError {
        return error
    } catch {
        Issue.record("expected a GitError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension TemporaryRepository {
    /// A repository with a short history on main: three commits touching data and code.
    static func withHistory() throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        try repo.commit(files: ["data/train.csv": "x,y\n1,2\n", "README.md": "hello\n"], message: "first")
        try repo.commit(
            files: ["data/train.csv": "x,y\n1,2\n3,4\n", "src/train.py": "print(1)\n"],
            message: "second\n\nbody line\n")
        try repo.commit(files: ["data/test.csv": "x,y\n5,6\n"], message: "third")
        return repo
    }

    /// The bytes of a file in the git directory (e.g. "index"), or nil when absent.
    func gitFileBytes(_ name: String) throws -> Data? {
        let path = try git(["rev-parse", "--git-path", name])
        return FileManager.default.contents(atPath: url.appendingPathComponent(path).path)
    }
}
