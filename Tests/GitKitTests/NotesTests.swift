import Foundation
import GitKit
import Synchronization
import TestSupport
import Testing

/// Notes written by GitKit are what `git notes` reads, and the other way round.
@Suite struct NotesTests {
    let ref = "refs/notes/modelgate"

    @Test func setNoteIsWhatGitNotesShows() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        let record = "{\"schema\":1,\"verdict\":\"pass\",\"metrics\":{\"r2\":0.913}}"
        try repository.setNote(record, on: head, ref: ref)
        // libgit2 stores the text verbatim, so git prints it without a trailing newline.
        let shown = try repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"])
        #expect(shown.status == 0)
        #expect(shown.stdout == record)
        #expect(try repository.note(on: head, ref: ref) == record)
        #expect(try repository.note(on: head, ref: "modelgate") == record)

        try repository.setNote("replaced\n", on: head, ref: ref)
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"]).stdout == "replaced\n")
        #expect(try repo.git(["rev-list", "--count", ref]) == "2")
    }

    @Test func readsNotesWrittenByGit() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["notes", "--ref=modelgate", "add", "-m", "from git", "HEAD~1"])
        let repository = try repo.open()
        #expect(try repository.note(on: try repository.resolveCommit("HEAD~1"), ref: ref) == "from git\n")
        #expect(try repository.note(on: try repository.resolveCommit("HEAD"), ref: ref) == nil)
        #expect(try repository.note(on: try repository.resolveCommit("HEAD"), ref: "refs/notes/other") == nil)
    }

    @Test func listMatchesGitNotesList() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        #expect(try repository.notes(ref: ref).isEmpty)
        for rev in ["HEAD", "HEAD~2"] {
            try repository.setNote("note on \(rev)", on: try repository.resolveCommit(rev), ref: ref)
        }
        try repo.git(["notes", "--ref=modelgate", "add", "-m", "by git", "HEAD~1"])
        let expected = try repo.git(["notes", "--ref=modelgate", "list"]).split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return NoteEntry(target: try objectID(String(parts[1])), blob: try objectID(String(parts[0])))
        }
        let notes = try repository.notes(ref: ref)
        #expect(notes == expected.sorted { $0.target < $1.target })
        #expect(notes.count == 3)
        #expect(
            String(decoding: try repository.blob(notes[0].blob), as: UTF8.self)
                == (try repo.gitResult(["notes", "--ref=modelgate", "show", notes[0].target.hex]).stdout))
    }

    @Test func removeNote() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        #expect(try repository.removeNote(on: head, ref: ref) == false)
        try repository.setNote("a", on: head, ref: ref)
        try repository.setNote("b", on: try repository.resolveCommit("HEAD~1"), ref: ref)
        #expect(try repository.removeNote(on: head, ref: ref))
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"]).status != 0)
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD~1"]).stdout == "b")
        #expect(try repository.removeNote(on: head, ref: ref) == false)
        #expect(try repository.notes(ref: ref).count == 1)
    }

    @Test func authorIsConfiguredIdentityOrFallbackOrGiven() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        let author = { try repo.git(["log", "-1", "--format=%an <%ae>", self.ref]) }

        try repo.git(["config", "user.name", "Repo Person"])
        try repo.git(["config", "user.email", "repo@example.com"])
        try repository.setNote("configured", on: head, ref: ref)
        #expect(try author() == "Repo Person <repo@example.com>")

        // An empty identity is no identity (git refuses it too), as on a CI machine without one.
        try repo.git(["config", "user.name", ""])
        try repo.git(["config", "user.email", ""])
        try repository.setNote("fallback", on: head, ref: ref)
        #expect(try author() == "\(Signature.fallbackName) <\(Signature.fallbackEmail)>")

        let given = Signature(
            name: "Bot", email: "bot@example.com", date: Date(timeIntervalSince1970: 1_800_000_000),
            utcOffsetMinutes: -300)
        try repository.setNote("given", on: head, ref: ref, author: given)
        #expect(try author() == "Bot <bot@example.com>")
        #expect(try repo.git(["log", "-1", "--format=%ad", "--date=raw", ref]) == "1800000000 -0500")
    }

    @Test(arguments: [
        "modelgate", "notes/modelgate", "refs/notes/modelgate", "refs/heads/odd", "team/metrics",
    ])
    func notesRefNamesExpandLikeGit(ref: String) throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["notes", "--ref=\(ref)", "add", "-m", "x", "HEAD"])
        let created = try repo.git(["for-each-ref", "--format=%(refname)", "refs/notes/"])
        #expect(Repository.notesReferenceName(ref) == created)
        #expect(try repo.open().note(on: try repo.open().resolveCommit("HEAD"), ref: ref) == "x\n")
    }

    @Test func invalidNotesRefIsBadInput() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        let error = gitError { try repository.setNote("x", on: head, ref: "bad..ref") }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.location == "refs/notes/bad..ref")
        #expect(try repo.git(["for-each-ref", "refs/notes/"]).isEmpty)
    }

    @Test func concurrentWritersAllLand() throws {
        let repo = try TemporaryRepository()
        let files = Dictionary(uniqueKeysWithValues: (0..<48).map { ("f\($0).txt", "file \($0)\n") })
        try repo.commit(files: files, message: "many blobs to annotate")
        let blobIDs = try nulFields(repo.git(["ls-tree", "-z", "HEAD"])).map { line in
            try objectID(String(line.split(separator: "\t")[0].split(separator: " ")[2]))
        }
        let url = repo.url
        let ref = self.ref
        let writers = 4
        let failures = Mutex<[String]>([])
        // Each writer opens its own Repository (handles are not shared between threads).
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let repository = try Repository(at: url)
                for (index, id) in blobIDs.enumerated() where index % writers == writer {
                    try repository.setNote("writer \(writer) note \(index)", on: id, ref: ref)
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let notes = try repo.open().notes(ref: ref)
        #expect(notes.count == blobIDs.count)
        #expect(Set(notes.map(\.target)) == Set(blobIDs))
        #expect(
            try repo.git(["notes", "--ref=modelgate", "list"]).split(separator: "\n").count == blobIDs.count)
        #expect(try repo.git(["rev-list", "--count", ref]) == "\(blobIDs.count)")
        let reader = try repo.open()
        for (index, id) in blobIDs.enumerated() {
            #expect(try reader.note(on: id, ref: ref) == "writer \(index % writers) note \(index)")
        }
        for index in [0, 17, blobIDs.count - 1] {
            #expect(
                try repo.gitResult(["notes", "--ref=modelgate", "show", blobIDs[index].hex]).stdout
                    == "writer \(index % writers) note \(index)")
        }
    }

    @Test func waitsWhileAnotherWriterHoldsTheRefLock() throws {
        // While another process (git, another hook) is writing the notes ref it holds
        // refs/notes/modelgate.lock; setNote must wait and retry, not fail or clobber.
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        try repository.setNote("first", on: try repository.resolveCommit("HEAD~1"), ref: ref)
        let lock = repo.url.appendingPathComponent(".git/refs/notes/modelgate.lock")
        try Data().write(to: lock)
        let lockPath = lock.path
        // Release the lock a little later, as the other writer would when it finishes.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            try? FileManager.default.removeItem(atPath: lockPath)
        }
        let started = Date()
        try repository.setNote("second", on: try repository.resolveCommit("HEAD"), ref: ref)
        #expect(Date().timeIntervalSince(started) >= 0.2)
        #expect(!FileManager.default.fileExists(atPath: lock.path))
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD"]).stdout == "second")
        #expect(try repo.gitResult(["notes", "--ref=modelgate", "show", "HEAD~1"]).stdout == "first")
    }
}
