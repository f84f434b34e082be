import Diagnostics

/// Why a deployment could not be recorded or a question about deployments not answered.
public enum DeploymentError: UserFacingError, Equatable {
    /// The environment name breaks a rule (`DeploymentRules.environmentProblem`).
    case badEnvironment(String)
    /// A time that is neither RFC 3339 nor `YYYY-MM-DD[ HH:MM[:SS]]`.
    case badTime(String)
    /// A deployment time more than a minute in the future.
    case futureTime(String)
    /// `--by` or `--image` breaks a rule; the problem in words.
    case badField(String)
    /// No `--by` and no git identity to default to.
    case noIdentity
    /// The TAG given is not a release tag (or cannot be read as one).
    case notARelease(tag: String, reason: String)
    /// The commit's deployment note is full (over the note limits).
    case noteFull(commit: String, bytes: Int)
    /// The commit may not be recorded as deployed: its verdict's refusal and what to do.
    case refused(commit: String, reason: String, hint: String?)
    /// Nothing was deployed to `env` at or before `at` (and no release tag of it either).
    case nothingServed(env: String, at: String)

    /// What went wrong, in one line.
    public var summary: String {
        switch self {
        case .badEnvironment(let problem): "not a valid environment: \(problem)"
        case .badTime(let text):
            "'\(TerminalText.cell(text, limit: 60))' is not a time (RFC 3339 or YYYY-MM-DD[ HH:MM[:SS]], UTC)"
        case .futureTime(let text): "\(text) is in the future; a deployment is recorded after it happened"
        case .badField(let problem): problem
        case .noIdentity: "no one to record as the deployer: --by is not given and git has no user.email"
        case .notARelease(let tag, let reason):
            "'\(TerminalText.cell(tag, limit: 60))' is not a release tag: \(reason)"
        case .noteFull(let commit, let bytes):
            "the deployment note on \(commit) is full (\(bytes) bytes); no more deployments can be added to it"
        case .refused(let commit, let reason, _): "not recorded: \(commit) is not deployable: \(reason)"
        case .nothingServed(let env, let at): "nothing was deployed to \(env) at or before \(at)"
        }
    }

    /// Where.
    public var location: String? {
        switch self {
        case .refused(let commit, _, _), .noteFull(let commit, _): commit
        case .notARelease(let tag, _): TerminalText.cell(tag, limit: 60)
        default: nil
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .badEnvironment: "use a name like production or staging (no whitespace, one line)"
        case .badTime: "e.g. --at 2026-12-03T15:04:05Z or --at '2026-12-03 15:04'"
        case .futureTime: "leave out --at to record now"
        case .badField:
            "--image takes a digest reference, e.g. registry.example/housing@sha256:<64 hex digits>"
        case .noIdentity: "pass --by you@example.com, or set 'git config user.email'"
        case .notARelease: "give a tag made by 'modelgate release', or the commit with --rev"
        case .noteFull: "this commit's deployments are kept as they are; nothing was changed"
        case .refused(_, _, let hint): hint
        case .nothingServed: "'modelgate deployments --env ENV' lists every deployment"
        }
    }

    /// Refusals and empty answers are exit 1, a full note is exit 3, the rest bad input.
    public var exitStatus: ExitStatus {
        switch self {
        case .refused, .nothingServed: .refused
        case .noteFull: .failure
        default: .badInput
        }
    }
}
