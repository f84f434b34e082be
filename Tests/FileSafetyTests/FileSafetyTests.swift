import FileSafety
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Links below a folder are never followed: not to walk, write, replace or remove.
@Suite struct DirectoryHandleTests {
    /// `T/top` beside `T/outside/secret.txt`, with `top/out -> ../outside` and
    /// `top/secret.txt -> ../outside/secret.txt`.
    final class Layout {
        let directory: TemporaryDirectory
        let top: URL
        let outside: URL

        init() throws {
            directory = try TemporaryDirectory()
            top = directory.appending("top")
            outside = directory.appending("outside")
            for folder in [top, outside] {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
            try Data("secret\n".utf8).write(to: outside.appending(path: "secret.txt"))
            try FileManager.default.createSymbolicLink(
                atPath: top.appending(path: "out").path, withDestinationPath: "../outside")
            try FileManager.default.createSymbolicLink(
                atPath: top.appending(path: "secret.txt").path, withDestinationPath: "../outside/secret.txt")
        }

        var outsideIsIntact: Bool {
            (try? String(contentsOf: outside.appending(path: "secret.txt"), encoding: .utf8)) == "secret\n"
                && (try? FileManager.default.contentsOfDirectory(atPath: outside.path)) == ["secret.txt"]
        }
    }

    /// The link a `FileSystemError.link` names (path and destination), nil for anything else.
    static func link(_ body: () throws -> Void) -> [String]? {
        do {
            try body()
        } catch FileSystemError.link(let path, let destination) {
            return [path, destination]
        } catch {}
        return nil
    }

    @Test func aLinkOnTheWayIsReportedNotFollowed() throws {
        let layout = try Layout()
        let top = try DirectoryHandle(opening: layout.top.path)
        let out = [layout.top.path + "/out", "../outside"]
        let secret = [layout.top.path + "/secret.txt", "../outside/secret.txt"]
        #expect(Self.link { _ = try top.walk(["out", "new"], creating: true) } == out)
        #expect(Self.link { _ = try top.createFile("secret.txt") } == secret)
        #expect(Self.link { _ = try top.open("secret.txt") } == secret)
        #expect(try top.readFile("secret.txt", limit: 100) == nil)
        #expect(try top.kind(of: "out") == .link("../outside"))
        #expect(layout.outsideIsIntact)
    }

    @Test func replacingAFileReplacesALinkThere() throws {
        let layout = try Layout()
        let top = try DirectoryHandle(opening: layout.top.path)
        try top.replaceFile("secret.txt", with: Data("new\n".utf8), syncing: true)
        #expect(try top.kind(of: "secret.txt") == .file)
        #expect(try top.readFile("secret.txt", limit: 100) == Data("new\n".utf8))
        #expect(layout.outsideIsIntact)
        #expect(try top.names().sorted() == ["out", "secret.txt"])
    }

    @Test func removingATreeRemovesLinksNotWhatTheyPointTo() throws {
        let layout = try Layout()
        let top = try DirectoryHandle(opening: layout.directory.url.path)
        let inner = try DirectoryHandle(opening: layout.top.path).makeFolder("inner").0
        try FileManager.default.createSymbolicLink(
            atPath: layout.top.appending(path: "inner/up").path, withDestinationPath: "../../outside")
        _ = try inner.createFile("file.txt")
        try top.removeTree("top")
        #expect(try top.kind(of: "top") == .missing)
        #expect(layout.outsideIsIntact)
        try top.removeTree("top")  // nothing there: nothing to do
    }

    @Test func creatingMakesMissingParentsAndRefusesAFileInTheWay() throws {
        let directory = try TemporaryDirectory()
        let nested = directory.appending("a/b/c")
        #expect(try DirectoryHandle(creating: nested).names() == [])
        try Data().write(to: directory.appending("file"))
        do {
            _ = try DirectoryHandle(creating: directory.appending("file/d"))
            Issue.record("a folder was made below a file")
        } catch FileSystemError.system(_, let path, let code) {
            #expect(path == directory.appending("file/d").path && code == ENOTDIR)
        }
    }

    /// A folder nested far deeper than the removal descends is removed with a bounded number of
    /// descriptors (deep folders are moved up first).
    @Test func aVeryDeepTreeIsRemoved() throws {
        let directory = try TemporaryDirectory()
        let root = try DirectoryHandle(opening: directory.url.path)
        var folder = try root.makeFolder("deep").0
        for _ in 0..<300 {
            _ = try folder.createFile("f")
            folder = try folder.makeFolder("d").0
        }
        try root.removeTree("deep")
        #expect(try root.names() == [])
    }
}

/// Work folders belong to a live process; the folders of dead ones are swept.
@Suite struct OwnedDirectoryTests {
    @Test func aSweepRemovesOnlyFoldersWhoseOwnerIsGone() throws {
        let directory = try TemporaryDirectory()
        let parent = try DirectoryHandle(opening: directory.url.path)
        let outside = directory.appending("outside")
        try FileManager.default.createDirectory(
            at: outside.appending(path: "keep"), withIntermediateDirectories: true)
        let live = try OwnedDirectory(in: parent, name: "work-live")
        _ = try live.folder.createFile("a")
        _ = try parent.makeFolder("work-dead").0.makeFolder("sub").0.createFile("b")
        _ = try parent.makeFolder("work-new" + ".creating")
        _ = try parent.makeFolder("other")
        try FileManager.default.createSymbolicLink(
            atPath: directory.appending("work-link").path, withDestinationPath: outside.path)
        let removed = OwnedDirectory.sweep(in: parent, prefix: "work-")
        #expect(removed == ["work-dead"])
        #expect(
            try parent.names().sorted() == [
                "other", "outside", "work-link", "work-live", "work-new.creating",
            ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["keep"])
        live.remove()
        #expect(try parent.kind(of: "work-live") == .missing)
        #expect(OwnedDirectory.sweep(in: parent, prefix: "work-").isEmpty)
    }

    /// A released folder is no longer locked, so a sweep takes it; one whose name holds
    /// another folder by then is not removed by its owner.
    @Test func removalTouchesOnlyTheFolderItMade() throws {
        let directory = try TemporaryDirectory()
        let parent = try DirectoryHandle(opening: directory.url.path)
        let owned = try OwnedDirectory(in: parent, name: "work-1")
        _ = try parent.makeFolder("site").0.createFile("index.html")
        try parent.exchange("work-1", with: "site")
        owned.remove()
        #expect(try parent.folder("work-1").names() == ["index.html"])
        #expect(OwnedDirectory.sweep(in: parent, prefix: "work-") == ["work-1"])
    }
}
