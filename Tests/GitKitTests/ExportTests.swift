import Foundation
import GitKit
import TestSupport
import Testing

/// Exports write a commit or the index elsewhere and leave the user's repository exactly as it was.
@Suite struct ExportTests {
    /// Everything an export must not change: status, index bytes, HEAD, stash, work-tree files.
    struct Snapshot: Equatable {
        let status: String
        let index: Data?
        let head: String
        let stash: String
        let files: [String: Data]

        init(_ repo: TemporaryRepository) throws {
            status = try repo.git(["status", "--porcelain=v1", "-z", "--untracked-files=all"])
            index = try repo.gitFileBytes("index")
            head =
                try repo.git(["rev-parse", "--symbolic-full-name", "HEAD"]) + " "
                + (try repo.git(["rev-parse", "HEAD"]))
            stash = try repo.git(["stash", "list"])
            var files: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(atPath: repo.url.path)
            while let path = enumerator?.nextObject() as? String {
                if path == ".git" {
                    enumerator?.skipDescendants()
                    continue
                }
                files[path] = FileManager.default.contents(atPath: repo.url.appendingPathComponent(path).path)
            }
            self.files = files
        }
    }

    private func read(_ directory: URL, _ path: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
    }

    private func isExecutable(_ directory: URL, _ path: String) throws -> Bool {
        let permissions =
            try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(path).path)[
                .posixPermissions] as? Int
        return (permissions ?? 0) & 0o100 != 0
    }

    @Test func exportIndexHasStagedContentAndTouchesNothing() throws {
        let repo = try TreeAndIndexTests.richRepository()
        try repo.write(["stashed.txt": "s\n"])
        try repo.git(["add", "stashed.txt"])
        try repo.git(["stash", "--quiet"])
        try repo.write(["data/train.csv": "x,y\nstaged\n", "src/new.py": "staged new\n"])
        try repo.git(["add", "data/train.csv", "src/new.py"])
        try repo.write(["data/train.csv": "x,y\nunstaged edit\n", "untracked.txt": "u\n"])
        let before = try Snapshot(repo)

        let out = repo.directory.appending("export-index")
        let written = try repo.open().exportIndex(to: out)

        #expect(try Snapshot(repo) == before)
        #expect(try read(out, "data/train.csv") == "x,y\nstaged\n")
        #expect(try repo.read("data/train.csv") == "x,y\nunstaged edit\n")
        #expect(try read(out, "src/new.py") == "staged new\n")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("untracked.txt").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("stashed.txt").path))
        #expect(try isExecutable(out, "bin/run.sh"))
        #expect(try !isExecutable(out, "README.md"))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(
                atPath: out.appendingPathComponent("latest.csv").path) == "data/train.csv")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("vendor/module").path))
        #expect(!written.contains { $0.mode == .gitlink })
        // The exported files are exactly the staged tree: git agrees when it hashes them.
        let staged = nulFields(try repo.git(["ls-files", "-z", "--stage"])).filter { !$0.hasPrefix("160000") }
        for line in staged {
            let parts = line.split(separator: "\t", maxSplits: 1)
            let id = String(parts[0].split(separator: " ")[1])
            let path = String(parts[1])
            let hashed =
                path == "latest.csv"
                ? try repo.git(["hash-object", "--stdin"], input: "data/train.csv")
                : try repo.git(["hash-object", "--no-filters", out.appendingPathComponent(path).path])
            #expect(hashed == id, "\(path)")
        }
        #expect(written.count == staged.count)
    }

    @Test func exportCommitWritesItsTreeAndTouchesNothing() throws {
        let repo = try TreeAndIndexTests.richRepository()
        try repo.write(["README.md": "dirty work tree\n"])
        try repo.git(["add", "README.md"])
        try repo.write(["README.md": "dirtier\n"])
        let before = try Snapshot(repo)
        let repository = try repo.open()
        let old = try repository.resolveCommit("HEAD~2")
        let out = repo.directory.appending("export-commit")
        let written = try repository.export(commit: old, to: out)
        #expect(try Snapshot(repo) == before)
        #expect(written.map(\.path) == (try repository.treeEntries(commit: old)).map(\.path))
        #expect(try read(out, "data/train.csv") == "x,y\n1,2\n3,4\n")
        #expect(try read(out, "README.md") == "hello\n")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("data/test.csv").path))
        let listing = try FileManager.default.subpathsOfDirectory(atPath: out.path).sorted()
        #expect(listing == ["README.md", "data", "data/train.csv", "src", "src/train.py"])
    }

    @Test func exportStreamsPackedObjects() throws {
        let repo = try TemporaryRepository()
        let big = String((0..<200_000).map { "\($0),\($0 * 2)\n" }.joined())
        try repo.commit(files: ["data/big.csv": big], message: "big")
        try repo.git(["gc", "--quiet"])
        let repository = try repo.open()
        let out = repo.directory.appending("packed")
        try repository.export(commit: try repository.resolveCommit("HEAD"), to: out)
        #expect(try Data(contentsOf: out.appendingPathComponent("data/big.csv")) == Data(big.utf8))
    }

    @Test func refusesNonEmptyDestination() throws {
        let repo = try TemporaryRepository.withHistory()
        let out = repo.directory.appending("busy")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep me\n".utf8).write(to: out.appendingPathComponent("mine.txt"))
        let repository = try repo.open()
        let error = gitError { try repository.export(commit: try repository.resolveCommit("HEAD"), to: out) }
        #expect(error?.exitStatus == .badInput)
        #expect(
            try String(contentsOf: out.appendingPathComponent("mine.txt"), encoding: .utf8) == "keep me\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["mine.txt"])
    }

    @Test(arguments: ["..", ".git", "dot-dot-dir"])
    func refusesPathsOutsideTheDestination(name: String) throws {
        // git mktree accepts entries git checkout would refuse; an export must refuse them too.
        let repo = try TemporaryRepository.withHistory()
        let blob = try repo.git(["hash-object", "-w", "--stdin"], input: "owned\n")
        let tree: String
        if name == "dot-dot-dir" {
            let inner = try repo.git(["mktree"], input: "100644 blob \(blob)\tescaped.txt\n")
            tree = try repo.git(["mktree"], input: "040000 tree \(inner)\t..\n")
        } else {
            tree = try repo.git(["mktree"], input: "100644 blob \(blob)\t\(name)\n")
        }
        let commit = try objectID(repo.git(["commit-tree", "-m", "evil", tree]))
        let out = repo.directory.appending("exports/evil")
        let error = gitError { try repo.open().export(commit: commit, to: out) }
        #expect(error?.summary.contains("unsafe path") == true)
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appending("exports/escaped.txt").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(".git").path))
        #expect(try repo.read("README.md") == "hello\n")
    }
}
