import Foundation
import GitKit
import Trust

/// The pre-push rule for branches named in `trust.require` (`push:GLOB`): the tip is accepted
/// only with a trusted passing verdict for its inputs; nothing is trained.
///
/// The policy and allowed_signers come from `HEAD`'s tree (`TrustedVerdicts.policy`). Local
/// signed records are consulted first, so a tip CI already vouched for (after `modelgate sync`)
/// costs no network; otherwise the remote's signed records are fetched into the tracking ref
/// `refs/notes/remotes/REMOTE/modelgate-signatures` only (never into a local ref, so a remote
/// cannot change what this clone holds) and consulted with the local ones. A forged or
/// tampered record is never trusted and is named in the refusal.
struct PushTrustCheck {
    let repository: Repository
    let remote: String
    let policy: TrustPolicy
    let signers: AllowedSigners

    /// The check for pushes from `repository`, or nil when no branch needs a trusted verdict.
    static func load(repository: Repository, remote: String) throws -> PushTrustCheck? {
        guard let (policy, signers) = try TrustedVerdicts.policy(in: repository), !policy.pushBranches.isEmpty
        else { return nil }
        return PushTrustCheck(repository: repository, remote: remote, policy: policy, signers: signers)
    }

    /// True when one of the tip's remote refs is a branch the policy names.
    func applies(to tip: PrePushCheck.TipResult) -> Bool {
        tip.refs.contains(where: policy.requires(pushTo:))
    }

    /// Judges `tip` by trusted verdicts alone.
    func judge(_ tip: PrePushCheck.TipResult) throws -> PrePushCheck.TipResult {
        var tip = tip
        guard let fingerprint = try TrustedVerdicts.fingerprint(of: tip.commit, in: repository) else {
            tip.untrusted =
                "no \(PipelineConfig.fileName) in \(tip.commit.short), so no verdict can vouch for it"
            return tip
        }
        var verdicts = TrustedVerdicts(repository: repository, signers: signers)
        var finding = try verdicts.check(tip.commit, fingerprint: fingerprint)
        if case .refused = finding, try fetchRemoteSignatures() {
            verdicts.refs.append(trackingRef)
            finding = try verdicts.check(tip.commit, fingerprint: fingerprint)
        }
        switch finding {
        case .trusted(let trusted):
            tip.outcome = PipelineRunner.Outcome(
                record: trusted.record, reused: true, subject: tip.commit.short)
            tip.origin = "signed"
            tip.signer = trusted.principal
        case .refused(.noRecord), .refused(.unsigned):
            tip.untrusted =
                "no CI verdict yet for these inputs — push a branch and let CI run, then `modelgate sync`"
        case .refused(let refusal):
            tip.untrusted = "refused: \(refusal.text)"
        }
        return tip
    }

    var trackingRef: String { NotesSync.trackingRef(remote: remote, for: SignedRecords.ref) }

    /// Fetches the remote's signed records into the tracking ref; false when it has none or
    /// cannot be reached (then only local records count, and the refusal says what is missing).
    private func fetchRemoteSignatures() throws -> Bool {
        let result = try NotesSync(repository: repository, remote: remote).gitResult(
            [
                "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote,
                "+\(SignedRecords.ref):\(trackingRef)",
            ])
        return result.status == 0
    }
}
