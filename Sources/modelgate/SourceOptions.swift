import ArgumentParser
import Pipeline

/// `--rev REV | --staged | --worktree`: what a command evaluates.
struct SourceOptions: ParsableArguments {
    @Option(help: "A commit to evaluate (any rev git understands).") var rev: String?
    @Flag(help: "The staged files, as 'git commit' would record them.") var staged = false
    @Flag(help: "The work tree as it is (tracked files).") var worktree = false
    @Flag(help: "With --staged: as 'git commit --amend' would record them (baselines from HEAD's parent).")
    var amend = false

    func validate() throws {
        guard [rev != nil, staged, worktree].filter({ $0 }).count <= 1 else {
            throw ValidationError("choose one of --rev, --staged and --worktree")
        }
        guard !amend || staged else { throw ValidationError("--amend goes with --staged") }
    }

    /// The chosen source, or `fallback` when none was given.
    func source(default fallback: EvaluationSource) -> EvaluationSource {
        if let rev { return .revision(rev) }
        if staged { return amend ? .amend : .staged }
        if worktree { return .worktree }
        return fallback
    }
}
