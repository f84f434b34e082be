import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit

/// `modelgate deployable`: the newest blessed commit of a branch.
struct Deployable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployable",
        abstract: "Print the newest commit on a branch's first-parent history that may be released.",
        discussion: Help.discussion(
            """
            A commit may be released when its verdict passed, its record is not stale and its
            artifact verifies; a commit whose note is not a readable run record is skipped with
            the reason. Exit status 1 when no commit qualifies.

            """))

    @Option(help: "The branch (default: the current branch, or HEAD when detached).") var branch: String?
    @Flag(help: "Print the commit and the reasons newer commits were passed over, as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let start = branch.map { "refs/heads/\($0)" } ?? "HEAD"
        let tip: ObjectID
        do {
            tip = try repository.resolveCommit(start)
        } catch let error as GitError where branch != nil {
            throw ArtifactError(
                "there is no branch '\(branch!)'", location: branch, hint: error.hint, exitStatus: .badInput)
        }
        let (found, skipped) = try ReleaseBook(repository: repository).deployable(from: tip)
        if json {
            var object: [String: Any] = [
                "skipped": skipped.map { ["commit": $0.commit.hex, "reason": $0.refusal ?? ""] }
            ]
            if let found {
                object["commit"] = found.commit.hex
                object["artifact"] = found.artifact?.description
                object["fingerprint"] = found.record?.fingerprint
                object["metrics"] = found.record?.metrics
            } else {
                object["commit"] = NSNull()
            }
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            Terminal.printJSON(data: data)
        } else if let found {
            print(found.commit.hex)
        }
        for commit in skipped where !json {
            Terminal.printError("skipped \(commit.commit.short): \(commit.refusal ?? "")")
        }
        guard found != nil else {
            throw ArtifactError(
                "no deployable commit on \(branch ?? "HEAD")'s first-parent history",
                location: branch ?? "HEAD",
                hint: "run 'modelgate run' on a commit that passes its gates", exitStatus: .refused)
        }
    }
}
