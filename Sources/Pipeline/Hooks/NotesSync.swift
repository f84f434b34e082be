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
///
/// It says what it did, per shared ref (`Summary.refs`): the notes fetched (on commits that had
/// none here), the commits whose notes were merged, and the notes pushed (new or changed on the
/// remote: counted against the remote's notes as fetched in the round whose push went through,
/// for the refs `git push --porcelain` reports updated); and the release tags fetched and pushed
/// (tags the remote already had are not counted as pushed).
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
        /// What its notes are, in `sync`'s report ("records", "signatures").
        public var label: String

        /// Makes a shared ref.
        public init(_ name: String, rule: MergeRule, label: String) {
            self.name = name
            self.rule = rule
            self.label = label
        }
    }

    /// Every notes ref `sync` fetches, merges and pushes, in this order (records first: merging
    /// them adds lines to the superseded ref). Another kind of note joins the list here.
    public static let sharedRefs: [SharedRef] = [
        SharedRef(RecordNotes.ref, rule: .records, label: "records"),
        SharedRef(supersededRef, rule: .union, label: "superseded records"),
        // Signed records: one self-contained line per signature, so a union loses none.
        SharedRef(SignedRecords.ref, rule: .union, label: "signatures"),
        // Deployment records: one self-contained line per deployment event, likewise.
        SharedRef(DeploymentLog.ref, rule: .union, label: "deployments"),
    ]

    /// What `sync` did to one shared notes ref.
    public struct RefSummary: Codable, Equatable, Sendable {
        /// The ref (`refs/notes/…`).
        public var ref: String
        /// What its notes are ("records", "signatures"…).
        public var label: String
        /// Notes the remote had on commits that had none here, now here.
        public var fetched: Int
        /// Commits on which both sides had a different note, merged here by the ref's rule.
        public var merged: Int
        /// Notes this sync gave the remote: on commits it had no note on, or a different one.
        public var pushed: Int
        /// Notes the ref holds here after the sync.
        public var notes: Int
        /// True when nothing was fetched, merged or pushed.
        public var upToDate: Bool

        /// Makes a ref's summary.
        public init(ref: SharedRef, fetched: Int, merged: Int, pushed: Int, notes: Int) {
            self.ref = ref.name
            label = ref.label
            self.fetched = fetched
            self.merged = merged
            self.pushed = pushed
            self.notes = notes
            upToDate = fetched == 0 && merged == 0 && pushed == 0
        }
    }

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
        /// Release tags pushed: the ones the remote did not have (names).
        public var pushedTags: [String]
        /// Tags fetched from the remote that were not here (names).
        public var fetchedTags: [String] = []
        /// Per shared ref, in `sharedRefs` order: notes fetched, merged and pushed.
        public var refs: [RefSummary] = []
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
        let tagsBefore = Set(try repository.tagNames())
        let fetchTags = try gitResult([
            "fetch", "--quiet", "--no-write-fetch-head", remote, "refs/tags/*:refs/tags/*",
        ])
        if fetchTags.status != 0 {
            summary.warnings.append(
                "some tags were not fetched: \(fetchTags.stderr.split(separator: "\n").first ?? "")")
        }
        summary.fetchedTags = try repository.tagNames().filter { !tagsBefore.contains($0) }
        let (tags, unreadable) = try releaseTags()
        summary.warnings += unreadable.map(\.message)
        var round = Round()
        var pushedTags = Set<String>()
        for attempt in 1...Self.maxAttempts {
            summary.attempts = attempt
            try fetchAndMerge(into: &summary, round: &round)
            summary.conflicts = round.conflicts.count
            summary.tookRemote = round.tookRemote.count
            var pushRefs: [String] = []
            for ref in Self.sharedRefs where try repository.reference(ref.name) != nil {
                pushRefs.append("\(ref.name):\(ref.name)")
            }
            pushRefs += tags.map { "refs/tags/\($0):refs/tags/\($0)" }
            if pushRefs.isEmpty {
                summary.refs = try refSummaries(round)
                return summary
            }
            let pushed = try gitResult(["push", "--porcelain", "--no-verify", remote] + pushRefs)
            // A push that fails may still have updated some refs (git push is not atomic).
            let updated = Self.updatedRefs(pushed.stdout)
            try countPushedNotes(updated, round: &round)
            pushedTags.formUnion(
                updated.compactMap { $0.hasPrefix("refs/tags/") ? String($0.dropFirst(10)) : nil })
            summary.pushedTags = tags.filter(pushedTags.contains)
            if pushed.status == 0 {
                summary.refs = try refSummaries(round)
                return summary
            }
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
        summary.refs = try refSummaries(round)
        return summary
    }

    /// What the rounds of one sync did so far, per shared ref (by name): commits whose notes
    /// were fetched, merged or pushed, each counted once however many rounds saw it.
    struct Round {
        var fetched: [String: Set<ObjectID>] = [:]
        var merged: [String: Set<ObjectID>] = [:]
        var pushed: [String: Set<ObjectID>] = [:]
        /// Refs the remote had in the latest round (their tracking refs hold its notes).
        var remoteHas: Set<String> = []
        /// Record conflicts, and those where the remote's record became the note.
        var conflicts = Set<ObjectID>()
        var tookRemote = Set<ObjectID>()
    }

    /// The per-ref summaries of `round`, with each ref's note count here.
    func refSummaries(_ round: Round) throws -> [RefSummary] {
        try Self.sharedRefs.map { ref in
            RefSummary(
                ref: ref, fetched: round.fetched[ref.name]?.count ?? 0,
                merged: round.merged[ref.name]?.count ?? 0,
                pushed: round.pushed[ref.name]?.count ?? 0, notes: try repository.notes(ref: ref.name).count)
        }
    }

    /// Counts, for each shared ref in `updated` (refs the push updated), the notes the remote
    /// did not have as fetched this round: new ones and changed ones.
    func countPushedNotes(_ updated: Set<String>, round: inout Round) throws {
        for ref in Self.sharedRefs where updated.contains(ref.name) {
            var theirs: [ObjectID: ObjectID] = [:]
            if round.remoteHas.contains(ref.name) {
                for entry in try repository.notes(ref: Self.trackingRef(remote: remote, for: ref.name)) {
                    theirs[entry.target] = entry.blob
                }
            }
            for entry in try repository.notes(ref: ref.name) where theirs[entry.target] != entry.blob {
                round.pushed[ref.name, default: []].insert(entry.target)
            }
        }
    }

    /// The remote refs a `git push --porcelain` updated: lines flagged ` ` (fast-forward), `+`
    /// (forced) or `*` (new); up-to-date refs are not listed without `--verbose`.
    static func updatedRefs(_ stdout: String) -> Set<String> {
        var refs = Set<String>()
        for line in stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, ["", " ", "+", "*"].contains(fields[0]) else { continue }
            if let target = fields[1].split(separator: ":").last { refs.insert(String(target)) }
        }
        return refs
    }

    /// One round's fetch of every shared ref the remote has, merged into ours by its rule.
    func fetchAndMerge(into summary: inout Summary, round: inout Round) throws {
        let names = Self.sharedRefs.map(\.name)
        let advertised = try git(["ls-remote", remote] + names, operation: "list the remote's notes")
        let remoteRefs = Set(
            advertised.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) })
        let present = Self.sharedRefs.filter { remoteRefs.contains($0.name) }
        round.remoteHas = Set(present.map(\.name))
        guard !present.isEmpty else { return }
        let refspecs = present.map { "+\($0.name):\(Self.trackingRef(remote: remote, for: $0.name))" }
        try git(["fetch", "--quiet", "--no-tags", remote] + refspecs, operation: "fetch the remote's notes")
        for ref in present {
            let tracking = Self.trackingRef(remote: remote, for: ref.name)
            // Counted before merging: the remote's notes this clone has not, or has differently.
            let ours = Dictionary(
                try repository.notes(ref: ref.name).map { ($0.target, $0.blob) },
                uniquingKeysWith: { a, _ in a })
            for entry in try repository.notes(ref: tracking) {
                if let mine = ours[entry.target] {
                    if mine != entry.blob { round.merged[ref.name, default: []].insert(entry.target) }
                } else {
                    round.fetched[ref.name, default: []].insert(entry.target)
                }
            }
            switch ref.rule {
            case .records:
                try merge(
                    ref.name, from: tracking, into: &summary, conflicts: &round.conflicts,
                    tookRemote: &round.tookRemote)
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
