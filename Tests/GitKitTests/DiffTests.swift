import Foundation
import GitKit
import TestSupport
import Testing

/// Diffs must equal `git diff --name-status` on the same repository.
@Suite struct DiffTests {
    /// Parses `git diff --name-status -z` output.
    static func parse(_ output: String) -> [DiffEntry] {
        var fields = nulFields(output)[...]
        var result: [DiffEntry] = []
        while let code = fields.popFirst() {
            let status = DiffStatus(rawValue: String(code.prefix(1)))!
            if status == .renamed || status == .copied {
                let old = fields.popFirst()!
                result.append(DiffEntry(status: status, path: fields.popFirst()!, oldPath: old))
            } else {
                result.append(DiffEntry(status: status, path: fields.popFirst()!))
            }
        }
        return result
    }

    @Test func headToIndexMatchesGitDiffCached() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.write(["data/train.csv": "x,y\n7,7\n", "new/file.txt": "n\n", "only-in-worktree.txt": "w\n"])
        try repo.git(["add", "data/train.csv", "new/file.txt"])
        try repo.git(["rm", "--quiet", "--cached", "README.md"])
        try repo.git(["mv", "src/train.py", "src/fit.py"])
        // An unstaged deletion and an untracked symlink must not show up.
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("data/test.csv"))
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appendingPathComponent("link").path, withDestinationPath: "x")
        let repository = try repo.open()

        let plain = Self.parse(try repo.git(["diff", "--cached", "--no-renames", "--name-status", "-z"]))
        #expect(try repository.diffHeadToIndex() == plain)
        #expect(plain.contains(DiffEntry(status: .deleted, path: "src/train.py")))
        #expect(
            !plain.contains {
                $0.path == "only-in-worktree.txt" || $0.path == "data/test.csv" || $0.path == "link"
            })

        let renamed = Self.parse(try repo.git(["diff", "--cached", "-M", "--name-status", "-z"]))
        #expect(try repository.diffHeadToIndex(detectRenames: true) == renamed)
        #expect(renamed.contains(DiffEntry(status: .renamed, path: "src/fit.py", oldPath: "src/train.py")))
    }

    @Test func nothingStagedIsEmpty() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.write(["README.md": "edited but not staged\n"])
        #expect(try repo.open().diffHeadToIndex().isEmpty)
        #expect(try repo.git(["diff", "--cached", "--name-status"]).isEmpty)
    }

    @Test func unbornBranchDiffsAgainstTheEmptyTree() throws {
        let repo = try TemporaryRepository()
        try repo.stage(["a.txt": "a\n", "b/c.txt": "c\n"])
        let expected = Self.parse(try repo.git(["diff", "--cached", "--name-status", "-z"]))
        #expect(try repo.open().diffHeadToIndex() == expected)
        #expect(expected.map(\.status) == [.added, .added])
    }

    @Test func treeToTreeMatchesGitDiff() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.write(["tool": "#!/bin/sh\n"])
        try repo.git(["add", "tool"])
        try repo.commit(message: "tool")
        // A file that becomes a symlink is a type change (T), and a mode change is a modification.
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("README.md"))
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appendingPathComponent("README.md").path, withDestinationPath: "docs/README.md")
        _ = try ProcessRunner.run("chmod", ["+x", "tool"], in: repo.url)
        try repo.git(["mv", "data/test.csv", "data/holdout.csv"])
        try repo.git(["add", "-A"])
        try repo.commit(message: "shuffle")
        let repository = try repo.open()
        let revs = ["HEAD~4", "HEAD~3", "HEAD~1", "HEAD"]
        for (a, b) in [(0, 3), (1, 3), (2, 3), (3, 0), (1, 2)] {
            let old = try repository.resolveCommit(revs[a])
            let new = try repository.resolveCommit(revs[b])
            let expected = Self.parse(
                try repo.git(["diff", "--no-renames", "--name-status", "-z", old.hex, new.hex]))
            #expect(try repository.diff(from: old, to: new) == expected, "\(revs[a])..\(revs[b])")
            let renames = Self.parse(try repo.git(["diff", "-M", "--name-status", "-z", old.hex, new.hex]))
            #expect(
                try repository.diff(from: old, to: new, detectRenames: true) == renames,
                "-M \(revs[a])..\(revs[b])")
        }
        let last = try repository.diff(
            from: try repository.resolveCommit("HEAD~1"), to: try repository.resolveCommit("HEAD"))
        #expect(last.contains(DiffEntry(status: .typeChanged, path: "README.md")))
        #expect(last.contains(DiffEntry(status: .modified, path: "tool")))

        let head = try repository.resolveCommit("HEAD")
        let fromEmpty = Self.parse(
            try repo.git(["diff", "--name-status", "-z", ObjectID.emptyTree.hex, head.hex]))
        #expect(try repository.diff(from: nil, to: head) == fromEmpty)
        #expect(fromEmpty.allSatisfy { $0.status == .added })
    }
}
