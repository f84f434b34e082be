import ArgumentParser
import Pipeline

/// `--rev REV | --staged | --worktree`: what a command evaluates.
struct SourceOptions: ParsableArguments {
    @Option(help: "A commit to evaluate (any rev git understands).") var rev: String?
    @Flag(help: "The staged files, as 'git commit' would record them.") var staged = false
    @Flag(help: "The work tree as it is (tracked files).") var worktree = false

    func validate() throws {
        guard [rev != nil, staged, worktree].filter({ $0 }).count <= 1 else {
            throw ValidationError("choose one of --rev, --staged and --worktree")
        }
    }

    /// The chosen source, or `fallback` when none was given.
    func source(default fallback: EvaluationSource) -> EvaluationSource {
        if let rev { return .revision(rev) }
        if staged { return .staged }
        if worktree { return .worktree }
        return fallback
    }
}
