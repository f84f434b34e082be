import Diagnostics

/// Why signing, attaching or verifying a verdict could not be done.
public enum VerdictError: UserFacingError, Equatable {
    /// `commit` (short id) has no record note to sign or print.
    case noRecordToSign(commit: String)
    /// `commit` has a record, but no signature (for `show --signature`).
    case unsigned(commit: String)
    /// `--sign` with `--staged` or `--worktree`: only a commit's record is signed.
    case signNeedsCommit
    /// The commit has no trusted verdict (`verify`, a trust-requiring release); `refusal` says why.
    case untrusted(commit: String, TrustedVerdicts.Refusal)

    /// What went wrong, in one line.
    public var summary: String {
        switch self {
        case .noRecordToSign(let commit): "\(commit) has no run record (no note in refs/notes/modelgate)"
        case .unsigned(let commit): "the record of \(commit) has no signature"
        case .signNeedsCommit: "--sign signs a commit's record; --staged and --worktree runs have none"
        case .untrusted(let commit, let refusal): "\(commit) has no trusted verdict: \(refusal.text)"
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .noRecordToSign(let commit): "run 'modelgate run --rev \(commit)' first"
        case .unsigned(let commit): "sign it: 'modelgate sign \(commit) --key KEY'"
        case .signNeedsCommit: "run 'modelgate run --rev REV --sign KEY'"
        case .untrusted:
            "push a branch and let CI run, then 'modelgate sync'; 'modelgate verify REV' says the same"
        }
    }

    /// Refusals are exit 1; asking for what does not exist is bad input.
    public var exitStatus: ExitStatus {
        switch self {
        case .untrusted: .refused
        case .noRecordToSign, .unsigned, .signNeedsCommit: .badInput
        }
    }
}
