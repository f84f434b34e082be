import Foundation
import Pipeline
import TestSupport
import Testing

/// Symbolic links in a checkout cannot lead a read or a write outside it.
@Suite struct ContainedDirectoryTests {
    /// `T/top` (the contained directory) beside `T/outside/secret.txt`.
    final class Layout {
        let directory: TemporaryDirectory
        let top: URL
        let secret: URL
        var files: ContainedDirectory { ContainedDirectory(root: top) }

        init() throws {
            directory = try TemporaryDirectory()
            top = directory.appending("top")
            secret = directory.appending("outside/secret.txt")
            try FileManager.default.createDirectory(
                at: top.appending(path: "data"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                at: secret.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("secret\n".utf8).write(to: secret)
            try Data("a,y\n1,2\n".utf8).write(to: top.appending(path: "data/train.csv"))
        }

        func link(_ path: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(
                atPath: top.appending(path: path).path, withDestinationPath: target)
        }
    }

    static func escape(_ body: () throws -> Void) -> ConfigError.Problem? {
        do {
            try body()
            return nil
        } catch let error as ConfigError {
            return error.problem
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func linksInsideAreFollowed() throws {
        let layout = try Layout()
        try layout.link("latest.csv", to: "data/train.csv")
        try layout.link("d", to: "data")
        try layout.link("data/up.csv", to: "../latest.csv")
        for path in ["latest.csv", "d/train.csv", "data/up.csv", "d/../data/train.csv"] {
            let file = try #require(try layout.files.open(path), "\(path)")
            #expect(try String(contentsOf: file.url, encoding: .utf8) == "a,y\n1,2\n", "\(path)")
        }
        #expect(try layout.files.resolve("d/up.csv") == "data/train.csv")
        #expect(try layout.files.open("data/missing.csv") == nil)
        #expect(try layout.files.kind(of: "d") == .folder)
    }

    @Test func linksLeadingOutsideAreRefused() throws {
        let layout = try Layout()
        try layout.link("abs.csv", to: layout.secret.path)
        try layout.link("up", to: "../outside")
        try layout.link("data/far.csv", to: "../../outside/secret.txt")
        try layout.link("etc", to: "/etc")
        let cases = [
            ("abs.csv", "abs.csv", layout.secret.path), ("up/secret.txt", "up", "../outside"),
            ("data/far.csv", "data/far.csv", "../../outside/secret.txt"), ("etc/hostname", "etc", "/etc"),
        ]
        for (path, link, target) in cases {
            let expected = ConfigError.Problem.linkLeavesRepository(path: path, link: link, target: target)
            #expect(Self.escape { _ = try layout.files.open(path) } == expected)
            #expect(Self.escape { try layout.files.write(Data("x".utf8), to: path) } == expected)
        }
        #expect(try String(contentsOf: layout.secret, encoding: .utf8) == "secret\n")
    }

    @Test func aLinkAtTheWrittenPathIsReplacedNotFollowed() throws {
        let layout = try Layout()
        try layout.link("model.json", to: "data/train.csv")  // inside: written through to its target
        try layout.files.write(Data("{}".utf8), to: "model.json")
        #expect(try String(contentsOf: layout.top.appending(path: "data/train.csv"), encoding: .utf8) == "{}")
        try layout.files.write(Data("m".utf8), to: "models/deep/m.json")
        #expect(
            try String(contentsOf: layout.top.appending(path: "models/deep/m.json"), encoding: .utf8) == "m")
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: layout.top.appending(path: "models/deep").path)
        #expect(leftovers == ["m.json"])
    }

    @Test func onlyRegularFilesAreRead() throws {
        let layout = try Layout()
        #expect(mkfifo(layout.top.appending(path: "fifo.csv").path, 0o600) == 0)
        #expect(throws: StageFailure.self) { _ = try layout.files.open("fifo.csv") }  // and does not block
    }

    @Test func linksInsideAnOutputFolderAreChecked() throws {
        let layout = try Layout()
        try FileManager.default.createDirectory(
            at: layout.top.appending(path: "out/sub"), withIntermediateDirectories: true)
        try layout.link("out/ok.csv", to: "../data/train.csv")
        try layout.files.checkLinks(under: "out")
        try layout.link("out/sub/h", to: "/etc/hostname")
        #expect(
            Self.escape { try layout.files.checkLinks(under: "out") }
                == .linkLeavesRepository(path: "out/sub/h", link: "out/sub/h", target: "/etc/hostname"))
    }

    @Test func resolutionFollowsTheKernelsRules() throws {
        let links = [
            "a": "b/c", "b": "real", "real/c": "../x", "loop1": "loop2", "loop2": "loop1", "out": "d/../../y",
        ]
        func resolve(_ path: String) throws -> String? { try RepositoryPath.resolve(path) { links[$0] } }
        #expect(try resolve("a/f") == "x/f")
        #expect(try resolve("./b/./c") == "x")
        #expect(try resolve("loop1") == nil)
        #expect(throws: RepositoryPath.Escape(link: "out", target: "d/../../y")) { try resolve("out") }
        #expect(throws: RepositoryPath.Escape(link: "", target: "z/../../q")) { try resolve("z/../../q") }
    }
}
