import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate gc`: removes artifacts that are neither released nor recent.
struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove stored artifacts that are neither released nor among the most recent.",
        discussion: Help.discussion(
            """
            Released artifacts are those named by a release tag's Modelgate-Artifact trailer. Also
            removes the isolated checkouts of runs that were killed (and stops the stage processes
            they left running); every run does that too.
            """))

    @Option(help: "How many of the most recent artifacts to keep besides released ones.") var keep = 10
    @Flag(help: "Only report what would be removed.") var dryRun = false
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        guard keep >= 0 else { throw ValidationError("--keep must be 0 or more") }
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let released = Set(
            try ReleaseBook(repository: repository).releases().compactMap(\.artifact).compactMap {
                Digest($0)
            })
        let result = try ArtifactStore(repository: repository).collectGarbage(
            keeping: released, newest: keep, dryRun: dryRun)
        let abandonedRuns = dryRun ? 0 : AbandonedRuns.sweep(in: repository)
        if json {
            try Terminal.printJSON(result)
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        for digest in result.removed { print("\(verb) \(digest)") }
        if abandonedRuns > 0 { print("removed \(abandonedRuns) checkout(s) of killed runs") }
        print(
            "\(verb) \(result.removed.count) artifact(s), \(result.removedBlobs) blob(s), \(result.freedBytes) bytes; kept \(result.kept.count)"
        )
    }
}
