import Foundation
import TestSupport
import Testing

@testable import GitKit

/// Exports copy a work-tree file instead of inflating its blob only when git's own stat check
/// says the file holds that blob; in every other case the blob's bytes are exported.
@Suite struct CleanWorkTreeFilesTests {
    /// Copies `path`'s entry from the export's point of view; nil when the helper declined.
    func copied(_ repo: TemporaryRepository, _ path: String, blob: String? = nil) throws -> Data? {
        let repository = try repo.open()
        let id = try ObjectID(hex: blob ?? repo.git(["rev-parse", ":\(path)"]))!
        let entry = TreeEntry(path: path, id: id, mode: .regular)
        let target = repo.directory.appending("copy-\(UUID().uuidString)")
        let descriptor = open(target.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(descriptor >= 0)
        let done = CleanWorkTreeFiles(repository)?.copy(entry, into: descriptor) ?? false
        close(descriptor)
        return done ? try Data(contentsOf: target) : nil
    }

    /// A repository whose data file was staged a moment ago, so its index entry is not racy.
    func repository(_ files: [String: String]) throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        try repo.write(files)
        try repo.git(["add", "."])
        try repo.git(["commit", "--quiet", "-m", "data"])
        // git leaves the index untouched when nothing changed; refresh it after a tick so the
        // entries' stat data is older than the index file, as it is in a real repository.
        usleep(20_000)
        try repo.git(["update-index", "--really-refresh"])
        try FileManager.default.setAttributes(
            [.modificationDate: Date()], ofItemAtPath: repo.url.appendingPathComponent(".git/index").path)
        return repo
    }

    @Test func aCleanFileIsCopiedWithTheBlobsBytes() throws {
        let text = String(repeating: "1.5,2.5,3.5\n", count: 50_000)
        let repo = try repository(["data/train.csv": text])
        #expect(try copied(repo, "data/train.csv") == Data(text.utf8))
        // And a whole export gives git's bytes.
        let out = repo.directory.appending("export")
        try repo.open().export(commit: try repo.open().resolveCommit("HEAD"), to: out)
        #expect(try String(contentsOf: out.appendingPathComponent("data/train.csv"), encoding: .utf8) == text)
    }

    @Test func aFileChangedSinceStagingIsNotCopied() throws {
        let repo = try repository(["data/train.csv": "x,y\n1,2\n"])
        usleep(20_000)
        try repo.write(["data/train.csv": "x,y\n9,9\n"])  // same size, new bytes
        #expect(try copied(repo, "data/train.csv") == nil)
        let out = repo.directory.appending("export")
        try repo.open().exportIndex(to: out)
        #expect(
            try String(contentsOf: out.appendingPathComponent("data/train.csv"), encoding: .utf8)
                == "x,y\n1,2\n")
    }

    @Test func anotherBlobThanTheStagedOneIsNotCopied() throws {
        let repo = try repository(["data/train.csv": "x,y\n1,2\n"])
        let first = try repo.git(["rev-parse", "HEAD:data/train.csv"])
        try repo.write(["data/train.csv": "x,y\n3,4\n5,6\n"])
        try repo.git(["add", "data/train.csv"])
        try repo.git(["commit", "--quiet", "-m", "more"])
        #expect(try copied(repo, "data/train.csv", blob: first) == nil)
        let out = repo.directory.appending("export")
        try repo.open().export(commit: try repo.open().resolveCommit("HEAD~1"), to: out)
        #expect(
            try String(contentsOf: out.appendingPathComponent("data/train.csv"), encoding: .utf8)
                == "x,y\n1,2\n")
    }

    /// Staged in the same instant the index was written, git cannot trust the stat data either.
    @Test func aRacilyCleanFileIsNotCopied() throws {
        let repo = try TemporaryRepository()
        try repo.write(["data/train.csv": "x,y\n1,2\n"])
        // A modification time after the index's: the entry is racy, whatever the stat data says.
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(3600)],
            ofItemAtPath: repo.url.appendingPathComponent("data/train.csv").path)
        try repo.git(["add", "data/train.csv"])
        #expect(try copied(repo, "data/train.csv") == nil)
    }

    /// A clean/smudge filter driver (what Git LFS and git-crypt are) and a working-tree
    /// encoding change the bytes too, though libgit2 knows neither.
    @Test func aFileWithAFilterDriverOrAnEncodingIsNotCopied() throws {
        let repo = try TemporaryRepository()
        try repo.git(["config", "filter.upper.clean", "tr a-z A-Z"])
        try repo.git(["config", "filter.upper.smudge", "cat"])
        try repo.write([
            ".gitattributes": "*.dat filter=upper\n*.u16 working-tree-encoding=UTF-16LE\n",
            "data/a.dat": "hello world\n",
        ])
        try Data([0x68, 0x00, 0x69, 0x00, 0x0A, 0x00]).write(
            to: repo.url.appendingPathComponent("data/b.u16"))
        try repo.git(["add", "."])
        try repo.git(["commit", "--quiet", "-m", "filtered"])
        usleep(20_000)
        try repo.git(["update-index", "--really-refresh"])
        #expect(try copied(repo, "data/a.dat") == nil)
        #expect(try copied(repo, "data/b.u16") == nil)
        let out = repo.directory.appending("export")
        try repo.open().export(commit: try repo.open().resolveCommit("HEAD"), to: out)
        #expect(
            try String(contentsOf: out.appendingPathComponent("data/a.dat"), encoding: .utf8)
                == "HELLO WORLD\n")
        #expect(try Data(contentsOf: out.appendingPathComponent("data/b.u16")) == Data("hi\n".utf8))
    }

    /// Line-ending conversion makes the work-tree bytes differ from the blob's.
    @Test func aFileWithAFilterIsNotCopied() throws {
        let repo = try TemporaryRepository()
        try repo.write([".gitattributes": "*.csv text eol=crlf\n", "data/train.csv": "x,y\r\n1,2\r\n"])
        try repo.git(["add", "."])
        try repo.git(["commit", "--quiet", "-m", "crlf"])
        usleep(20_000)
        try repo.git(["update-index", "--really-refresh"])
        #expect(try copied(repo, "data/train.csv") == nil)
        let out = repo.directory.appending("export")
        try repo.open().export(commit: try repo.open().resolveCommit("HEAD"), to: out)
        #expect(
            try String(contentsOf: out.appendingPathComponent("data/train.csv"), encoding: .utf8)
                == "x,y\n1,2\n")
    }
}
