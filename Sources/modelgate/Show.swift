import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate show [REV]`: the run record of a commit.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the run record of a commit (default HEAD).",
        discussion: Help.discussion(
            """
            Exit status 1 when the record's verdict is not pass, 2 when the commit has no record or
            its note is not a readable run record (with --json, {"commit": ..., "unreadable": REASON}
            is printed then).

            """))

    @Argument(help: "The commit.") var rev = "HEAD"
    @Flag(help: "Print the record as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let commit = try repository.resolveCommit(rev)
        // The note, or for a commit the pre-commit hook passed, the verdict of its inputs.
        let found: RunRecord?
        do {
            found = try PipelineInspector(repository: repository).record(for: .revision(commit.hex))
        } catch RecordError.unreadable(let unreadable) {
            if json { try Terminal.printJSON(unreadable) }
            throw RecordError.unreadable(unreadable)
        }
        guard let record = found else {
            throw GitError(
                operation: "show the record of \(rev)",
                message: "\(rev) (\(commit.short)) has not been evaluated",
                hint: "run 'modelgate run --rev \(commit.short)'", exitStatus: .badInput)
        }
        try VerdictPrinter(json: json).print(
            PipelineRunner.Outcome(record: record, reused: false, subject: "\(rev) (\(commit.short))"))
    }
}
