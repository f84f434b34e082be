import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate install`: put the hook shims where git runs hooks, keeping any hook already there.
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the pre-commit, post-commit and pre-push hooks, keeping and chaining existing hooks.",
        discussion: Help.discussion(
            """
            Hooks go to the directory git really uses (core.hooksPath, shared by linked worktrees).
            A hook already there is kept as NAME.modelgate-chained and runs first; its exit status
            counts, and 'modelgate uninstall' puts it back byte for byte. Installing again is a
            no-op, and upgrades an older modelgate shim in place. The shims call this binary by its
            absolute path (falling back to PATH) and refuse when it is gone.

            """))

    @Option(help: "Which hooks, comma-separated.") var hooks = HookShims.names.joined(separator: ",")
    @Flag(help: "Install even into a hooks directory that is committed in the repository.") var force = false
    @Flag(help: "Print what was done as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let names = hooks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        let changes = try HookInstaller(repository: repository).install(
            names, binary: Self.executablePath(), force: force)
        if json { return try Terminal.printJSON(changes) }
        let status = try HooksStatus(repository: repository)
        for change in changes {
            print("\(change.name): \(change.detail) (\(change.path))")
        }
        for hook in status.hooks where names.contains(hook.name) && !hook.gitRunsIt {
            print("warning: git will not run \(hook.path): it is not executable")
        }
        for note in status.notes { print("note: \(note)") }
    }

    /// This binary's absolute path, symlinks resolved.
    static func executablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
            .path
    }
}
