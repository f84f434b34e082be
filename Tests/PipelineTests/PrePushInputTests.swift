import Foundation
import Pipeline
import TestSupport
import Testing

@Suite struct PrePushInputTests {
    /// What git itself writes to the hook's stdin for refs whose names git allows but that hold
    /// a Unicode line separator, a next-line character or a leading combining mark: every ref
    /// comes through whole (a Character-based split broke the line or joined two fields, and
    /// the push was refused as unreadable input).
    @Test func readsEveryRefNameGitAllows() throws {
        let repository = try TemporaryRepository()
        try repository.addBareRemote()
        let commit = try repository.commit(message: "one")
        let names = ["a\u{2028}b", "c\u{85}d", "\u{301}e", "plain"].map { "refs/heads/\($0)" }
        for name in names { try repository.git(["update-ref", name, commit]) }
        let captured = repository.directory.appending("stdin")
        try ExecutableFile.write(
            "#!/bin/sh\ncat > '\(captured.path)'\n",
            to: repository.url.appendingPathComponent(".git/hooks/pre-push"))
        try repository.git(["push", "--quiet", "origin"] + names)

        let refs = try PrePushCheck.parse(String(decoding: try Data(contentsOf: captured), as: UTF8.self))
        #expect(refs.map(\.localRef).sorted() == names.sorted())
        #expect(refs.map(\.remoteRef).sorted() == names.sorted())
        #expect(refs.allSatisfy { $0.localID.hex == commit && $0.remoteID.isZero })
    }

    /// Blank lines and a CR before the LF are tolerated; a line that is not four fields is bad input.
    @Test func toleratesBlankLinesAndCarriageReturns() throws {
        let id = String(repeating: "a", count: 40)
        let zero = String(repeating: "0", count: 40)
        let refs = try PrePushCheck.parse("\n\nrefs/heads/main \(id) refs/heads/main \(zero)\r\n\n")
        #expect(refs.count == 1)
        #expect(refs.first?.remoteRef == "refs/heads/main")
        #expect(refs.first?.localID.hex == id)
        #expect(refs.first?.remoteID.isZero == true)
        #expect(throws: HookError.self) { try PrePushCheck.parse("refs/heads/main \(id) refs/heads/main\n") }
    }
}
