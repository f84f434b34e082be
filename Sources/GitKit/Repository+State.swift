import CLibGit2

/// A multi-step git operation that has stopped half way and waits for the user.
public enum RepositoryOperation: String, Sendable, Codable, CaseIterable {
    /// Nothing is in progress.
    case none
    /// `git merge` stopped (conflicts or --no-commit).
    case merge
    /// `git revert` stopped.
    case revert
    /// `git cherry-pick` stopped.
    case cherryPick = "cherry-pick"
    /// `git bisect` is running.
    case bisect
    /// `git rebase` (any flavour) stopped.
    case rebase
    /// `git am` stopped.
    case applyMailbox = "am"
}

extension Repository {
    /// The operation git has in progress here (`git status` mentions it), from `git_repository_state`.
    public var operationInProgress: RepositoryOperation {
        switch git_repository_state_t(UInt32(bitPattern: git_repository_state(handle))) {
        case GIT_REPOSITORY_STATE_MERGE: .merge
        case GIT_REPOSITORY_STATE_REVERT, GIT_REPOSITORY_STATE_REVERT_SEQUENCE: .revert
        case GIT_REPOSITORY_STATE_CHERRYPICK, GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE: .cherryPick
        case GIT_REPOSITORY_STATE_BISECT: .bisect
        case GIT_REPOSITORY_STATE_REBASE, GIT_REPOSITORY_STATE_REBASE_INTERACTIVE,
            GIT_REPOSITORY_STATE_REBASE_MERGE, GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE:
            .rebase
        case GIT_REPOSITORY_STATE_APPLY_MAILBOX: .applyMailbox
        default: .none
        }
    }
}
