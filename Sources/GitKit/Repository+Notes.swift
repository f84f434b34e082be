import CLibGit2
import Foundation

/// One note in a notes ref: which object it annotates and the blob holding its text.
public struct NoteEntry: Sendable, Equatable, Codable {
    /// The annotated object (for modelgate, a commit).
    public let target: ObjectID
    /// The blob with the note's text.
    public let blob: ObjectID

    /// Makes an entry (mostly for callers building expectations).
    public init(target: ObjectID, blob: ObjectID) {
        self.target = target
        self.blob = blob
    }
}

extension Repository {
    /// How many times a note write re-reads the notes ref and retries after losing a race.
    static let noteWriteAttempts = 500
    /// How long a note write keeps retrying at most, whatever the attempts left.
    static let noteWriteTimeout: TimeInterval = 10

    /// The full notes reference for `ref`, expanded as `git notes --ref` does.
    ///
    /// "modelgate" and "notes/modelgate" mean "refs/notes/modelgate"; anything not already under
    /// "refs/notes/" is put there (so "refs/heads/x" becomes "refs/notes/refs/heads/x", as in git).
    public static func notesReferenceName(_ ref: String) -> String {
        if ref.hasPrefix("refs/notes/") { return ref }
        if ref.hasPrefix("notes/") { return "refs/\(ref)" }
        return "refs/notes/\(ref)"
    }

    /// The text of the note on `target` in `ref`, exactly as stored; nil when there is none.
    public func note(on target: ObjectID, ref: String) throws -> String? {
        let name = try validatedNotesReference(ref)
        var oid = target.raw
        var note: OpaquePointer?
        let code = git_note_read(&note, handle, name, &oid)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "read the note on \(target.short) in \(name)", location: name)
        defer { git_note_free(note) }
        // The note's message is owned by the note object, freed above when we return.
        return git_note_message(note).map { String(cString: $0) } ?? ""
    }

    /// The blob holding the note on `target` in `ref`, found without reading it; nil when there
    /// is none.
    ///
    /// `note(on:ref:)` reads the whole text (libgit2 copies it as a C string), which a note of
    /// gigabytes from a remote must not cost: callers check `objectSize` of this blob first. The
    /// lookup is git's: the blob named by the target's full hex id, at the top of the notes tree
    /// or under fan-out directories of two hex digits each (`ab/cdef…`, `ab/cd/ef…`).
    public func noteBlob(on target: ObjectID, ref: String) throws -> ObjectID? {
        let name = try validatedNotesReference(ref)
        guard let tip = try reference(name) else { return nil }
        var commitOID = tip.raw
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &commitOID), "read \(name)", location: name)
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "read the tree of \(name)", location: name)
        let hex = Array(target.hex.utf8)
        var level = tree
        var fanout = 0
        // Each level is freed once the next one is looked up; the entries are borrowed from it.
        defer { git_tree_free(level) }
        while fanout < hex.count {
            let rest = String(decoding: hex[fanout...], as: UTF8.self)
            if let entry = git_tree_entry_byname(level, rest), git_tree_entry_type(entry) == GIT_OBJECT_BLOB {
                return ObjectID(git_tree_entry_id(entry))
            }
            guard fanout + 2 < hex.count,
                let entry = git_tree_entry_byname(
                    level, String(decoding: hex[fanout..<fanout + 2], as: UTF8.self)),
                git_tree_entry_type(entry) == GIT_OBJECT_TREE
            else { return nil }
            var subtreeOID = git_tree_entry_id(entry).pointee
            var subtree: OpaquePointer?
            try check(git_tree_lookup(&subtree, handle, &subtreeOID), "read \(name)", location: name)
            git_tree_free(level)
            level = subtree
            fanout += 2
        }
        return nil
    }

    /// Sets (or replaces) the note on `target` in `ref` to `text`, stored verbatim (no newline added).
    ///
    /// The notes commit is made first and the ref then moved by compare-and-swap; if another
    /// writer moved the ref meanwhile, this re-reads the tip and tries again (a bounded number of
    /// times), so concurrent GitKit writers all land, and a ref locked by another process is
    /// waited for. (`git notes add` itself moves the ref without such a check, so a
    /// simultaneous git CLI write can still replace ours.) `author` defaults to git's configured identity,
    /// or `modelgate <modelgate@localhost>` when none is configured.
    public func setNote(_ text: String, on target: ObjectID, ref: String, author: Signature? = nil) throws {
        let name = try validatedNotesReference(ref)
        let signature = try SignatureHandle(author, repository: handle)
        var oid = target.raw
        _ = try updateNotes(name, operation: "add a note on \(target.short)") { parent in
            var commitOID = git_oid()
            try check(
                git_note_commit_create(
                    &commitOID, nil, handle, parent, signature.raw, signature.raw, &oid, text, 1),
                "add a note on \(target.short) in \(name)", location: name)
            return ObjectID(commitOID)
        }
    }

    /// Rewrites the note on `target` in `ref` from its current bytes (nil when there is none):
    /// `transform` returns the new text, or nil to change nothing. Returns whether it changed.
    ///
    /// Unlike reading with `note` and writing with `setNote`, the read and the write are one
    /// step of the compare-and-swap loop: when another writer moved the ref meanwhile,
    /// `transform` runs again on the note as that writer left it, so two processes adding a
    /// line each to the same note both land. `transform` may therefore run more than once.
    @discardableResult
    public func updateNote(
        on target: ObjectID, ref: String, author: Signature? = nil, _ transform: (Data?) throws -> String?
    ) throws -> Bool {
        let name = try validatedNotesReference(ref)
        let signature = try SignatureHandle(author, repository: handle)
        var oid = target.raw
        return try updateNotes(name, operation: "update the note on \(target.short)") { parent in
            var current: Data?
            if let parent {
                var note: OpaquePointer?
                let code = git_note_commit_read(&note, handle, parent, &oid)
                if code != GIT_ENOTFOUND.rawValue {
                    try check(code, "read the note on \(target.short) in \(name)", location: name)
                    // The message belongs to the note, freed when this scope ends.
                    defer { git_note_free(note) }
                    current = git_note_message(note).map { Data(bytes: $0, count: strlen($0)) } ?? Data()
                }
            }
            guard let text = try transform(current) else { return nil }
            var commitOID = git_oid()
            try check(
                git_note_commit_create(
                    &commitOID, nil, handle, parent, signature.raw, signature.raw, &oid, text, 1),
                "add a note on \(target.short) in \(name)", location: name)
            return ObjectID(commitOID)
        }
    }

    /// Removes the note on `target` from `ref`; false when there was none. Race-safe like `setNote`.
    @discardableResult
    public func removeNote(on target: ObjectID, ref: String, author: Signature? = nil) throws -> Bool {
        let name = try validatedNotesReference(ref)
        let signature = try SignatureHandle(author, repository: handle)
        var oid = target.raw
        return try updateNotes(name, operation: "remove the note on \(target.short)") { parent in
            guard let parent else { return nil }
            var commitOID = git_oid()
            let code = git_note_commit_remove(&commitOID, handle, parent, signature.raw, signature.raw, &oid)
            if code == GIT_ENOTFOUND.rawValue { return nil }
            try check(code, "remove the note on \(target.short) from \(name)", location: name)
            return ObjectID(commitOID)
        }
    }

    /// Every note in `ref`, sorted by target; empty when the ref does not exist.
    public func notes(ref: String) throws -> [NoteEntry] {
        let name = try validatedNotesReference(ref)
        var iterator: OpaquePointer?
        let code = git_note_iterator_new(&iterator, handle, name)
        if code == GIT_ENOTFOUND.rawValue { return [] }
        try check(code, "list notes in \(name)", location: name)
        defer { git_note_iterator_free(iterator) }
        var result: [NoteEntry] = []
        var blobOID = git_oid()
        var targetOID = git_oid()
        while true {
            let next = git_note_next(&blobOID, &targetOID, iterator)
            if next == GIT_ITEROVER.rawValue { break }
            try check(next, "list notes in \(name)", location: name)
            result.append(NoteEntry(target: ObjectID(targetOID), blob: ObjectID(blobOID)))
        }
        return result.sorted { $0.target < $1.target }
    }

    private func validatedNotesReference(_ ref: String) throws -> String {
        let name = Repository.notesReferenceName(ref)
        try Repository.validateReferenceName(name)
        return name
    }

    /// Makes a new notes commit on top of the current tip with `makeCommit` and moves `name` to it
    /// by compare-and-swap, retrying from the new tip when another writer got there first.
    ///
    /// `makeCommit` gets the tip commit (borrowed, nil when the ref does not exist yet) and
    /// returns the new commit, or nil when there is nothing to change. Returns whether it changed.
    private func updateNotes(
        _ name: String, operation: String, makeCommit: (OpaquePointer?) throws -> ObjectID?
    ) throws -> Bool {
        let deadline = Date().addingTimeInterval(Repository.noteWriteTimeout)
        for attempt in 1...Repository.noteWriteAttempts {
            let tip = try reference(name)
            var parent: OpaquePointer?
            if let tip {
                var tipOID = tip.raw
                try check(git_commit_lookup(&parent, handle, &tipOID), "read \(name)", location: name)
            }
            defer { git_commit_free(parent) }
            guard let newCommit = try makeCommit(parent) else { return false }
            let code = tryUpdateReference(name, to: newCommit, expecting: tip, message: "notes: \(operation)")
            if code == 0 { return true }
            let lostRace =
                code == GIT_EMODIFIED.rawValue || code == GIT_EEXISTS.rawValue
                || code == GIT_ELOCKED.rawValue
            guard lostRace, attempt < Repository.noteWriteAttempts, Date() < deadline else {
                throw GitError.last(
                    code: code, operation: operation, location: name,
                    hint: lostRace ? "other processes keep writing \(name); try again" : nil)
            }
            // Back off a little, with jitter, so two writers do not collide in lockstep; a writer
            // holding the lock (git's own default wait is 100 ms) is usually done within a few.
            usleep(UInt32.random(in: 500...(attempt < 10 ? 2_000 : 20_000)))
        }
        return false
    }
}
