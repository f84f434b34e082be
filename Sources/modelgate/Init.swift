import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate init`: write modelgate.yml and set up notes.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented modelgate.yml and set up sharing of run records.",
        discussion: Help.discussion(
            """
            Suggests a built-in stage for the CSV files it finds: logistic regression when the
            target column holds text or a few whole numbers (gates on accuracy, f1, roc_auc), else
            linear regression (gates on r2), with a comment on the smallest accuracy drop the test
            set can detect. For every remote, adds a fetch
            refspec (+refs/notes/modelgate*:refs/notes/remotes/REMOTE/modelgate*) that brings the
            remote's records, signatures and deployment records into refs/notes/remotes/REMOTE/ (your
            own notes are never overwritten; a pattern, so a remote without any does not fail a
            fetch), replacing the refspecs an older modelgate wrote, and sets notes.rewriteRef so
            amend and rebase keep records.

            """))

    @Flag(help: "Replace an existing modelgate.yml.") var force = false
    @Flag(help: "Print what was done as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let summary = try ProjectInitializer(repository: repository).initialize(force: force)
        if json { return try Terminal.printJSON(summary) }
        print(
            "wrote \(summary.config)"
                + (summary.detectedData.isEmpty
                    ? "" : " (using \(summary.detectedData.prefix(2).joined(separator: ", ")))"))
        for line in summary.configured { print("set \(line)") }
        print("next: review \(summary.config), commit it, then 'modelgate run'")
    }
}
