import Diagnostics
import Foundation
import GitKit
import Processes

/// `modelgate sync [REMOTE]`: exchange run records (`refs/notes/modelgate`) and release tags with a remote.
///
/// Never drops a local note. The remote's notes are fetched into a tracking ref of their own
/// (`refs/notes/remotes/REMOTE/modelgate`), merged into the local ref, and the result is pushed
/// (a fast-forward, never forced). Every ref in `sharedRefs` travels this way, each with its
/// merge rule.
///
/// The merge rule, when both sides have a different note on the same commit: the record whose
/// run started later becomes the note (equal times: the larger text, so every clone picks the
/// same one), and the other record is kept, one JSON line per record, on the same commit in
/// `refs/notes/modelgate-superseded`, which is shared the same way and merged by union. No
/// pass or fail fact is ever lost.
///
/// Many syncs at once (CI jobs finishing together) all arrive: when the push is refused because
/// the remote's notes moved meanwhile (a non-fast-forward, or a ref the remote was updating at
/// that moment), the sync fetches, merges and pushes again, up to `maxAttempts` times with a
/// randomly jittered, doubling pause between tries, so racing jobs spread out instead of
/// colliding again. Each round merges everything the others pushed, so every record ends up on
/// the remote; after the last try it fails with exit 3 and says so. Any other refusal (a hook
/// on the remote, no permission) fails at once: trying again would not change it.
///
/// Notes are read as `RecordDecoder` reads them: a note over `RecordLimits.noteBytes` is never
/// read at all, and one that is not UTF-8 is not taken as text (repairing it would change it).
/// Such a note loses to the other side's note whatever that is, and is kept in the superseded
/// ref as one line naming its blob and the reason instead of its text.
public struct NotesSync {
    /// Where records that lost a merge are kept.
    public static let supersededRef = "refs/notes/modelgate-superseded"

    /// How the remote's version of a shared ref is merged into the local one.
    public enum MergeRule: Sendable {
        /// Run records: per commit, the later run wins and the other is kept in `supersededRef`.
        case records
        /// Notes whose lines are facts to keep (git's `cat_sort_uniq`: both sides' lines, sorted, once).
        case union
    }

    /// A notes ref that `sync` carries, with its merge rule.
    public struct SharedRef: Sendable {
        /// The full ref name (`refs/notes/…`).
        public var name: String
        /// How the remote's notes are merged into ours.
        public var rule: MergeRule

        /// Makes a shared ref.
        public init(_ name: String, rule: MergeRule) {
            self.name = name
            self.rule = rule
        }
    }

    /// Every notes ref `sync` fetches, merges and pushes, in this order (records first: merging
    /// them adds lines to the superseded ref). Another kind of note joins the list here.
    public static let sharedRefs: [SharedRef] = [
        SharedRef(RecordNotes.ref, rule: .records), SharedRef(supersededRef, rule: .union),
        // Signed records: one self-contained line per signature, so a union loses none.
        SharedRef(SignedRecords.ref, rule: .union),
        // Deployment records: one self-contained line per deployment event, likewise.
        SharedRef(DeploymentLog.ref, rule: .union),
    ]

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
        /// How many fetch-merge-push rounds it took (more than 1 when others pushed meanwhile).
        public var attempts: Int = 1
    }

    /// Most fetch-merge-push rounds before giving up; with doubling pauses capped at
    /// `maxPause`, at most about ten seconds of waiting in all.
    public static let maxAttempts = 10
    /// The longest pause between two rounds, in milliseconds.
    static let maxPause = 2000

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
        let last = ref.split(separator: "/").last.map(String.init) ?? ref
        return "refs/notes/remotes/\(String(safe))/\(last)"
    }

    /// Fetches, merges and pushes, again while the remote's notes move under us.
    public func run() throws -> Summary {
        var summary = Summary(
            remote: remote, received: 0, conflicts: 0, tookRemote: 0, pushedTags: [], warnings: [])
        // Release tags: fetch the remote's without clobbering ours, push ours.
        let fetchTags = try gitResult([
            "fetch", "--quiet", "--no-write-fetch-head", remote, "refs/tags/*:refs/tags/*",
        ])
        if fetchTags.status != 0 {
            summary.warnings.append(
                "some tags were not fetched: \(fetchTags.stderr.split(separator: "\n").first ?? "")")
        }
        let (tags, unreadable) = try releaseTags()
        summary.pushedTags = tags
        summary.warnings += unreadable.map(\.message)
        var conflicts = Set<ObjectID>()
        var tookRemote = Set<ObjectID>()
        for attempt in 1...Self.maxAttempts {
            summary.attempts = attempt
            try fetchAndMerge(into: &summary, conflicts: &conflicts, tookRemote: &tookRemote)
            summary.conflicts = conflicts.count
            summary.tookRemote = tookRemote.count
            var pushRefs: [String] = []
            for ref in Self.sharedRefs where try repository.reference(ref.name) != nil {
                pushRefs.append("\(ref.name):\(ref.name)")
            }
            pushRefs += summary.pushedTags.map { "refs/tags/\($0):refs/tags/\($0)" }
            if pushRefs.isEmpty { return summary }
            let pushed = try gitResult(["push", "--porcelain", "--no-verify", remote] + pushRefs)
            if pushed.status == 0 { return summary }
            let refusal = Self.pushRefusal(pushed.stdout, stderr: pushed.stderr)
            guard refusal.isRetryable else {
                throw HookError(
                    "could not push the notes to '\(remote)': \(refusal.message)", location: remote,
                    hint:
                        "check that you may push to '\(remote)' and that no hook there refuses refs/notes/*",
                    exitStatus: .failure)
            }
            if attempt == Self.maxAttempts {
                throw HookError(
                    "could not push the notes to '\(remote)': it kept changing while \(attempt) tries fetched and merged it (\(refusal.message))",
                    location: remote,
                    hint:
                        "many jobs are syncing at once; run 'modelgate sync \(remote)' again (nothing was lost: the records stay here)",
                    exitStatus: .failure)
            }
            Self.pause(before: attempt + 1)
        }
        return summary
    }

    /// One round's fetch of every shared ref the remote has, merged into ours by its rule.
    func fetchAndMerge(
        into summary: inout Summary, conflicts: inout Set<ObjectID>, tookRemote: inout Set<ObjectID>
    ) throws {
        let names = Self.sharedRefs.map(\.name)
        let advertised = try git(["ls-remote", remote] + names, operation: "list the remote's notes")
        let remoteRefs = Set(
            advertised.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) })
        let present = Self.sharedRefs.filter { remoteRefs.contains($0.name) }
        guard !present.isEmpty else { return }
        let refspecs = present.map { "+\($0.name):\(Self.trackingRef(remote: remote, for: $0.name))" }
        try git(["fetch", "--quiet", "--no-tags", remote] + refspecs, operation: "fetch the remote's notes")
        for ref in present {
            let tracking = Self.trackingRef(remote: remote, for: ref.name)
            switch ref.rule {
            case .records:
                try merge(
                    ref.name, from: tracking, into: &summary, conflicts: &conflicts, tookRemote: &tookRemote)
            case .union:
                try git(
                    ["notes", "--ref=\(ref.name)", "merge", "--quiet", "-s", "cat_sort_uniq", tracking],
                    operation: "merge the remote's \(ref.name)")
            }
        }
    }

    /// Why a `git push --porcelain` failed, and whether fetching, merging and pushing again can help.
    struct PushRefusal: Equatable {
        var message: String
        var isRetryable: Bool
    }

    /// Reads `git push --porcelain` output: retryable when every refused ref is a shared notes ref
    /// refused because it moved (non-fast-forward, fetch first, or a lock or update race on the
    /// remote); anything else (a tag that exists there, a hook, no access) is not.
    static func pushRefusal(_ stdout: String, stderr: String) -> PushRefusal {
        let shared = Set(sharedRefs.map(\.name))
        let moved = [
            "fetch first", "non-fast-forward", "stale info", "failed to update ref", "cannot lock ref",
            "failed to lock",
        ]
        var refused: [(ref: String, reason: String)] = []
        for line in stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, fields[0] == "!" else { continue }
            let target = fields[1].split(separator: ":").last.map(String.init) ?? String(fields[1])
            refused.append((target, String(fields[2])))
        }
        let stderrLine = stderr.split(separator: "\n").first { !$0.isEmpty }.map(String.init)
        guard !refused.isEmpty else {
            return PushRefusal(message: stderrLine ?? "git push failed", isRetryable: false)
        }
        let message = refused.map { "\($0.ref) \($0.reason)" }.joined(separator: "; ")
        let retryable = refused.allSatisfy { item in
            shared.contains(item.ref) && moved.contains { item.reason.contains($0) }
        }
        return PushRefusal(message: message, isRetryable: retryable)
    }

    /// Sleeps before round `attempt`: a random time up to 50 ms doubled per earlier round, at most
    /// `maxPause` (full jitter, so jobs that collided do not collide again in step).
    static func pause(before attempt: Int) {
        let ceiling = min(maxPause, 50 << min(attempt, 16))
        let milliseconds = Int.random(in: ceiling / 4...ceiling)
        Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
    }

    /// Applies the records merge rule to conflicting notes of `ref` and its `tracking` copy, then
    /// lets git record the merge (both parents).
    func merge(
        _ ref: String, from tracking: String, into summary: inout Summary, conflicts: inout Set<ObjectID>,
        tookRemote: inout Set<ObjectID>
    ) throws {
        let local = Dictionary(
            try repository.notes(ref: ref).map { ($0.target, $0.blob) },
            uniquingKeysWith: { first, _ in first })
        for entry in try repository.notes(ref: tracking) {
            guard let mine = local[entry.target] else {
                summary.received += 1
                continue
            }
            guard mine != entry.blob else { continue }
            conflicts.insert(entry.target)
            let ours = try noteText(mine)
            let theirs = try noteText(entry.blob)
            let loser: String
            switch (ours, theirs) {
            case (let ours?, let theirs?):
                let (winner, lost) = Self.resolve(ours, theirs)
                if winner == theirs {
                    tookRemote.insert(entry.target)
                    try repository.setNote(theirs, on: entry.target, ref: ref)
                }
                loser = lost
            case (nil, let theirs?):
                tookRemote.insert(entry.target)
                try repository.setNote(theirs, on: entry.target, ref: ref)
                loser = try unreadLine(mine)
            case (_, nil):
                loser = try unreadLine(entry.blob)
            }
            if !(try keepSuperseded(loser, on: entry.target)) {
                summary.warnings.appendOnce(
                    "the superseded records of \(entry.target.short) are over \(RecordDecoder.byteCount(Self.supersededBytes)); one more was not added"
                )
            }
        }
        // Conflicts now all resolve to the local side, which holds each winner; git adds the
        // remote-only notes and makes a merge commit, so the push below is a fast-forward.
        try git(
            ["notes", "--ref=\(ref)", "merge", "--quiet", "-s", "ours", tracking],
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
        // Read and rewritten inside the ref's compare-and-swap, so a line another writer adds
        // to the same note meanwhile is kept, not overwritten.
        try repository.updateNote(on: commit, ref: Self.supersededRef) { current in
            let existing = String(decoding: current ?? Data(), as: UTF8.self)
            var lines = Set(existing.split(separator: "\n").map(String.init))
            guard lines.insert(line).inserted else { return nil }
            return lines.sorted().joined(separator: "\n") + "\n"
        }
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

extension Array where Element == String {
    /// Appends `line` unless it is already there (a warning repeated by a later sync round).
    fileprivate mutating func appendOnce(_ line: String) {
        if !contains(line) { append(line) }
    }
}
