import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate install`: put the hook shims where git runs hooks, keeping any hook already there.
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract:
            "Install the pre-commit, post-commit and pre-push hooks, keeping and chaining existing hooks.",
        discussion: Help.discussion(
            """
            Hooks go to the directory git really uses (core.hooksPath, shared by linked worktrees).
            A hook already there is kept as NAME.modelgate-chained and runs first; its exit status
            counts, and 'modelgate uninstall' puts it back byte for byte. Installing again is a
            no-op, and upgrades an older modelgate shim in place. The shims call this binary by its
            absolute path (falling back to 'modelgate' on PATH) and refuse when both are gone.

            Also sets what a clone needs for run records to travel, when missing (a teammate's
            clone of a repository that already has modelgate.yml): a fetch refspec per remote
            (+refs/notes/modelgate*:refs/notes/remotes/REMOTE/modelgate*: records, signatures and
            deployment records, never forcing a local ref, and never failing a fetch from a remote
            that has none yet; it replaces the refspecs an older modelgate wrote) and
            notes.rewriteRef (records survive amend and rebase). 'modelgate doctor' reports
            any that is missing.

            """))

    @Option(help: "Which hooks, comma-separated.") var hooks = HookShims.names.joined(separator: ",")
    @Flag(help: "Install even into a hooks directory that is committed in the repository.") var force = false
    @Flag(help: "Print what was done as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let names = hooks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        let binary = Self.executablePath()
        let changes = try HookInstaller(repository: repository).install(names, binary: binary, force: force)
        let configured = try NotesSetup(repository: repository).apply()
        if json { return try Terminal.printJSON(changes) }
        let status = try HooksStatus(repository: repository)
        for change in changes {
            print("\(change.name): \(change.detail) (\(change.path))")
        }
        for hook in status.hooks where names.contains(hook.name) && !hook.gitRunsIt {
            print("warning: git will not run \(hook.path): it is not executable")
        }
        for note in status.notes { print("note: \(note)") }
        for setting in configured {
            print("configured \(setting.key) = \(setting.value): \(setting.purpose)")
        }
        if let note = Self.buildTreeNote(binary) { print("note: \(note)") }
    }

    /// A warning when the hooks will call a binary inside a SwiftPM build folder, which
    /// `make clean` deletes and an upgrade does not replace; nil otherwise.
    static func buildTreeNote(_ binary: String) -> String? {
        guard binary.split(separator: "/").contains(where: { $0.hasPrefix(".build") }) else { return nil }
        let fallback =
            HooksStatus.binaryOnPath().map { "'modelgate' on PATH (\($0))" }
            ?? "'modelgate' on PATH, and there is none: the hooks will refuse until one is installed"
        return
            "the hooks call this build (\(binary)); after 'make clean' they use \(fallback). To call the installed binary, run 'make install' and then 'modelgate install' with it"
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
