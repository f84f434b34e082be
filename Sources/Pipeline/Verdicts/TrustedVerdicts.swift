import Foundation
import GitKit
import Trust

/// `trust:` in modelgate.yml: where only trusted, signed verdicts count.
public struct TrustPolicy: Codable, Sendable, Equatable {
    /// The allowed_signers file, a repository path.
    public var signers: String
    /// `release` in `require`: `deployable` and `release` accept only trusted verdicts.
    public var release = false
    /// `push:GLOB` entries of `require`: branches whose pushes need a trusted verdict.
    public var pushBranches: [String] = []

    /// True when a push to `remoteRef` (`refs/heads/NAME`) needs a trusted verdict.
    public func requires(pushTo remoteRef: String) -> Bool {
        guard remoteRef.hasPrefix("refs/heads/") else { return false }
        let branch = String(remoteRef.dropFirst("refs/heads/".count))
        return pushBranches.contains { fnmatch($0, branch, 0) == 0 }
    }
}

/// Decides whether a commit has a trusted verdict: a signed record (`SignedRecords`) whose
/// signature verifies, whose key the allowed_signers file lists for `modelgate-verdict` and is
/// valid now, and whose fingerprint equals the commit's inputs' fingerprint.
///
/// The trust anchor is never the commit being judged: the policy and the allowed_signers file
/// are read from the tree of `HEAD` (what the person or script running modelgate has checked
/// out and reviewed), so a commit cannot add its own key and vouch for itself. The fingerprint
/// comparison is what lets a record signed on one commit vouch for its squash-merged or rebased
/// twin, and what stops a signed record (or a signature) copied to a commit with other inputs.
/// Signed lines on the commit itself are judged first; other commits' lines only count when they
/// are trusted for the same fingerprint. When nothing is trusted, the most telling refusal is
/// named (a bad signature before a record for other inputs, before an expired or unknown key,
/// before an unsigned note, before no record at all).
public struct TrustedVerdicts {
    /// Why a commit has no trusted verdict, most telling first.
    public enum Refusal: Equatable, Sendable, Codable {
        /// A signed record whose signature does not verify: forged, or edited after signing.
        case badSignature(principal: String)
        /// A trusted signature over a record of other inputs (copied from another commit).
        case otherInputs(recordFingerprint: String)
        /// Signed by a listed key whose validity ended (`valid-before`) or has not begun.
        case expiredKey(principal: String)
        /// Signed by a key the allowed_signers file does not list for `modelgate-verdict`.
        case unknownKey(fingerprint: String)
        /// A record, but no signature.
        case unsigned
        /// No record at all.
        case noRecord

        var rank: Int {
            switch self {
            case .badSignature: 0
            case .otherInputs: 1
            case .expiredKey: 2
            case .unknownKey: 3
            case .unsigned: 4
            case .noRecord: 5
            }
        }

        /// One line for people.
        public var text: String {
            switch self {
            case .badSignature(let principal):
                "bad signature: a record signed as \(principal) was changed after signing, or forged"
            case .otherInputs(let fingerprint):
                "record for other inputs: the signed record is for fingerprint \(fingerprint.prefix(12)), not these inputs"
            case .expiredKey(let principal):
                "expired key: \(principal)'s key is not valid now (allowed_signers)"
            case .unknownKey(let fingerprint): "unknown key: \(fingerprint) is not in the allowed signers"
            case .unsigned: "unsigned: the record has no signature"
            case .noRecord: "no record: no CI verdict yet for these inputs"
            }
        }
    }

    /// A trusted verdict.
    public struct Trusted: Sendable {
        /// The signed record.
        public var record: RunRecord
        /// Its exact bytes.
        public var bytes: [UInt8]
        /// Who signed it (the allowed_signers principals).
        public var principal: String
        /// The key's `SHA256:` fingerprint.
        public var key: String
        /// The commit the signed record hangs on (the commit itself, or a twin).
        public var commit: ObjectID
    }

    /// The outcome for one commit.
    public enum Finding: Sendable {
        /// A trusted verdict for these inputs.
        case trusted(Trusted)
        /// None; why.
        case refused(Refusal)
    }

    let repository: Repository
    let signers: AllowedSigners
    /// The signatures refs read: the local one, and tracking refs of remotes fetched into.
    var refs: [String]

    /// A checker with the allowed signers `signers`, reading `refs`.
    public init(repository: Repository, signers: AllowedSigners, refs: [String] = [SignedRecords.ref]) {
        self.repository = repository
        self.signers = signers
        self.refs = refs
    }

    /// The trust policy and allowed signers of `HEAD`'s tree; nil when its modelgate.yml has
    /// no `trust:` (or there is no HEAD yet). A policy whose signers file is missing or
    /// unreadable is an error naming the file.
    public static func policy(in repository: Repository) throws -> (TrustPolicy, AllowedSigners)? {
        guard let head = try? repository.resolveCommit("HEAD") else { return nil }
        let tree = try EvaluatedTree(.revision(head.hex), in: repository)
        guard
            let data = try tree.contents(
                of: PipelineConfig.fileName, in: repository, atMost: ConfigLoader.maxBytes)
        else { return nil }
        // Every push and `show` asks; a config without the word skips the YAML parse (~1 ms).
        guard data.range(of: Data("trust".utf8)) != nil,
            let policy = try ConfigLoader.parse(data, cachingIn: repository).trust
        else { return nil }
        guard
            let bytes = try tree.contents(
                of: policy.signers, in: repository, atMost: AllowedSigners.maxBytes + 1)
        else {
            throw TrustError(
                .unreadableFile(reason: "trust.signers names \(policy.signers), which HEAD does not have"),
                location: PipelineConfig.fileName)
        }
        return (policy, try AllowedSigners([UInt8](bytes), location: policy.signers))
    }

    /// The fingerprint of `commit`'s inputs (as the pre-push hook computes it); nil when the
    /// commit has no modelgate.yml.
    public static func fingerprint(of commit: ObjectID, in repository: Repository) throws -> String? {
        let tree = try EvaluatedTree(.revision(commit.hex), in: repository)
        guard
            let data = try tree.contents(
                of: PipelineConfig.fileName, in: repository, atMost: ConfigLoader.maxBytes)
        else { return nil }
        let config = try ConfigLoader.parse(data, cachingIn: repository)
        return try PipelineFingerprint(config: config, tree: tree, configFile: PipelineConfig.fileName).digest
    }

    /// Whether `commit`, whose inputs have `fingerprint`, has a trusted verdict.
    public func check(_ commit: ObjectID, fingerprint: String) throws -> Finding {
        var refusal = Refusal.noRecord
        if try repository.noteBlob(on: commit, ref: RecordNotes.ref) != nil { refusal = .unsigned }
        var best: Trusted?
        let store = SignedRecords(repository: repository)
        for ref in refs {
            for entry in try store.entries(on: commit, ref: ref).entries {
                switch judge(entry, fingerprint: fingerprint, on: commit) {
                case .trusted(let trusted): best = Self.later(best, trusted)
                case .refused(let reason): if reason.rank < refusal.rank { refusal = reason }
                }
            }
        }
        if let best { return .trusted(best) }
        // A twin: the same inputs signed on another commit (squash merge, rebase, cherry-pick).
        let needle = Array(fingerprint.utf8)
        for ref in refs {
            for (other, blob) in try store.annotated(ref: ref) where other != commit {
                for entry in try store.entries(inBlob: blob).entries
                where entry.record.firstRange(of: needle) != nil {
                    if case .trusted(let trusted) = judge(entry, fingerprint: fingerprint, on: other) {
                        best = Self.later(best, trusted)
                    }
                }
            }
        }
        if let best { return .trusted(best) }
        return .refused(refusal)
    }

    /// Who vouched for the note on `commit`: "PRINCIPAL, verified" when a trusted signature
    /// covers the note's exact bytes, otherwise why not.
    public func voucher(for commit: ObjectID) throws -> String {
        guard let note = try SignedRecords(repository: repository).noteBytes(on: commit) else {
            return "no record"
        }
        var refusal = Refusal.unsigned
        for ref in refs {
            for entry in try SignedRecords(repository: repository).entries(on: commit, ref: ref).entries
            where entry.record == note {
                switch judge(entry, fingerprint: nil, on: commit) {
                case .trusted(let trusted): return "\(trusted.principal), verified"
                case .refused(let reason): if reason.rank < refusal.rank { refusal = reason }
                }
            }
        }
        // Not signed itself: a trusted record for the same inputs (its twin's) still vouches.
        if refusal == .unsigned, case .success(let record) = RecordDecoder().decode(Data(note)),
            case .trusted(let trusted) = try check(commit, fingerprint: record.fingerprint),
            trusted.record.verdict == record.verdict
        {
            return "\(trusted.principal), verified (signed on \(trusted.commit.short), same inputs)"
        }
        return refusal == .unsigned ? "local, unsigned" : "not trusted (\(refusal.text))"
    }

    /// Judges one signed record; `fingerprint` nil skips the inputs comparison.
    func judge(_ entry: SignedRecords.Entry, fingerprint: String?, on commit: ObjectID) -> Finding {
        let key = entry.signature.publicKey
        let principal: String
        switch signers.standing(of: key, namespace: SSHSignature.verdictNamespace) {
        case .trusted(let name): principal = name
        case .expired(let name, _), .notYetValid(let name, _): return .refused(.expiredKey(principal: name))
        case .otherNamespace, .unknown: return .refused(.unknownKey(fingerprint: key.fingerprint))
        }
        guard (try? entry.signature.verify(entry.record)) != nil,
            case .success(let record) = RecordDecoder().decode(Data(entry.record))
        else { return .refused(.badSignature(principal: principal)) }
        if let fingerprint, record.fingerprint != fingerprint {
            return .refused(.otherInputs(recordFingerprint: record.fingerprint))
        }
        return .trusted(
            Trusted(
                record: record, bytes: entry.record, principal: principal, key: key.fingerprint,
                commit: commit))
    }

    /// Of two trusted verdicts for the same inputs, the later run's.
    private static func later(_ current: Trusted?, _ candidate: Trusted) -> Trusted {
        guard let current else { return candidate }
        return candidate.record.started > current.record.started ? candidate : current
    }
}
