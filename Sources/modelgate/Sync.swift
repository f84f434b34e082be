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

            It prints, per notes ref, how many notes it fetched (on commits without one here),
            merged (both sides had a different note) and pushed (new or changed on the remote),
            or "already up to date"; then the release tags it pushed (those the remote did not
            have) and fetched. --json prints the same as an object ('refs', 'pushedTags',
            'fetchedTags', …).

            """))

    @Argument(help: "The remote (name or URL).") var remote = "origin"
    @Flag(help: "Print what was done as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let summary = try NotesSync(repository: repository, remote: remote).run()
        if json { return try Terminal.printJSON(summary) }
        print(
            "synced with \(remote)"
                + (summary.attempts > 1
                    ? " (pushed on try \(summary.attempts): others pushed meanwhile)" : ""))
        let labels = summary.refs.map(\.label) + ["release tags"]
        let width = labels.map(\.count).max() ?? 0
        func line(_ label: String, _ text: String) {
            print("  \(label):" + String(repeating: " ", count: width - label.count) + " \(text)")
        }
        for ref in summary.refs { line(ref.label, Self.describe(ref)) }
        if summary.conflicts > 0 {
            print(
                "  \(summary.conflicts) record(s) differed: \(summary.tookRemote) took the remote's newer run; every run that lost is kept in \(NotesSync.supersededRef)"
            )
        }
        let tags = [("pushed", summary.pushedTags), ("fetched", summary.fetchedTags)].filter { !$0.1.isEmpty }
        line(
            "release tags",
            tags.isEmpty
                ? "already up to date"
                : tags.map { "\($0.0) \($0.1.joined(separator: ", "))" }.joined(separator: "; "))
        for warning in summary.warnings { Terminal.printError("warning: \(warning)") }
    }

    /// "2 fetched, 1 merged, 3 pushed (12 notes)", "already up to date (12 notes)", "none".
    static func describe(_ ref: NotesSync.RefSummary) -> String {
        let count = "\(ref.notes) note\(ref.notes == 1 ? "" : "s")"
        if ref.upToDate { return ref.notes == 0 ? "none" : "already up to date (\(count))" }
        let parts = [(ref.fetched, "fetched"), (ref.merged, "merged"), (ref.pushed, "pushed")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return parts.joined(separator: ", ") + " (\(count))"
    }
}
