import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate status`: which stages would run, and what changed since the last record.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which stages' inputs changed since the last record, and whether a run would train.",
        discussion: Help.discussion(
            """
            Looks at the work tree unless --rev or --staged is given. Reads no data: tracked files
            are compared by their git ids. Notes that are not readable run records are passed over
            and named (in --json, under "unreadable").

            """
        ))

    @OptionGroup var source: SourceOptions
    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let status = try PipelineInspector(repository: repository).status(
            of: source.source(default: .worktree))
        if json { return try Terminal.printJSON(status) }
        for note in status.unreadable {
            print("the run record of \(note.commit.prefix(7)) is unreadable (\(note.reason)); passed over")
        }
        print(
            "\(status.subject), compared with \(status.comparedWith.map { "the record of \($0)" } ?? (status.unreadable.isEmpty ? "no record (nothing evaluated yet)" : "no readable record")):"
        )
        let names = status.stages.map { TerminalText.cell($0.name, limit: RunReport.nameWidth) }
        let width = names.map(\.count).max() ?? 0
        for (stage, name) in zip(status.stages, names) {
            let name = name.padding(toLength: width, withPad: " ", startingAt: 0)
            if !stage.changed {
                print("  \(name)  unchanged")
            } else if stage.changedFiles.isEmpty {
                print("  \(name)  changed: its definition, an earlier stage, or the modelgate version")
            } else {
                print("  \(name)  changed: \(HookReport.list(stage.changedFiles, limit: 20))")
            }
        }
        print(
            status.cached
                ? "a verdict for these inputs is cached: 'modelgate run' trains nothing"
                : "no verdict for these inputs: 'modelgate run' would run \(status.stages.count) stage(s)")
    }
}
