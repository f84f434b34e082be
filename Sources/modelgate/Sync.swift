import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate sync [REMOTE]`: exchange run records and release tags with a remote.
struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract:
            "Fetch and push run records (refs/notes/modelgate) and release tags, never dropping a local record.",
        discussion: Help.discussion(
            """
            The remote's notes are fetched into refs/notes/remotes/REMOTE/modelgate and merged. When
            both sides recorded a different run for the same commit, the run that started later
            becomes the note and the other is kept in refs/notes/modelgate-superseded (shared too),
            so no pass or fail is ever lost. The push is never forced. When another clone pushed
            records meanwhile (CI jobs finishing together), sync fetches, merges and pushes again,
            up to 10 rounds with random pauses, then fails with exit 3 (the records stay here).
            Signed records (refs/notes/modelgate-signatures) and deployment records
            (refs/notes/modelgate-deployments) travel the same way, merged by union of their lines.

            """))

    @Argument(help: "The remote (name or URL).") var remote = "origin"
    @Flag(help: "Print what was done as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let summary = try NotesSync(repository: repository, remote: remote).run()
        if json { return try Terminal.printJSON(summary) }
        print(
            "synced records with \(remote): \(summary.received) new from the remote, \(summary.conflicts) merged"
                + (summary.conflicts > 0
                    ? " (\(summary.tookRemote) took the remote's newer run; the others kept in \(NotesSync.supersededRef))"
                    : "")
                + (summary.attempts > 1
                    ? " (pushed on try \(summary.attempts): others pushed meanwhile)" : ""))
        if !summary.pushedTags.isEmpty {
            print("release tags pushed: \(summary.pushedTags.joined(separator: ", "))")
        }
        for warning in summary.warnings { Terminal.printError("warning: \(warning)") }
    }
}
