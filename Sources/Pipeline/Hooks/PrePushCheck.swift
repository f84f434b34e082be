import Diagnostics
import Foundation
import GitKit

/// What `modelgate hook pre-push REMOTE URL` does: every pushed tip that carries new commits
/// needs a passing verdict for its tree.
///
/// git writes one line per ref to the hook's stdin: `<local ref> <local id> <remote ref> <remote id>`.
/// Deletions (local id all zeros) and refs whose commits the remote already has are skipped; tips
/// shared by several refs are judged once. A recorded verdict for the tip's exact inputs (a note,
/// or the local run cache) is reused at once; otherwise the pipeline runs in an isolated checkout.
public struct PrePushCheck {
    /// One line of the hook's stdin.
    public struct PushedRef: Equatable, Sendable {
        /// The local ref being pushed ("refs/heads/main", "refs/tags/v1", "(delete)").
        public var localRef: String
        /// What is pushed (all zeros for a deletion).
        public var localID: ObjectID
        /// The ref it updates on the remote.
        public var remoteRef: String
        /// What the remote has now (all zeros for a new ref).
        public var remoteID: ObjectID
    }

    /// What happened to one pushed tip.
    public struct TipResult {
        /// The commit the refs point at (tags peeled).
        public var commit: ObjectID
        /// The remote refs being set to it.
        public var refs: [String]
        /// Why nothing was checked, when nothing was.
        public var skipped: String?
        /// The verdict, when one was needed.
        public var outcome: PipelineRunner.Outcome?
        /// "note" (a recorded verdict), "cache" (same inputs run before), "run", or "signed" (a
        /// trusted signed verdict, for branches in `trust.require`).
        public var origin: String?
        /// Who signed the trusted verdict (origin "signed").
        public var signer: String?
        /// Why a branch in `trust.require` has no trusted verdict; the push is refused.
        public var untrusted: String?
        /// Input files that changed since the baseline (or the remote's commit).
        public var changed: [String]
        /// What the remote had for the first ref (nil for a new ref).
        var remoteBase: ObjectID?
    }

    /// Reasons for not judging a ref that need no message.
    public static let routineSkips: Set<String> = ["deleted", "not a commit", "no new commits"]

    let repository: Repository
    let remote: String
    let artifacts: ArtifactSink?

    /// Makes a check of a push to `remote` (a remote's name or a URL) from `repository`; passing
    /// runs' outputs go to `artifacts`.
    public init(repository: Repository, remote: String, artifacts: ArtifactSink? = nil) {
        self.repository = repository
        self.remote = remote
        self.artifacts = artifacts
    }

    /// Parses the hook's stdin; blank lines are ignored, malformed ones are bad input.
    ///
    /// Lines and fields are split on the bytes git writes (LF, a CR before it tolerated, and
    /// spaces), not on Characters: ref names may hold any other byte, including Unicode line
    /// separators and combining marks that would otherwise break a line or join a field.
    public static func parse(_ input: String) throws -> [PushedRef] {
        try input.utf8.split(separator: UInt8(ascii: "\n")).compactMap { bytes in
            let line = bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes
            let fields = line.split(separator: UInt8(ascii: " ")).map { String(Substring($0)) }
            if fields.isEmpty { return nil }
            guard fields.count == 4, let local = ObjectID(hex: fields[1]),
                let remote = ObjectID(hex: fields[3])
            else {
                throw HookError(
                    "pre-push got a line it cannot read: '\(Substring(line))'", location: "stdin",
                    hint:
                        "git sends '<local ref> <local sha> <remote ref> <remote sha>'; is the hook called by git?"
                )
            }
            return PushedRef(localRef: fields[0], localID: local, remoteRef: fields[2], remoteID: remote)
        }
    }

    /// Judges every pushed tip, running the pipeline where no verdict is recorded.
    public func run(_ refs: [PushedRef], observer: RunObserver? = nil) throws -> [TipResult] {
        var order: [ObjectID] = []
        var byCommit: [ObjectID: TipResult] = [:]
        var skipped: [TipResult] = []
        let tracking = try repository.references(withPrefix: "refs/remotes/\(remote)/").map(\.id)
        for ref in refs {
            if ref.localID.isZero {
                skipped.append(
                    TipResult(commit: ref.remoteID, refs: [ref.remoteRef], skipped: "deleted", changed: []))
                continue
            }
            guard let commit = try? repository.resolveCommit(ref.localID.hex) else {
                skipped.append(
                    TipResult(
                        commit: ref.localID, refs: [ref.remoteRef], skipped: "not a commit", changed: []))
                continue
            }
            if var existing = byCommit[commit] {
                existing.refs.append(ref.remoteRef)
                byCommit[commit] = existing
                continue
            }
            // A branch gets a verdict for its new tip unless the remote branch already has it:
            // commits the remote holds under another name (a branch pushed with --no-verify) do
            // not vouch for this one. Tags and other refs of commits the remote has are let through.
            let isBranch = ref.remoteRef.hasPrefix("refs/heads/")
            let new = try repository.commits(
                reachableFrom: commit, excluding: [ref.remoteID] + (isBranch ? [] : tracking))
            if new.isEmpty {
                skipped.append(
                    TipResult(commit: commit, refs: [ref.remoteRef], skipped: "no new commits", changed: []))
                continue
            }
            order.append(commit)
            byCommit[commit] = TipResult(
                commit: commit, refs: [ref.remoteRef], changed: [],
                remoteBase: ref.remoteID.isZero ? nil : ref.remoteID)
        }
        var results = skipped
        // Branches in `trust.require` take trusted verdicts only (PushTrustCheck); others as before.
        let trust = order.isEmpty ? nil : try PushTrustCheck.load(repository: repository, remote: remote)
        for commit in order {
            guard let tip = byCommit[commit] else { continue }
            if let trust, trust.applies(to: tip) {
                results.append(try trust.judge(tip))
            } else {
                results.append(try judge(tip, observer: observer))
            }
        }
        return results
    }

    /// Finds or produces the verdict for one tip.
    func judge(_ tip: TipResult, observer: RunObserver?) throws -> TipResult {
        var tip = tip
        let tree = try EvaluatedTree(.revision(tip.commit.hex), in: repository)
        guard
            let data = try tree.contents(
                of: PipelineConfig.fileName, in: repository, atMost: ConfigLoader.maxBytes)
        else {
            tip.skipped = "no \(PipelineConfig.fileName) in \(tip.commit.short)"
            return tip
        }
        let config = try ConfigLoader.parse(data, cachingIn: repository)
        if config.hooks.prePush == .off {
            tip.skipped = "hooks.pre-push is off"
            return tip
        }
        let fingerprint = try PipelineFingerprint(
            config: config, tree: tree, configFile: PipelineConfig.fileName)
        let note = try RecordNotes(repository: repository).read(on: tip.commit)
        let store = RunStore(repository: repository)
        if let recorded = note?.record, recorded.fingerprint == fingerprint.digest, recorded.verdict != .error
        {
            tip.outcome = PipelineRunner.Outcome(record: recorded, reused: true, subject: tip.commit.short)
            tip.origin = "note"
        } else {
            if let stage = config.stages.first(where: \.runsOnCI),
                store.cachedRecord(for: fingerprint.digest) == nil
            {
                tip.skipped = "stage '\(stage.name)' has runs_on: ci; its verdict comes from CI"
                return tip
            }
            // An unreadable note is no verdict: the tip is judged afresh, as one without a note.
            if let unreadable = note?.unreadable {
                observer?.notice(
                    "the recorded verdict of \(tip.commit.short) is unreadable (\(unreadable.reason)); evaluating it afresh"
                )
            }
            let outcome = try PipelineRunner(repository: repository, artifacts: artifacts).run(
                .revision(tip.commit.hex), observer: observer)
            tip.outcome = PipelineRunner.Outcome(
                record: outcome.record, reused: outcome.reused, subject: tip.commit.short)
            tip.origin = outcome.reused ? "cache" : "run"
        }
        if let record = tip.outcome?.record, record.verdict != .pass {
            let parent = try repository.commit(tip.commit).parentIDs.first
            let base = record.baseline?.commit.flatMap(ObjectID.init(hex:)) ?? tip.remoteBase ?? parent
            let inputs = Set(record.inputs.keys).union([PipelineConfig.fileName])
            tip.changed = try repository.diff(from: base, to: tip.commit).map(\.path).filter(inputs.contains)
        }
        return tip
    }
}
