import Foundation
import GitKit
import TestSupport
import Testing

/// Damaged repositories give a clear `GitError` (exit status 3), never a crash.
@Suite struct CorruptionTests {
    private func objectFile(_ repo: TemporaryRepository, _ id: ObjectID) -> URL {
        repo.url.appendingPathComponent(".git/objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))")
    }

    private func overwrite(_ file: URL, with bytes: Data) throws {
        // Loose objects are read-only; make it writable first, as a disk error would not ask.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        try bytes.write(to: file)
    }

    @Test func corruptLooseBlob() throws {
        let repo = try TemporaryRepository.withHistory()
        let blob = try objectID(repo.git(["rev-parse", "HEAD:README.md"]))
        try overwrite(objectFile(repo, blob), with: Data("this is not zlib data".utf8))
        #expect(try repo.gitResult(["cat-file", "-p", blob.hex]).status != 0)
        let repository = try repo.open()
        let error = gitError { _ = try repository.blob(blob) }
        #expect(error?.exitStatus == .failure)
        #expect(error?.location == blob.hex)
        #expect(error?.summary.contains("read blob \(blob.short)") == true)
        #expect(gitError { try repository.streamBlob(blob) { _ in } }?.exitStatus == .failure)
        // A clean work-tree copy of the file would be exported instead of the blob (same bytes);
        // rewritten, its stat data no longer matches the index, so the export reads the blob.
        try repo.write(["README.md": try repo.read("README.md")])
        #expect(
            gitError {
                try repository.export(
                    commit: try repository.resolveCommit("HEAD"), to: repo.directory.appending("out"))
            } != nil)
    }

    @Test func corruptLooseCommit() throws {
        let repo = try TemporaryRepository.withHistory()
        let commit = try objectID(repo.git(["rev-parse", "HEAD~1"]))
        // Valid zlib of a wrong object: git's header says commit but the body is garbage.
        let garbage = Data((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        try overwrite(objectFile(repo, commit), with: garbage)
        let repository = try repo.open()
        let error = gitError { _ = try repository.commit(commit) }
        #expect(error?.exitStatus == .failure)
        #expect(error?.message.isEmpty == false)
        let head = try repository.resolveCommit("HEAD")
        #expect(gitError { _ = try repository.firstParentHistory(from: head) } != nil)
        #expect(gitError { _ = try repository.diff(from: commit, to: head) } != nil)
    }

    @Test func bitRotInLooseTree() throws {
        // Flip the zlib checksum at the end of a loose tree: inflate fails with a data error.
        // (Truncating the file instead makes libgit2 1.5 loop forever: libgit2#7342, fixed
        // upstream after 1.9 by #7346; there is nothing GitKit can do before calling it.)
        let repo = try TemporaryRepository.withHistory()
        let tree = try objectID(repo.git(["rev-parse", "HEAD^{tree}"]))
        let file = objectFile(repo, tree)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 1] ^= 0xFF
        try overwrite(file, with: bytes)
        #expect(try repo.gitResult(["ls-tree", "HEAD"]).status != 0)
        let repository = try repo.open()
        let error = gitError { _ = try repository.treeEntries(commit: try repository.resolveCommit("HEAD")) }
        #expect(error?.exitStatus == .failure)
        #expect(error?.summary.contains("read tree \(tree.short)") == true)
    }

    @Test func missingObject() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let missing = try objectID(String(repeating: "ab", count: 20))
        let error = gitError { _ = try repository.blob(missing) }
        #expect(error?.isNotFound == true)
        #expect(gitError { _ = try repository.commit(missing) }?.isNotFound == true)
        #expect(gitError { _ = try repository.commits(reachableFrom: missing, excluding: []) } != nil)
    }

    @Test func corruptIndexFile() throws {
        let repo = try TemporaryRepository.withHistory()
        try Data("DIRC garbage".utf8).write(to: repo.url.appendingPathComponent(".git/index"))
        let repository = try repo.open()
        let error = gitError { _ = try repository.indexEntries() }
        #expect(error?.exitStatus == .failure)
        #expect(gitError { _ = try repository.diffHeadToIndex() } != nil)
    }

    @Test func splitIndexIsAClearError() throws {
        // libgit2 1.5 cannot read git's split index; say so instead of reading half of it.
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["update-index", "--split-index"])
        try repo.stage(["new.txt": "n\n"])
        #expect(try repo.git(["ls-files"]).split(separator: "\n").count == 5)
        let error = gitError { _ = try repo.open().indexEntries() }
        #expect(error?.exitStatus == .failure)
        #expect(error?.message.contains("link") == true)
        #expect(error?.hint?.contains("--no-split-index") == true)
    }

    @Test func indexVersionFourIsRead() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["update-index", "--index-version", "4"])
        try repo.stage(["new.txt": "n\n"])
        let repository = try repo.open()
        #expect(try repository.indexEntries().map(\.path) == nulFields(try repo.git(["ls-files", "-z"])))
        #expect(try repository.indexTreeID() == (try objectID(repo.git(["write-tree"]))))
    }
}
