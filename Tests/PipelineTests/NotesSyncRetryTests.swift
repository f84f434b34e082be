import Foundation
import GitKit
import Synchronization
import TestSupport
import Testing

@testable import Pipeline

/// Which refused pushes `sync` tries again, read from `git push --porcelain`; and the
/// fingerprint index's file, which a damaged disk may hand back in any shape.
@Suite struct NotesSyncRetryTests {
    @Test(arguments: [
        "! \trefs/notes/modelgate:refs/notes/modelgate\t[rejected] (fetch first)",
        "!\trefs/notes/modelgate:refs/notes/modelgate\t[rejected] (non-fast-forward)",
        "!\trefs/notes/modelgate:refs/notes/modelgate\t[remote rejected] (failed to update ref)",
        "!\trefs/notes/modelgate-superseded:refs/notes/modelgate-superseded\t[remote rejected] (cannot lock ref 'refs/notes/modelgate-superseded': is at 1 but expected 2)",
    ])
    func aNotesRefThatMovedIsRetried(line: String) {
        let output = "To /tmp/remote.git\n\(line.replacingOccurrences(of: "! \t", with: "!\t"))\nDone\n"
        let refusal = NotesSync.pushRefusal(output, stderr: "error: failed to push some refs")
        #expect(refusal.isRetryable)
        #expect(refusal.message.hasPrefix("refs/notes/"))
    }

    @Test func otherRefusalsAreNot() {
        let hook = NotesSync.pushRefusal(
            "To r\n!\trefs/notes/modelgate:refs/notes/modelgate\t[remote rejected] (pre-receive hook declined)\nDone\n",
            stderr: "")
        #expect(!hook.isRetryable)
        #expect(hook.message == "refs/notes/modelgate [remote rejected] (pre-receive hook declined)")
        // A tag that exists there with other content: fetching again cannot change it.
        let tag = NotesSync.pushRefusal(
            "To r\n!\trefs/notes/modelgate:refs/notes/modelgate\t[rejected] (fetch first)\n!\trefs/tags/m@v1:refs/tags/m@v1\t[rejected] (already exists)\nDone\n",
            stderr: "")
        #expect(!tag.isRetryable)
        // No porcelain lines at all (no access, no such remote): the first stderr line.
        let none = NotesSync.pushRefusal("", stderr: "\nfatal: could not read from remote repository\n")
        #expect(!none.isRetryable)
        #expect(none.message == "fatal: could not read from remote repository")
    }

    @Test func theIndexFileReadsBackAndRefusesAnythingElse() throws {
        let tip = try #require(ObjectID(hex: String(repeating: "a", count: 40)))
        let commit = try #require(ObjectID(hex: String(repeating: "b", count: 40)))
        var index = NotesIndex(tip: tip)
        index.add("0123abcd", on: commit)
        index.add("not hex: \n injected", on: commit)  // a hostile note's fingerprint is left out
        let read = try #require(NotesIndex(parsing: index.encoded()))
        #expect(read.tip == tip)
        #expect(read.commits(for: "0123abcd") == [commit])
        #expect(read.byFingerprint.count == 1)
        for damaged in [
            "", "modelgate notes-index 1\n", "modelgate notes-index 2 \(tip.hex)\n",
            "modelgate notes-index 1 \(tip.hex)\nab\n", "modelgate notes-index 1 \(tip.hex)\nab cd\n",
        ] {
            #expect(NotesIndex(parsing: Data(damaged.utf8)) == nil)
        }
        #expect(NotesIndex(parsing: Data([0xFF, 0xFE])) == nil)
    }
}

/// Lines kept in the superseded ref by several writers at once (each with its own handle, as
/// separate processes would be) all land: the note is rewritten inside the ref's compare-and-swap.
@Suite struct SupersededWritersTests {
    @Test func concurrentWritersOnOneCommitAllLand() throws {
        let repo = try TemporaryRepository()
        let commit = try #require(ObjectID(hex: try repo.commit(files: ["a": "1\n"], message: "one")))
        let url = repo.url
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                let sync = NotesSync(repository: try Repository(at: url), remote: "origin")
                #expect(try sync.keepSuperseded("not a record \(index)", on: commit))
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let lines = try #require(try repo.open().note(on: commit, ref: NotesSync.supersededRef))
            .split(separator: "\n")
        #expect(Set(lines) == Set((0..<8).map { "not a record \($0)"[...] }))
    }
}
