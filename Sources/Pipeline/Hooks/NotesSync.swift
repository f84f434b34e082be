import Diagnostics
import Foundation
import GitKit
import Processes

/// `modelgate sync [REMOTE]`: exchange run records (`refs/notes/modelgate`) and release tags with a remote.
///
/// Never drops a local note. The remote's notes are fetched into a tracking ref of their own
/// (`refs/notes/remotes/REMOTE/modelgate`), merged into the local ref, and the result is pushed
/// (a fast-forward, never forced).
///
/// The merge rule, when both sides have a different note on the same commit: the record whose
/// run started later becomes the note (equal times: the larger text, so every clone picks the
/// same one), and the other record is kept, one JSON line per record, on the same commit in
/// `refs/notes/modelgate-superseded`, which is shared the same way and merged by union. No
/// pass or fail fact is ever lost.
///
/// Notes are read as `RecordDecoder` reads them: a note over `RecordLimits.noteBytes` is never
/// read at all, and one that is not UTF-8 is not taken as text (repairing it would change it).
/// Such a note loses to the other side's note whatever that is, and is kept in the superseded
/// ref as one line naming its blob and the reason instead of its text.
public struct NotesSync {
    /// Where records that lost a merge are kept.
    public static let supersededRef = "refs/notes/modelgate-superseded"
    /// Notes refs of one line per fact, merged by union (`cat_sort_uniq`): superseded records
    /// and signed records (`SignedRecords`, whose lines are self-contained, so a union loses none).
    static let unionRefs = [supersededRef, SignedRecords.ref]

    /// What `sync` did.
    public struct Summary: Codable, Equatable, Sendable {
        /// The remote.
        public var remote: String
        /// Notes the remote had that were new here.
        public var received: Int
        /// Commits where both sides had different records.
        public var conflicts: Int
        /// Of those, how many took the remote's record as the note.
        public var tookRemote: Int
        /// Release tags pushed (names).
        public var pushedTags: [String]
        /// Lines worth showing (a rejected tag, a remote without notes…).
        public var warnings: [String]
    }

    let repository: Repository
    let remote: String

    /// Makes a sync of `repository` with `remote` (a configured remote's name or a URL).
    public init(repository: Repository, remote: String) {
        self.repository = repository
        self.remote = remote
    }

    /// The tracking ref the remote's notes are fetched into.
    public static func trackingRef(remote: String, for ref: String) -> String {
        let safe = remote.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
        return "refs/notes/remotes/\(String(safe))/\(ref.split(separator: "/").last!)"
    }

    /// Fetches, merges and pushes.
    public func run() throws -> Summary {
        var summary = Summary(
            remote: remote, received: 0, conflicts: 0, tookRemote: 0, pushedTags: [], warnings: [])
        let advertised = try git(
            ["ls-remote", remote, RecordNotes.ref] + Self.unionRefs, operation: "list the remote's notes")
        let remoteRefs = Set(
            advertised.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) })
        var refspecs: [String] = []
        for ref in [RecordNotes.ref] + Self.unionRefs where remoteRefs.contains(ref) {
            refspecs.append("+\(ref):\(Self.trackingRef(remote: remote, for: ref))")
        }
        if !refspecs.isEmpty {
            try git(
                ["fetch", "--quiet", "--no-tags", remote] + refspecs, operation: "fetch the remote's notes")
        }
        if remoteRefs.contains(RecordNotes.ref) {
            try merge(into: &summary)
        }
        for ref in Self.unionRefs where remoteRefs.contains(ref) {
            try git(
                [
                    "notes", "--ref=\(ref)", "merge", "--quiet", "-s", "cat_sort_uniq",
                    Self.trackingRef(remote: remote, for: ref),
                ],
                operation: "merge the remote's \(ref)")
        }
        // Release tags: fetch the remote's without clobbering ours, push ours.
        let fetchTags = try gitResult([
            "fetch", "--quiet", "--no-write-fetch-head", remote, "refs/tags/*:refs/tags/*",
        ])
        if fetchTags.status != 0 {
            summary.warnings.append(
                "some tags were not fetched: \(fetchTags.stderr.split(separator: "\n").first ?? "")")
        }
        var pushRefs: [String] = []
        for ref in [RecordNotes.ref] + Self.unionRefs where try repository.reference(ref) != nil {
            pushRefs.append("\(ref):\(ref)")
        }
        let (tags, unreadable) = try releaseTags()
        summary.pushedTags = tags
        summary.warnings += unreadable.map(\.message)
        pushRefs += summary.pushedTags.map { "refs/tags/\($0):refs/tags/\($0)" }
        if !pushRefs.isEmpty {
            let pushed = try gitResult(["push", "--quiet", "--no-verify", remote] + pushRefs)
            if pushed.status != 0 {
                throw HookError(
                    "could not push the notes to '\(remote)': \(pushed.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                    location: remote,
                    hint: "someone may have pushed meanwhile; run 'modelgate sync \(remote)' again",
                    exitStatus: .failure)
            }
        }
        return summary
    }

    /// Applies the merge rule to conflicting notes, then lets git record the merge (both parents).
    func merge(into summary: inout Summary) throws {
        let tracking = Self.trackingRef(remote: remote, for: RecordNotes.ref)
        let local = Dictionary(
            uniqueKeysWithValues: try repository.notes(ref: RecordNotes.ref).map { ($0.target, $0.blob) })
        for entry in try repository.notes(ref: tracking) {
            guard let mine = local[entry.target] else {
                summary.received += 1
                continue
            }
            guard mine != entry.blob else { continue }
            summary.conflicts += 1
            let ours = try noteText(mine)
            let theirs = try noteText(entry.blob)
            let loser: String
            switch (ours, theirs) {
            case (let ours?, let theirs?):
                let (winner, lost) = Self.resolve(ours, theirs)
                if winner == theirs {
                    summary.tookRemote += 1
                    try repository.setNote(theirs, on: entry.target, ref: RecordNotes.ref)
                }
                loser = lost
            case (nil, let theirs?):
                summary.tookRemote += 1
                try repository.setNote(theirs, on: entry.target, ref: RecordNotes.ref)
                loser = try unreadLine(mine)
            case (_, nil):
                loser = try unreadLine(entry.blob)
            }
            if !(try keepSuperseded(loser, on: entry.target)) {
                summary.warnings.append(
                    "the superseded records of \(entry.target.short) are over \(RecordDecoder.byteCount(Self.supersededBytes)); one more was not added"
                )
            }
        }
        // Conflicts now all resolve to the local side, which holds each winner; git adds the
        // remote-only notes and makes a merge commit, so the push below is a fast-forward.
        try git(
            ["notes", "--ref=\(RecordNotes.ref)", "merge", "--quiet", "-s", "ours", tracking],
            operation: "merge the remote's notes")
    }

    /// The text of note blob `blob`; nil when it is over the record size limit (left unread) or
    /// not UTF-8.
    func noteText(_ blob: ObjectID) throws -> String? {
        guard try repository.objectSize(blob) <= RecordLimits.noteBytes else { return nil }
        return String(validating: try repository.blob(blob), as: UTF8.self)
    }

    /// The superseded line standing for a note `noteText` did not read: its blob and why.
    func unreadLine(_ blob: ObjectID) throws -> String {
        let size = try repository.objectSize(blob)
        let reason =
            size > RecordLimits.noteBytes ? RecordDecoder.sizeProblem(size) : "it is not valid UTF-8 text"
        return "{\"blob\": \"\(blob.hex)\", \"unreadable\": \"\(reason)\"}"
    }

    /// Picks the note to keep of two texts for the same commit: (winner, loser).
    public static func resolve(_ ours: String, _ theirs: String) -> (String, String) {
        let decoder = RecordDecoder()
        let a = try? decoder.decode(Data(ours.utf8)).get()
        let b = try? decoder.decode(Data(theirs.utf8)).get()
        switch (a, b) {
        case (nil, .some): return (theirs, ours)  // a readable record beats an unreadable note
        case (.some, nil): return (ours, theirs)
        case (.some(let a), .some(let b)) where a.started != b.started:
            return a.started > b.started ? (ours, theirs) : (theirs, ours)
        default:
            return ours > theirs ? (ours, theirs) : (theirs, ours)
        }
    }

    /// The largest superseded note one more line is added to; beyond it, lines are dropped
    /// (with a warning) rather than reading and rewriting ever larger notes.
    static let supersededBytes = 4 * RecordLimits.noteBytes

    /// Adds `record` (as one compact JSON line) to the commit's superseded note; false when that
    /// note is already over `supersededBytes` and nothing was added.
    func keepSuperseded(_ text: String, on commit: ObjectID) throws -> Bool {
        if let blob = try repository.noteBlob(on: commit, ref: Self.supersededRef),
            try repository.objectSize(blob) > Self.supersededBytes
        {
            return false
        }
        let line: String
        if let record = try? RecordDecoder().decode(Data(text.utf8)).get() {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            line = String(decoding: try encoder.encode(record), as: UTF8.self)
        } else {
            line = text.replacingOccurrences(of: "\n", with: " ")
        }
        let existing = try repository.note(on: commit, ref: Self.supersededRef) ?? ""
        var lines = Set(existing.split(separator: "\n").map(String.init))
        guard lines.insert(line).inserted else { return true }
        try repository.setNote(
            lines.sorted().joined(separator: "\n") + "\n", on: commit, ref: Self.supersededRef)
        return true
    }

    /// Annotated tags that modelgate's releases made (trailers `Modelgate-…`), read with
    /// `ReleaseTag` under its limits, and the tags that cannot be read (never pushed).
    func releaseTags() throws -> (names: [String], unreadable: [UnreadableTag]) {
        let (tags, unreadable) = try ReleaseTag.all(in: repository)
        return (tags.filter(\.hasModelgateTrailers).map(\.name), unreadable)
    }

    // MARK: - Running git

    /// Most bytes read from one git command's stdout or stderr (ls-remote of two refs, fetch and
    /// push messages): a remote cannot make us hold more.
    static let outputLimit = 16 << 20

    @discardableResult
    func git(_ arguments: [String], operation: String) throws -> String {
        let result = try gitResult(arguments)
        guard result.status == 0 else {
            throw HookError(
                "could not \(operation): git \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                location: remote, hint: "check that '\(remote)' is reachable ('git ls-remote \(remote)')",
                exitStatus: .failure)
        }
        return result.stdout
    }

    /// Runs `git ARGUMENTS` at the top of the repository with the child environment policy
    /// (no prompts unless the user asked for them) and returns what it printed.
    func gitResult(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var child = ChildProcess("git", arguments)
        child.directory = (repository.workingDirectory ?? repository.gitDirectory).path
        child.environment["GIT_TERMINAL_PROMPT"] =
            ProcessInfo.processInfo.environment["GIT_TERMINAL_PROMPT"] ?? "0"
        let result: ChildProcess.Collected
        do {
            result = try child.collect(limit: Self.outputLimit)
        } catch let error as ChildProcessError {
            throw HookError(
                "could not run git: \(error.summary)", location: nil, hint: "install git and put it on PATH",
                exitStatus: .failure)
        }
        let status: Int32
        switch result.ending {
        case .exited(let code): status = code
        case .signalled(let signal): status = 128 + signal
        case .timedOut, .interrupted: status = 130
        }
        return (
            status, String(decoding: result.output, as: UTF8.self),
            String(decoding: result.error, as: UTF8.self)
        )
    }
}
