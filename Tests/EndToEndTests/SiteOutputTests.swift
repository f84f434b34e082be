import Checksum
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The site's output folder may be a checked-out pages branch (git stores symbolic links) or a
/// mount point: a build never writes, deletes or carries anything through a link there, and
/// builds inside a mount point.
@Suite struct SiteOutputTests {
    /// A repository whose stage reports a metric from its data, with a record on `commits`
    /// commits.
    static func recordedRepository(commits: Int = 2) throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                version: 1
                name: site
                stages:
                  - name: train
                    cmd: sh train.sh
                    deps: [train.sh, data.txt]
                    metrics: metrics.json
                gates:
                  - {metric: r2, min: 0.5}

                """,
                "train.sh": "echo \"{\\\"r2\\\": 0.9$(wc -c < data.txt)\"} > metrics.json\n",
                "data.txt": "1",
            ], message: "first")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        for round in stride(from: 2, through: commits, by: 1) { try Self.addRecordedCommit(repo, round) }
        return repo
    }

    /// A recorded repository with its site built into `site` beside it, and an empty folder
    /// `victim` there (outside the site).
    static func builtSite(victim: String) throws -> (TemporaryRepository, output: URL, victim: URL) {
        let repo = try recordedRepository()
        let output = repo.directory.appending("site")
        #expect(try ModelgateBinary.run(["site", "--out", output.path], in: repo.url).status == 0)
        let folder = repo.directory.appending(victim)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (repo, output, folder)
    }

    static func addRecordedCommit(_ repo: TemporaryRepository, _ round: Int) throws {
        try repo.commit(files: ["data.txt": String(repeating: "x", count: round)], message: "round \(round)")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
    }

    /// Every file and link under `folder` (not followed): SHA-256 of a file, `-> target` of a link.
    static func listing(of folder: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return result }
        while let path = walker.nextObject() as? String {
            let full = folder.appendingPathComponent(path).path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                result[path] = "-> " + (try FileManager.default.destinationOfSymbolicLink(atPath: full))
            case S_IFREG:
                let digest = SHA256()
                digest.update(try Data(contentsOf: URL(fileURLWithPath: full)))
                result[path] = digest.finalize()
            default: continue
            }
        }
        return result
    }

    /// What lies beside the output folder besides the repository's own files.
    static func debris(beside output: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(output.lastPathComponent).") }
    }

    /// The reviewer's first reproduction: `site/evil -> victim` plus a manifest line
    /// `evil/keep.txt`, then a build that changes pages. The build is refused, naming the link;
    /// the victim's file and the site are as they were.
    @Test func aLinkInTheOutputIsNeverDeletedThrough() throws {
        let (repo, output, victim) = try Self.builtSite(victim: "victim")
        try Data("keep me".utf8).write(to: victim.appending(path: "keep.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: output.appending(path: "evil").path, withDestinationPath: victim.path)
        let manifest = output.appending(path: ".modelgate-site")
        try Data((try String(contentsOf: manifest, encoding: .utf8) + "evil/keep.txt\tk\td\n").utf8)
            .write(to: manifest)
        let before = try Self.listing(of: output)
        try Self.addRecordedCommit(repo, 3)

        let refused = try ModelgateBinary.run(["site", "--out", output.path], in: repo.url)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("symbolic link (to '\(victim.path)')"), "\(refused.stderr)")
        #expect(refused.stderr.contains(output.resolvingSymlinksInPath().path + "/evil"), "\(refused.stderr)")
        #expect(refused.stderr.contains("remove it"), "\(refused.stderr)")
        #expect(try String(contentsOf: victim.appending(path: "keep.txt"), encoding: .utf8) == "keep me")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path) == ["keep.txt"])
        #expect(try Self.listing(of: output) == before)
        #expect(try Self.debris(beside: output).isEmpty)

        // As the message says: without the link, the build goes through, and the victim stays.
        try FileManager.default.removeItem(at: output.appending(path: "evil"))
        let built = try ModelgateBinary.run(["site", "--out", output.path], in: repo.url)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try String(contentsOf: victim.appending(path: "keep.txt"), encoding: .utf8) == "keep me")
        #expect(try Self.debris(beside: output).isEmpty)
    }

    /// The reviewer's second reproduction: the site's `commit` folder replaced by a link to
    /// another folder. No page is written there; the build is refused and the site unchanged.
    @Test func aLinkedPagesFolderIsNeverWrittenInto() throws {
        let (repo, output, victim) = try Self.builtSite(victim: "victim2")
        let commits = output.appending(path: "commit")
        try FileManager.default.removeItem(at: commits)
        try FileManager.default.createSymbolicLink(atPath: commits.path, withDestinationPath: victim.path)
        let before = try Self.listing(of: output)
        try Self.addRecordedCommit(repo, 3)

        let refused = try ModelgateBinary.run(["site", "--out", output.path], in: repo.url)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("/commit"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path).isEmpty)
        #expect(try Self.listing(of: output) == before)
        #expect(try Self.debris(beside: output).isEmpty)
    }

    /// `docker run -v out:/site` makes the output folder a mount point, which nothing can be
    /// renamed into or swapped with: the build places its files inside it, one by one. Runs in
    /// a user and mount namespace of its own (`unshare`), where a bind mount is allowed.
    @Test(.enabled(if: SiteOutputTests.canMount, "needs user and mount namespaces (unshare -rm)"))
    func aMountPointIsBuiltInPlace() throws {
        let repo = try Self.recordedRepository()
        let source = repo.directory.appending("volume")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let mounted = repo.directory.appending("site")
        try FileManager.default.createDirectory(at: mounted, withIntermediateDirectories: true)
        let binary = try ModelgateBinary.url.path
        func buildInsideMount() throws -> ProcessResult {
            try ProcessRunner.run(
                "/usr/bin/unshare",
                [
                    "-rm", "sh", "-c", "mount --bind \"$1\" \"$2\" && exec \"$3\" site --out \"$2\"", "sh",
                    source.path, mounted.path, binary,
                ], in: repo.url)
        }
        // A first build into the empty mount point, then a rebuild after a new commit.
        let first = try buildInsideMount()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: source.appending(path: "index.html").path))
        try Self.addRecordedCommit(repo, 3)
        let second = try buildInsideMount()
        #expect(second.status == 0, "\(second.stderr)")

        let fresh = repo.directory.appending("fresh")
        #expect(try ModelgateBinary.run(["site", "--out", fresh.path], in: repo.url).status == 0)
        let built = try Self.listing(of: source).filter { !$0.key.hasPrefix(".modelgate") }
        #expect(!built.isEmpty)
        #expect(built == (try Self.listing(of: fresh).filter { !$0.key.hasPrefix(".modelgate") }))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: source.path).filter {
                $0.hasPrefix(".modelgate-staging")
            }.isEmpty)
        #expect(try Self.debris(beside: mounted).isEmpty)
        // Nothing was written outside the mount.
        #expect(try FileManager.default.contentsOfDirectory(atPath: mounted.path).isEmpty)
    }

    /// True when this machine lets a process make its own user and mount namespace.
    static let canMount: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"),
            let result = try? ProcessRunner.run(
                "/usr/bin/unshare", ["-rm", "sh", "-c", "mount -t tmpfs none /mnt"],
                in: URL(fileURLWithPath: "/"))
        else { return false }
        return result.status == 0
    }()
}
