import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate run`: evaluate a commit, the staged files, or the work tree, and judge the gates.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train and test the model on a commit, the staged files or the work tree; judge the gates.",
        discussion: Help.discussion(
            """
            Without --staged or --worktree, evaluates --rev (default HEAD). Evaluations run in an
            isolated checkout: the work tree, index and stash are never touched. A run whose inputs
            (fingerprint) were already evaluated reuses that verdict without training. A commit's
            record is stored as a note under refs/notes/modelgate.

            """))

    @OptionGroup var source: SourceOptions
    @Flag(help: "Run every stage even when a verdict for these inputs is cached.") var force = false
    @Flag(help: "Print the run record as JSON on stdout.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let outcome = try PipelineRunner(
            repository: repository, artifacts: ArtifactStore(repository: repository)
        ).run(
            source.source(default: .revision("HEAD")), force: force, observer: ProgressPrinter())
        try VerdictPrinter(json: json).print(outcome)
    }
}
