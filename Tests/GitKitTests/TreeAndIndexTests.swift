import Foundation
import GitKit
import TestSupport
import Testing

/// Trees, the index and blobs, checked against `git ls-tree`, `git ls-files` and `git write-tree`.
@Suite struct TreeAndIndexTests {
    /// A repository with an executable, a symlink and a submodule-style gitlink committed.
    static func richRepository() throws -> TemporaryRepository {
        let repo = try TemporaryRepository.withHistory()
        try repo.write(["bin/run.sh": "#!/bin/sh\necho hi\n"])
        try repo.git(["update-index", "--add", "--chmod=+x", "bin/run.sh"])
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appendingPathComponent("latest.csv").path, withDestinationPath: "data/train.csv")
        let head = try repo.git(["rev-parse", "HEAD"])
        try repo.git(["update-index", "--add", "--cacheinfo", "160000,\(head),vendor/module"])
        try repo.git(["add", "latest.csv"])
        try repo.commit(message: "executables, links and a submodule")
        return repo
    }

    private func lsTree(_ repo: TemporaryRepository, _ rev: String) throws -> [(
        mode: String, id: String, path: String
    )] {
        try nulFields(repo.git(["ls-tree", "-r", "-z", "--full-tree", rev])).map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            let meta = parts[0].split(separator: " ")
            return (String(meta[0]), String(meta[2]), String(parts[1]))
        }
    }

    @Test func treeEntriesMatchLsTree() throws {
        let repo = try Self.richRepository()
        let repository = try repo.open()
        for rev in ["HEAD", "HEAD~1", "HEAD~3"] {
            let entries = try repository.treeEntries(commit: try repository.resolveCommit(rev))
            let expected = try lsTree(repo, rev)
            #expect(entries.map(\.path) == expected.map(\.path))
            #expect(entries.map(\.id.hex) == expected.map(\.id))
            #expect(entries.map(\.mode.octal) == expected.map(\.mode))
        }
        let head = try repository.resolveCommit("HEAD")
        let modes = Dictionary(
            uniqueKeysWithValues: try repository.treeEntries(commit: head).map { ($0.path, $0.mode) })
        #expect(modes["bin/run.sh"] == .executable)
        #expect(modes["latest.csv"] == .symlink)
        #expect(modes["vendor/module"] == .gitlink)
        #expect(modes["README.md"] == .regular)
        #expect(
            try repository.treeEntries(commit: head, matching: ["data/*.csv", "bin/**"]).map(\.path)
                == ["bin/run.sh", "data/test.csv", "data/train.csv"])
    }

    @Test func indexEntriesMatchLsFiles() throws {
        let repo = try Self.richRepository()
        try repo.write(["data/new.csv": "n\n", "README.md": "changed\n"])
        try repo.git(["add", "data/new.csv"])
        let repository = try repo.open()
        let entries = try repository.indexEntries()
        let expected = nulFields(try repo.git(["ls-files", "--stage", "-z"])).map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return
                "\(parts[0].split(separator: " ")[0]) \(parts[0].split(separator: " ")[1]) \(parts[0].split(separator: " ")[2]) \(parts[1])"
        }
        #expect(entries.map { "\($0.mode.octal) \($0.id.hex) \($0.stage) \($0.path)" } == expected)
        #expect(
            try repository.indexEntries(matching: ["data/**"]).map(\.path) == [
                "data/new.csv", "data/test.csv", "data/train.csv",
            ])

        // Stat data is what `git ls-files --debug` shows for the same entry.
        let entry = try #require(entries.first { $0.path == "data/new.csv" })
        let debug = try repo.git(["ls-files", "--debug", "data/new.csv"])
        #expect(debug.contains("ctime: \(entry.ctime.seconds):\(entry.ctime.nanoseconds)"))
        #expect(debug.contains("mtime: \(entry.mtime.seconds):\(entry.mtime.nanoseconds)"))
        #expect(debug.contains("dev: \(entry.device)\tino: \(entry.inode)"))
        #expect(debug.contains("size: \(entry.size)\t"))
        #expect(entry.size == 2)
    }

    @Test func indexTreeIDMatchesWriteTreeWithoutWritingTheIndex() throws {
        let repo = try Self.richRepository()
        try repo.write(["data/train.csv": "x,y\n9,9\n", "unstaged.txt": "u\n"])
        try repo.git(["add", "data/train.csv"])
        try repo.write(["data/train.csv": "x,y\nworking copy only\n"])
        let before = try repo.gitFileBytes("index")
        let repository = try repo.open()
        let tree = try repository.indexTreeID()
        #expect(try repo.gitFileBytes("index") == before)
        #expect(tree == (try objectID(repo.git(["write-tree"]))))
        #expect(try repo.git(["cat-file", "-t", tree.hex]) == "tree")
    }

    @Test func intentToAddIsNotStagedContent() throws {
        // libgit2 1.5 would write `git add -N` paths as empty files and list them as added.
        let repo = try TemporaryRepository.withHistory()
        try repo.stage(["staged.txt": "s\n"])
        try repo.write(["later.txt": "l\n"])
        try repo.git(["add", "--intent-to-add", "later.txt"])
        let before = try repo.gitFileBytes("index")
        let repository = try repo.open()
        #expect(try repository.indexTreeID() == (try objectID(repo.git(["write-tree"]))))
        #expect(
            try repository.diffHeadToIndex()
                == DiffTests.parse(try repo.git(["diff", "--cached", "--name-status", "-z"])))
        #expect(try repository.diffHeadToIndex() == [DiffEntry(status: .added, path: "staged.txt")])
        #expect(try repo.gitFileBytes("index") == before)
        let out = repo.directory.appending("out")
        #expect(try repository.exportIndex(to: out).map(\.path).contains("later.txt") == false)
    }

    @Test func indexTreeOfConflictedIndexIsBadInput() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["checkout", "--quiet", "-b", "side", "HEAD~1"])
        try repo.commit(files: ["README.md": "side\n"], message: "side")
        try repo.git(["checkout", "--quiet", "main"])
        try repo.commit(files: ["README.md": "main\n"], message: "main")
        #expect(try repo.gitResult(["merge", "side"]).status != 0)
        let repository = try repo.open()
        #expect(try repository.indexEntries(matching: ["README.md"]).map(\.stage) == [1, 2, 3])
        let error = gitError { _ = try repository.indexTreeID() }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.summary.contains("conflicts") == true)
        #expect(
            gitError { try repository.exportIndex(to: repo.directory.appending("out")) }?.exitStatus
                == .badInput)
    }

    @Test func indexFileOverrideReadsAnotherIndex() throws {
        let repo = try TemporaryRepository.withHistory()
        let other = repo.directory.appending("other-index")
        try repo.write(["extra.txt": "e\n"])
        try repo.git(["add", "extra.txt"], environment: ["GIT_INDEX_FILE": other.path])
        let repository = try repo.open()
        #expect(try repository.indexEntries(matching: ["extra.txt"]).isEmpty)
        repository.indexFile = other
        #expect(try repository.indexEntries(matching: ["extra.txt"]).count == 1)
        #expect(
            try repository.indexTreeID()
                == (try objectID(repo.git(["write-tree"], environment: ["GIT_INDEX_FILE": other.path]))))
        #expect(
            try repository.diffHeadToIndex() == [
                DiffEntry(status: .deleted, path: "README.md"),
                DiffEntry(status: .deleted, path: "data/test.csv"),
                DiffEntry(status: .deleted, path: "data/train.csv"),
                DiffEntry(status: .added, path: "extra.txt"),
                DiffEntry(status: .deleted, path: "src/train.py"),
            ])
    }

    @Test func preCommitOfCommitAllReadsGitIndexFile() throws {
        // What a pre-commit hook really gets during `git commit -a`: GIT_INDEX_FILE names
        // .git/index.lock with the new content, while .git/index still has the old staging.
        let repo = try TemporaryRepository.withHistory()
        let hook = repo.url.appendingPathComponent(".git/hooks/pre-commit")
        try Data(
            """
            #!/bin/sh
            printf '%s' "$GIT_INDEX_FILE" > .git/captured-name
            cp "$GIT_INDEX_FILE" .git/captured-index
            exit 1

            """.utf8
        ).write(to: hook)
        _ = try ProcessRunner.run("chmod", ["+x", hook.path], in: repo.url)
        try repo.write(["README.md": "changed for commit -a\n"])
        #expect(try repo.gitResult(["commit", "-a", "-m", "all"]).status != 0)  // the hook refused

        let captured = try String(
            contentsOf: repo.url.appendingPathComponent(".git/captured-name"), encoding: .utf8)
        #expect(captured.hasSuffix(".git/index.lock"))
        let copy = repo.url.appendingPathComponent(".git/captured-index").path
        let inHook = try Repository(at: repo.url, environment: ["GIT_INDEX_FILE": copy])
        #expect(inHook.indexFile?.path == copy)
        #expect(try inHook.diffHeadToIndex() == [DiffEntry(status: .modified, path: "README.md")])
        let plain = try Repository(at: repo.url, environment: [:])
        #expect(plain.indexFile == nil)
        #expect(try plain.diffHeadToIndex() == [])
        // The name git passed is inside the git directory, so it would have been honoured too.
        let lockName = try Repository(at: repo.url, environment: ["GIT_INDEX_FILE": captured])
        #expect(lockName.indexFile?.path == URL(fileURLWithPath: captured).path)
    }

    @Test func gitIndexFileOutsideTheRepositoryIsIgnored() throws {
        let repo = try TemporaryRepository.withHistory()
        let elsewhere = try TemporaryDirectory()
        let foreign = elsewhere.appending("index")
        let repository = try Repository(at: repo.url, environment: ["GIT_INDEX_FILE": foreign.path])
        #expect(repository.indexFile == nil)
        #expect(try repository.indexEntries().count == 4)
        let relative = try Repository(
            discoveringFrom: repo.url, environment: ["GIT_INDEX_FILE": "../../elsewhere/index"])
        #expect(relative.indexFile == nil)
    }

    @Test func workingFileMatchesIndex() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let past = "200001010000"  // stat times well before the index is written: not racy
        try repo.write(["data/stable.csv": "a,b\n1,2\n"])
        _ = try ProcessRunner.run("touch", ["-t", past, "data/stable.csv"], in: repo.url)
        try repo.git(["add", "data/stable.csv"])
        #expect(try repository.workingFileMatchesIndex(path: "data/stable.csv"))

        // Same size, mtime and inode, different bytes: only the ctime (to the nanosecond) shows it.
        // (git built without USE_NSEC compares whole seconds and can miss this within a second.)
        try repo.write(["data/stable.csv": "a,b\n9,9\n"])
        _ = try ProcessRunner.run("touch", ["-t", past, "data/stable.csv"], in: repo.url)
        #expect(try !repository.workingFileMatchesIndex(path: "data/stable.csv"))

        // Racy: an mtime not older than the index file proves nothing (the file may have been
        // rewritten within the same second), so only the bytes can; a future mtime forces it.
        try repo.write(["data/racy.csv": "r\n"])
        let future = "@\(Int(Date().timeIntervalSince1970) + 3600)"
        _ = try ProcessRunner.run("touch", ["-d", future, "data/racy.csv"], in: repo.url)
        try repo.git(["add", "data/racy.csv"])
        let racy = try #require(try repository.indexEntries(matching: ["data/racy.csv"]).first)
        #expect(racy.mtime.seconds > Int(Date().timeIntervalSince1970))
        #expect(try repository.workingFileMatchesIndex(path: "data/racy.csv"))
        try repo.write(["data/racy.csv": "s\n"])
        #expect(try !repository.workingFileMatchesIndex(path: "data/racy.csv"))

        // Executable bit, deletion, unknown path, intent-to-add.
        try repo.write(["tool.sh": "echo\n"])
        try repo.git(["add", "tool.sh"])
        _ = try ProcessRunner.run("chmod", ["+x", "tool.sh"], in: repo.url)
        #expect(try !repository.workingFileMatchesIndex(path: "tool.sh"))
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("README.md"))
        #expect(try !repository.workingFileMatchesIndex(path: "README.md"))
        #expect(try !repository.workingFileMatchesIndex(path: "no/such/file"))
        try repo.write(["later.txt": "l\n"])
        try repo.git(["add", "--intent-to-add", "later.txt"])
        #expect(try !repository.workingFileMatchesIndex(path: "later.txt"))
        #expect(try repository.indexEntries(matching: ["later.txt"]).first?.isIntentToAdd == true)
    }

    @Test func blobsWholeAndStreamed() throws {
        let repo = try TemporaryRepository()
        let big = String((0..<50_000).map { "row \($0)\n" }.joined())
        try repo.commit(files: ["big.txt": big, "small.txt": "s\n", "empty.txt": ""], message: "blobs")
        let repository = try repo.open()
        let bigID = try objectID(repo.git(["rev-parse", "HEAD:big.txt"]))
        #expect(try repository.blob(bigID) == Data(big.utf8))
        #expect(try repository.blob(try objectID(repo.git(["rev-parse", "HEAD:empty.txt"]))).isEmpty)

        var chunks: [Data] = []
        let loose = try repository.streamBlob(bigID, chunkSize: 4096) { chunks.append($0) }
        #expect(loose == .streamed)
        #expect(chunks.allSatisfy { $0.count <= 4096 })
        #expect(chunks.count >= big.utf8.count / 4096)
        #expect(chunks.reduce(Data(), +) == Data(big.utf8))

        // After `git gc` the blob is packed, which libgit2 cannot stream: same bytes, loaded whole.
        try repo.git(["gc", "--quiet"])
        let packedRepository = try repo.open()
        chunks = []
        let packed = try packedRepository.streamBlob(bigID, chunkSize: 4096) { chunks.append($0) }
        #expect(packed == .loadedWhole)
        #expect(chunks.allSatisfy { $0.count <= 4096 })
        #expect(chunks.reduce(Data(), +) == Data(big.utf8))

        // A packed blob at or over the threshold comes from `git cat-file` as git inflates it.
        chunks = []
        let throughGit = try packedRepository.streamBlob(bigID, chunkSize: 4096, gitStreamThreshold: 1) {
            chunks.append($0)
        }
        #expect(throughGit == .streamedByGit)
        #expect(chunks.allSatisfy { $0.count <= 4096 })
        #expect(chunks.reduce(Data(), +) == Data(big.utf8))

        var calls = 0
        try packedRepository.streamBlob(try objectID(repo.git(["rev-parse", "HEAD:empty.txt"]))) { _ in
            calls += 1
        }
        #expect(calls == 0)
        let tree = try objectID(repo.git(["rev-parse", "HEAD^{tree}"]))
        #expect(gitError { _ = try packedRepository.blob(tree) } != nil)
    }
}
