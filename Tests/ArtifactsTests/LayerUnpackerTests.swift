import Checksum
import Foundation
import TestSupport
import Testing

@testable import Artifacts

#if canImport(Glibc)
    import Glibc
#endif

/// A pull's unpacking of hostile layers, straight through `LayerUnpacker` (the registry
/// end-to-end tests drive the same cases through `modelgate pull`).
@Suite struct LayerUnpackerTests {
    let directory: TemporaryDirectory
    /// The pull's target, inside `directory` (absent until a pull succeeds).
    let target: URL

    init() throws {
        directory = try TemporaryDirectory(prefix: "modelgate-unpack")
        target = directory.appending("out")
    }

    /// modelgate's manifest.json listing `files`.
    static func manifest(_ files: [(String, [UInt8])]) throws -> [UInt8] {
        let manifest = ArtifactManifest(
            name: "demo", tree: nil, fingerprint: "f", verdict: "pass", metrics: ["r2": 0.9], inputs: [:],
            files: files.map {
                .init(path: $0.0, sha256: SHA256.hex(of: Data($0.1)), size: Int64($0.1.count))
            },
            tool: "modelgate test", created: Date(timeIntervalSince1970: 1_767_225_600), source: "rev")
        return Array(try manifest.encoded())
    }

    /// A layer holding `files` under model/ and their manifest.
    static func goodLayer(_ files: [(String, [UInt8])]) throws -> TarBuilder {
        var tar = TarBuilder()
        tar.add("model/", type: "5", mode: "0000755")
        for (path, content) in files { tar.add("model/\(path)", content) }
        tar.add("model/manifest.json", try manifest(files))
        return tar
    }

    /// Unpacks `layers` (tar bytes) into the target; returns the paths written.
    @discardableResult
    func unpack(_ layers: [[UInt8]], options: PullOptions = .defaults) throws -> [String] {
        let unpacker = try LayerUnpacker(into: target, options: options)
        for (index, bytes) in layers.enumerated() {
            let file = directory.appending("layer-\(index).tar")
            try Data(bytes).write(to: file)
            try unpacker.add(file)
        }
        return try unpacker.finish()
    }

    /// Every path under `url` with what it is, to compare before and after.
    func snapshot(_ url: URL) -> [String: DirectorySnapshot.Entry] { DirectorySnapshot.of(url) }

    /// Staging folders left anywhere in the temporary directory.
    func debris() -> [String] {
        DirectorySnapshot.paths(under: directory.url, withComponentPrefix: PullStaging.prefix)
    }

    func expectNothingWritten() {
        #expect(!FileManager.default.fileExists(atPath: target.path), "the target was created")
        #expect(debris().isEmpty, "\(debris())")
    }

    // MARK: - Malformed archives

    @Test(arguments: ["-0000001000", "-0000002000", "-0000000001"])
    func negativeSizesAreMalformed(size: String) throws {
        var tar = try Self.goodLayer([("a.bin", Array("abc".utf8))])
        tar.add("model/evil", size: .text(size))
        let offset = Int64(tar.bytes.count - 512)
        #expect(
            throws: UnpackError.malformedLayer(
                layer: 1, offset: offset, entry: "model/evil", reason: "Tar entry has negative size")
        ) { try unpack([tar.finished]) }
        expectNothingWritten()

        // As the first header, libarchive does not recognise the archive at all.
        var first = TarBuilder()
        first.add("model/evil", size: .text(size))
        #expect(
            throws: UnpackError.malformedLayer(
                layer: 1, offset: 0, entry: "model/evil", reason: "Unrecognized archive format")
        ) { try unpack([first.finished]) }
        expectNothingWritten()
    }

    @Test func base256AndNonOctalSizesAreRefused() throws {
        let good = try Self.goodLayer([("a.bin", Array("abc".utf8))])
        // 2^39 bytes in base-256, far beyond the layer: refused before a byte is written.
        var beyond = good
        beyond.add("model/big", Array("hello".utf8), size: .raw([0x80, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0]))
        let beyondOffset = Int64(good.bytes.count)
        do {
            try unpack([beyond.finished])
            Issue.record("a size beyond the layer was accepted")
        } catch UnpackError.refusedEntry(
            1, beyondOffset, "model/big", .sizeBeyondLayer(let size, let available))
        {
            #expect(size == 1 << 39)
            #expect(available == 512 + 1024)
        }
        expectNothingWritten()

        var overflow = good
        overflow.add("model/big", size: .raw([0x80] + [UInt8](repeating: 0xFF, count: 11)))
        #expect(
            throws: UnpackError.malformedLayer(
                layer: 1, offset: Int64(good.bytes.count), entry: "model/big",
                reason: "Tar entry size overflow")
        ) { try unpack([overflow.finished]) }

        // '9' is not octal: libarchive reads the size as 0 and the content as the next header.
        var nonOctal = good
        nonOctal.add("model/odd", Array("hello".utf8), size: .text("00000000009"))
        do {
            try unpack([nonOctal.finished])
            Issue.record("a non-octal size was accepted")
        } catch UnpackError.malformedLayer(1, let offset, _, let reason) {
            #expect(offset == Int64(good.bytes.count + 512))
            #expect(reason == "Damaged tar archive", "\(reason)")
        }
        expectNothingWritten()
    }

    // MARK: - Refused entries

    @Test func linksDevicesAndEscapingNamesAreRefused() throws {
        let cases: [(String, Character, String, UnpackError.Refusal)] = [
            ("model/../../escaped", "0", "", .parent),
            ("/etc/escaped", "0", "", .absolute),
            ("model/hard", "1", "model/a.bin", .hardLink("model/a.bin")),
            ("model/soft", "2", "/etc/passwd", .symbolicLink("/etc/passwd")),
            ("model/char", "3", "", .special("character device")),
            ("model/block", "4", "", .special("block device")),
            ("model/fifo", "6", "", .special("FIFO")),
            ("model/.git/config", "0", "", .dotComponent(".git")),
            ("model/sub/.hidden", "0", "", .dotComponent(".hidden")),
            ("model/a//b", "0", "", .emptyComponent),
            ("./model/./x", "0", "", .dotComponent(".")),
        ]
        for (name, type, link, refusal) in cases {
            var tar = try Self.goodLayer([("a.bin", Array("abc".utf8))])
            let offset = Int64(tar.bytes.count)
            tar.add(name, type.isNumber && type != "0" ? [] : Array("x".utf8), type: type, link: link)
            #expect(
                throws: UnpackError.refusedEntry(layer: 1, offset: offset, entry: name, refusal: refusal),
                "\(name)"
            ) { try unpack([tar.finished]) }
            expectNothingWritten()
        }
    }

    @Test func entriesOutsideModelAreSkippedButNeverHostileOnes() throws {
        var tar = try Self.goodLayer([("a.bin", Array("abc".utf8))])
        tar.add("etc/passwd", text: "root")
        tar.add("bin/sh", type: "2", link: "/bin/busybox")
        tar.add(".wh.old", text: "")
        #expect(try unpack([tar.finished]) == ["a.bin", "manifest.json"])
        #expect(snapshot(target).keys.sorted() == ["a.bin", "manifest.json"])
        #expect(debris().isEmpty)
    }

    @Test func setuidAndOddModesAreWrittenPlain() throws {
        let content = Array("#!/bin/sh\n".utf8)
        var tar = TarBuilder()
        tar.add("model/tool", content, mode: "0006755")
        tar.add("model/sub/", type: "5", mode: "0001777")
        tar.add("model/sub/x", content, mode: "0004777")
        tar.add("model/manifest.json", try Self.manifest([("tool", content), ("sub/x", content)]))
        try unpack([tar.finished])
        for (path, expected) in [("tool", 0o644), ("sub/x", 0o644), ("sub", 0o755), ("", 0o755)] {
            var status = stat()
            #expect(lstat(target.appendingPathComponent(path).path, &status) == 0)
            let umask = {
                let old = Glibc.umask(0)
                Glibc.umask(old)
                return Int(old)
            }()
            #expect(Int(status.st_mode) & 0o7777 == expected & ~umask, "\(path)")
        }
    }

    // MARK: - The manifest decides what is written

    @Test func onlyListedFilesAreWrittenAndEachIsChecked() throws {
        let model = Array("weights".utf8)
        var tar = TarBuilder()
        tar.add("model/model.bin", model)
        tar.add("model/extra/unlisted.txt", text: "not in the manifest")
        tar.add("model/manifest.json", try Self.manifest([("model.bin", model)]))
        #expect(try unpack([tar.finished]) == ["model.bin", "manifest.json"])
        #expect(snapshot(target).keys.sorted() == ["manifest.json", "model.bin"])
        try FileManager.default.removeItem(at: target)

        var tampered = TarBuilder()
        tampered.add("model/model.bin", Array("WEIGHTS".utf8))
        tampered.add("model/manifest.json", try Self.manifest([("model.bin", model)]))
        do {
            try unpack([tampered.finished])
            Issue.record("a file that differs from the manifest was accepted")
        } catch let error as UnpackError {
            guard case .digestMismatch("model.bin", _, 7, SHA256.hex(of: Data(model)), 7) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(error.summary.hasPrefix("digest mismatch: 'model.bin' has sha256"))
        }
        expectNothingWritten()

        var missing = TarBuilder()
        missing.add("model/manifest.json", try Self.manifest([("model.bin", model)]))
        #expect(throws: UnpackError.missingFile("model.bin")) { try unpack([missing.finished]) }
        expectNothingWritten()

        var none = TarBuilder()
        none.add("model/model.bin", model)
        #expect(throws: UnpackError.missingManifest) { try unpack([none.finished]) }
        expectNothingWritten()

        var notOurs = TarBuilder()
        notOurs.add("model/manifest.json", text: #"{"layers": []}"#)
        #expect(throws: UnpackError.unreadableManifest("no 'schema'")) { try unpack([notOurs.finished]) }

        var hostileList = TarBuilder()
        hostileList.add("model/manifest.json", try Self.manifest([(".git/config", model)]))
        do {
            try unpack([hostileList.finished])
            Issue.record("a manifest listing .git/config was accepted")
        } catch UnpackError.refusedManifestPath(".git/config", _) {}
        expectNothingWritten()
    }

    @Test func aBadSecondLayerLeavesNoFileOfTheFirst() throws {
        let first = try Self.goodLayer([("a.bin", Array("abc".utf8))]).finished
        var second = TarBuilder()
        second.add("model/b.bin", size: .text("-0000001000"))
        #expect(throws: UnpackError.self) { try unpack([first, second.finished]) }
        expectNothingWritten()
        // Into an existing folder too: only what was there before stays.
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: target.appendingPathComponent("notes.txt"))
        let before = snapshot(target)
        #expect(throws: UnpackError.self) { try unpack([first, second.finished]) }
        #expect(snapshot(target) == before)
        #expect(debris().isEmpty)
    }

    @Test func laterLayersReplaceEarlierFiles() throws {
        let old = Array("old".utf8)
        let new = Array("new".utf8)
        var first = TarBuilder()
        first.add("model/a.bin", old)
        var second = TarBuilder()
        second.add("model/a.bin", new)
        second.add("model/manifest.json", try Self.manifest([("a.bin", new)]))
        try unpack([first.finished, second.finished])
        #expect(try Data(contentsOf: target.appendingPathComponent("a.bin")) == Data(new))
    }

    // MARK: - The target

    @Test func aLinkAlreadyInTheTargetIsNeverFollowed() throws {
        let elsewhere = directory.appending("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: target.appendingPathComponent("sub").path, withDestinationPath: elsewhere.path)
        let before = snapshot(target)
        let layer = try Self.goodLayer([("sub/x", Array("payload".utf8))]).finished
        #expect(
            throws: UnpackError.linkInTarget(
                target.appendingPathComponent("sub").path, destination: elsewhere.path)
        ) { try unpack([layer]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
        #expect(snapshot(target) == before)
        #expect(debris().isEmpty)
        // --overwrite changes nothing about links.
        #expect(throws: UnpackError.self) {
            try unpack([layer], options: PullOptions(maxBytes: 1 << 30, maxEntries: 10, overwrite: true))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }

    @Test func existingFilesAreReplacedOnlyWhenAsked() throws {
        let layer = try Self.goodLayer([("a.bin", Array("new".utf8)), ("w/b.txt", Array("b".utf8))]).finished
        try FileManager.default.createDirectory(
            at: target.appendingPathComponent("w"), withIntermediateDirectories: true)
        try Data("old".utf8).write(to: target.appendingPathComponent("a.bin"))
        try Data("keep".utf8).write(to: target.appendingPathComponent("w/other.txt"))
        let before = snapshot(target)
        #expect(throws: UnpackError.wouldOverwrite(["a.bin"], target: target.path)) { try unpack([layer]) }
        #expect(snapshot(target) == before)
        #expect(debris().isEmpty)

        let options = PullOptions(maxBytes: 1 << 30, maxEntries: 100, overwrite: true)
        #expect(try unpack([layer], options: options) == ["a.bin", "w/b.txt", "manifest.json"])
        #expect(try String(contentsOf: target.appendingPathComponent("a.bin"), encoding: .utf8) == "new")
        #expect(
            try String(contentsOf: target.appendingPathComponent("w/other.txt"), encoding: .utf8) == "keep")
        #expect(debris().isEmpty)
    }

    /// The folder the user names may itself be a link (`models -> /data/models`): it is
    /// resolved once; nothing inside it is ever followed.
    @Test func aTargetThatIsALinkIsResolvedOnce() throws {
        let real = directory.appending("real")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: target.path, withDestinationPath: real.path)
        try unpack([try Self.goodLayer([("a.bin", Array("abc".utf8))]).finished])
        #expect(snapshot(real).keys.sorted() == ["a.bin", "manifest.json"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.path) == real.path)
        #expect(debris().isEmpty)
    }

    @Test func aFolderOrFileInTheWayIsRefused() throws {
        try FileManager.default.createDirectory(
            at: target.appendingPathComponent("a.bin"), withIntermediateDirectories: true)
        let layer = try Self.goodLayer([("a.bin", Array("x".utf8))]).finished
        #expect(
            throws: UnpackError.inTheWay(
                target.appendingPathComponent("a.bin").path, found: "folder", needed: "file")
        ) { try unpack([layer], options: PullOptions(maxBytes: 1 << 30, maxEntries: 10, overwrite: true)) }
        #expect(debris().isEmpty)
    }

    // MARK: - Limits

    @Test func entryAndByteLimitsStopBombs() throws {
        var many = TarBuilder()
        for index in 0..<50 { many.add("model/f\(index)", []) }
        #expect(
            throws: UnpackError.limitReached(.entries(40), layer: 1, offset: 40 * 512)
        ) {
            try unpack(
                [many.finished], options: PullOptions(maxBytes: 1 << 30, maxEntries: 40, overwrite: false))
        }
        expectNothingWritten()

        var big = TarBuilder()
        big.add("model/a", [UInt8](repeating: 1, count: 3000))
        big.add("model/b", [UInt8](repeating: 2, count: 3000))
        #expect(
            throws: UnpackError.limitReached(.bytes(5000), layer: 1, offset: 512 + 3072)
        ) {
            try unpack([big.finished], options: PullOptions(maxBytes: 5000, maxEntries: 10, overwrite: false))
        }
        expectNothingWritten()
    }

    // MARK: - Crashes

    @Test func aStagingFolderLeftByAKilledPullIsSweptButALiveOneIsNot() throws {
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let stale = target.appendingPathComponent(PullStaging.prefix + "stale")
        try FileManager.default.createDirectory(
            at: stale.appendingPathComponent("unpacked"), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: stale.appendingPathComponent("unpacked/a.bin"))
        let live = try PullStaging(for: PullStaging.resolve(target))
        try unpack([try Self.goodLayer([("a.bin", Array("abc".utf8))]).finished])
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: live.folder.path))
        live.remove()
        #expect(debris().isEmpty)
    }

    // MARK: - Names

    @Test func longAndNonASCIINamesRoundTripThroughTheWriter() throws {
        let long = String(repeating: "größere-schicht/", count: 9) + "gewichte.bin"
        let content = Array("ω".utf8)
        var bytes: [UInt8] = []
        for (path, data) in [(long, content), ("manifest.json", try Self.manifest([(long, content)]))] {
            bytes += try TarArchive.headers(
                path: "model/\(path)", size: Int64(data.count), isDirectory: false, mtime: 0)
            bytes += data + TarArchive.padding(Int64(data.count))
        }
        #expect(try unpack([bytes + TarArchive.trailer]) == [long, "manifest.json"])
        #expect(try Data(contentsOf: target.appendingPathComponent(long)) == Data(content))
    }

    @Test func namesAreShownWithoutTerminalControlCharacters() throws {
        var tar = TarBuilder()
        tar.add("model/\u{1B}[2Jevil\u{202E}", type: "2", link: "/etc/\u{07}passwd")
        #expect(
            throws: UnpackError.refusedEntry(
                layer: 1, offset: 0, entry: "model/\u{241B}[2Jevil\\u{202E}",
                refusal: .symbolicLink("/etc/\u{2407}passwd"))
        ) { try unpack([tar.finished]) }
        var listed = TarBuilder()
        listed.add("model/manifest.json", try Self.manifest([("a\u{0}b", [1])]))
        do {
            try unpack([listed.finished])
            Issue.record("a manifest path with a NUL byte was accepted")
        } catch UnpackError.refusedManifestPath(_, let refusal) {
            #expect(refusal == UnpackError.Refusal.notText.words)
        }
        expectNothingWritten()
    }

    @Test func packagingRefusesWhatAPullWouldRefuse() throws {
        #expect(LayerUnpacker.refusal(of: ["weights", ".DS_Store"]) == .dotComponent(".DS_Store"))
        #expect(LayerUnpacker.refusal(of: ["weights", "a.bin"]) == nil)
        let manifest = try ArtifactManifest.decode(Data(try Self.manifest([("w/.cache/x", [1])])))
        #expect(throws: ArtifactError.self) {
            try ImagePackager.checkPullable(manifest, digest: Digest(String(repeating: "a", count: 64))!)
        }
    }

    // MARK: - Fuzzing entry points

    @Test func fuzzEntryPointsSurviveHostileSeeds() throws {
        var seeds: [[UInt8]] = [[], [0], [UInt8](repeating: 0, count: 1024), Array("not a tar".utf8)]
        var negative = TarBuilder()
        negative.add("model/a", size: .text("-0000001000"))
        seeds.append(negative.finished)
        seeds.append(try Self.goodLayer([("a.bin", [1, 2, 3])]).finished)
        var link = TarBuilder()
        link.add("model/l", type: "2", link: "/")
        seeds.append(link.finished)
        for seed in seeds {
            LayerFuzzing.readTar(seed)
        }
    }
}
