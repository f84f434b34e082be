import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate deployments [--env ENV]`: every recorded deployment, newest first, with how long it lasted.
struct Deployments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployments",
        abstract: "List recorded deployments, newest first, each from when it went live until the next one.",
        discussion: Help.discussion(
            """
            Reads refs/notes/modelgate-deployments and the remotes' copies a fetch brought. Two
            deployments to one environment in the same second are ordered by their note lines,
            byte-wise (the same order in every clone). A line that cannot be read is skipped and
            named on stderr.

            """))

    @Option(help: "Only this environment.") var env: String?
    @Flag(help: "Print the deployments as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let found = try DeploymentLog(repository: repository).all()
        for warning in found.warnings { Terminal.printError("warning: \(warning)") }
        let periods = found.periods(env: env)
        if json { return try Terminal.printJSON(periods) }
        if periods.isEmpty {
            print("no deployments recorded" + (env.map { " in \($0)" } ?? ""))
            return
        }
        for period in periods {
            let deployment = period.deployment
            let until = period.until.map(DeploymentTime.rfc3339) ?? "live now"
            print(
                "\(deployment.env)  \(deployment.commit.short)  \(DeploymentTime.rfc3339(deployment.at)) → \(until)  \(deployment.by)"
                    + (deployment.tag.map { "  \($0)" } ?? "") + (deployment.image.map { "  \($0)" } ?? ""))
        }
    }
}
