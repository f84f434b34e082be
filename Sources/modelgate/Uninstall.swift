import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate uninstall`: remove the shims and put back the hooks they replaced.
struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove modelgate's hooks and restore the hooks they replaced, byte for byte.",
        discussion: Help.discussion())

    @Option(help: "Which hooks, comma-separated.") var hooks = HookShims.names.joined(separator: ",")
    @Flag(help: "Print what was done as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let names = hooks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        let changes = try HookInstaller(repository: repository).uninstall(names)
        if json { return try Terminal.printJSON(changes) }
        for change in changes { print("\(change.name): \(change.detail) (\(change.path))") }
    }
}
