import Foundation
import GitKit
import TestSupport
import Testing

@testable import Pipeline

/// The embedded shims, the shim helpers and the pure parts of the hook checks.
@Suite struct HookShimTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(arguments: HookShims.names) func embeddedShimEqualsTheFileInHooks(name: String) throws {
        let file = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("hooks/\(name)"), encoding: .utf8)
        #expect(
            HookShims.template(for: name) == file,
            "regenerate: sh hooks/embed-shims.sh > Sources/Pipeline/Hooks/HookShims.swift")
        #expect(file.contains(HookShims.marker))
        #expect(file.components(separatedBy: HookShims.binaryPlaceholder).count == 2)
    }

    @Test func installedShimRecordsTheBinaryEvenWithQuotes() throws {
        let path = "/opt/it's here/modelgate"
        let shim = try #require(HookInstaller.shim("pre-commit", binary: path))
        #expect(HookInstaller.recordedBinary(in: shim) == path)
        #expect(HookInstaller.shimVersion(of: shim) == 1)
        #expect(HookInstaller.shimVersion(of: "#!/bin/sh\necho hi\n") == nil)
        // sh reads the quoted path back exactly.
        let directory = try TemporaryDirectory()
        let script = directory.appending("print.sh")
        try Data(
            (shim.split(separator: "\n").first { $0.hasPrefix("recorded_bin=") }!
                + "\nprintf %s \"$recorded_bin\"\n").utf8
        )
        .write(to: script)
        let result = try ProcessRunner.run("/bin/sh", [script.path], in: directory.url)
        #expect(result.stdout == path)
    }

    @Test func prePushLinesAreParsed() throws {
        let zero = String(repeating: "0", count: 40)
        let sha = String(repeating: "a", count: 40)
        let refs = try PrePushCheck.parse(
            "refs/heads/main \(sha) refs/heads/main \(zero)\n\n(delete) \(zero) refs/heads/x \(sha)\n")
        #expect(refs.count == 2)
        #expect(refs[0].remoteID.isZero)
        #expect(refs[1].localID.isZero)
        #expect(refs[1].remoteRef == "refs/heads/x")
        #expect(throws: HookError.self) { try PrePushCheck.parse("refs/heads/main abc\n") }
    }

    @Test func theNewerRunWinsAMergeWhicheverSideItIsOn() throws {
        func note(_ verdict: String, _ started: String) -> String {
            """
            {"schema":1,"fingerprint":"f","verdict":"\(verdict)","metrics":{},"gates":[],"stages":[],"tool":"t",
             "started":"\(started)","duration_ms":1,"source":"rev","inputs":{}}
            """
        }
        let old = note("fail", "2026-01-01T00:00:00Z")
        let new = note("pass", "2026-02-01T00:00:00Z")
        #expect(NotesSync.resolve(old, new) == (new, old))
        #expect(NotesSync.resolve(new, old) == (new, old))
        // Unreadable notes lose to records; equal times pick the same winner on both sides.
        #expect(NotesSync.resolve("garbage", old) == (old, "garbage"))
        let twin = note("fail", "2026-02-01T00:00:00Z")
        #expect(NotesSync.resolve(new, twin) == NotesSync.resolve(twin, new))
    }

    @Test func relevantPathsAndPathspecFollowTheDependencyPatterns() throws {
        let config = try ConfigLoader().parse(
            """
            name: demo
            stages:
              - name: evaluate
                cmd: sh score.sh
                deps: [score.sh, "./data/**/*.csv"]
                metrics: metrics.json
            gates: []
            hooks:
              pre-commit: validate

            """)
        let staged = [
            DiffEntry(status: .modified, path: "README.md"),
            DiffEntry(status: .added, path: "data/x/new.csv"),
            DiffEntry(status: .renamed, path: "old.txt", oldPath: "score.sh"),
            DiffEntry(status: .modified, path: "modelgate.yml"),
        ]
        #expect(
            PreCommitCheck.relevantPaths(staged, config: config) == [
                "data/x/new.csv", "old.txt", "modelgate.yml",
            ])
        let blob = ObjectID(hex: String(repeating: "b", count: 40))!
        #expect(
            PreCommitCheck.pathspec(for: config, configBlob: blob)
                == "modelgate pathspec 1\nconfig \(blob.hex)\npolicy validate\n:(top,glob)score.sh\n:(top,glob)data/**/*.csv\n"
        )
    }
}
