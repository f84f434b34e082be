import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate run`: evaluate a commit, the staged files, or the work tree, and judge the gates.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train and test the model on a commit, the staged files or the work tree; judge the gates.",
        discussion: """
            Evaluations run in an isolated checkout: the work tree, index and stash are never touched.
            A run whose inputs (fingerprint) were already evaluated reuses that verdict without
            training. A commit's record is stored as a note under refs/notes/modelgate.

            """ + ExitStatus.contract)

    @Option(help: "The commit to evaluate (default: HEAD).") var rev: String?
    @Flag(help: "Evaluate the staged files, as 'git commit' would record them.") var staged = false
    @Flag(help: "Evaluate the work tree as it is (tracked files), for iterating.") var worktree = false
    @Flag(help: "Run every stage even when a verdict for these inputs is cached.") var force = false
    @Flag(help: "Print the run record as JSON on stdout.") var json = false

    func validate() throws {
        let chosen = [rev != nil, staged, worktree].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("choose one of --rev, --staged and --worktree") }
    }

    func run() throws {
        let source: EvaluationSource = staged ? .staged : worktree ? .worktree : .revision(rev ?? "HEAD")
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let progress = ProgressPrinter()
        let outcome = try PipelineRunner(repository: repository).run(source, force: force, observer: progress)
        try VerdictPrinter(json: json).print(outcome)
    }
}
