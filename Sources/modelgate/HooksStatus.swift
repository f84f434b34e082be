import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate hooks`: where the hooks are and whether git will run them.
struct Hooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Show where the hooks are, which are modelgate's, and whether git will run them.",
        discussion: Help.discussion())

    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let status = try HooksStatus(repository: repository)
        if json { return try Terminal.printJSON(status) }
        print(status.text)
    }
}
