import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit

/// `modelgate releases`: deployments per environment, newest first.
struct Releases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "List releases (release tags and GTO tags) per environment, newest first.",
        discussion: Help.discussion(
            """
            A tag that cannot be read as a release (its object is over 4 MiB, a name or trailer
            is not one line of visible text, its Modelgate-Metrics trailer is not a JSON object of
            finite numbers within the limits of a run record) is skipped and named on stderr with
            the reason.

            """))

    @Option(help: "Only this environment.") var env: String?
    @Flag(help: "Print the releases as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        var (releases, unreadable) = try ReleaseBook(repository: repository).releaseListing()
        if let env { releases = releases.filter { $0.environment == env } }
        // Tags that cannot be read are named on stderr, so stdout (text or JSON) keeps its shape.
        for tag in unreadable { Terminal.printError("modelgate: \(tag.message)") }
        if json {
            try Terminal.printJSON(releases)
            return
        }
        var order: [String] = []
        var groups: [String: [Artifacts.Release]] = [:]
        for release in releases {
            let key = release.environment ?? "(no environment)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(release)
        }
        for key in order.sorted(by: {
            ($0 == "(no environment)" ? 1 : 0, $0) < ($1 == "(no environment)" ? 1 : 0, $1)
        }) {
            print(key)
            for release in groups[key]! {
                let date = release.date.map { $0.formatted(.iso8601) } ?? "-"
                let artifact = release.artifact.map { String($0.prefix(19)) } ?? "-"
                print("  \(release.tag)  \(release.commit.prefix(7))  \(date)  \(artifact)")
            }
        }
    }
}
