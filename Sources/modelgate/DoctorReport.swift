import Diagnostics
import Foundation
import GitKit
import Markdown
import Pipeline

/// The facts `modelgate doctor` prints; its JSON form is a contract for scripts.
struct DoctorReport: Encodable {
    struct Versions: Encodable {
        let modelgate: String
        let libgit2: String
        let cmark: String
    }

    let workTree: String?
    let gitDir: String
    let commonDir: String
    let hooksDir: String
    let hooksPathConfigured: Bool
    let bare: Bool
    let linkedWorktree: Bool
    let config: String?
    let configExists: Bool
    let hooks: [HooksStatus.Hook]
    /// Settings run records need in this clone that are missing (each with the command that adds it).
    let missingSettings: [NotesSetup.Setting]
    let versions: Versions

    init(repository: Repository) throws {
        workTree = repository.workingDirectory?.path
        gitDir = repository.gitDirectory.path
        commonDir = repository.commonDirectory.path
        hooksDir = try repository.hooksDirectory.path
        hooksPathConfigured = try repository.configPath("core.hooksPath") != nil
        bare = repository.isBare
        linkedWorktree = repository.isLinkedWorktree
        let configURL = repository.workingDirectory?.appendingPathComponent("modelgate.yml")
        config = configURL?.path
        configExists = configURL.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
        hooks = try HooksStatus(repository: repository).hooks
        missingSettings = try NotesSetup(repository: repository).missing()
        versions = Versions(
            modelgate: Tool.version, libgit2: GitLibrary.version, cmark: Markdown.libraryVersion)
    }

    /// The report as aligned lines for a terminal.
    var text: String {
        var rows: [(String, String)] = []
        rows.append(("repository", workTree ?? "\(gitDir) (bare: no work tree)"))
        if linkedWorktree { rows.append(("worktree", "linked worktree of \(commonDir)")) }
        rows.append(("git dir", gitDir))
        rows.append(("common dir", commonDir))
        rows.append(("store", commonDir + "/modelgate"))
        rows.append(("hooks dir", hooksDir + (hooksPathConfigured ? " (core.hooksPath)" : "")))
        for hook in hooks {
            let detail: String
            switch hook.state {
            case "missing": detail = "not installed (run 'modelgate install')"
            case "modelgate":
                detail =
                    (hook.gitRunsIt ? "modelgate" : "modelgate, NOT executable: git skips it")
                    + (hook.binary.map {
                        "; " + HooksStatus.binaryState($0, exists: hook.binaryExists == true)
                    }
                        ?? "")
            default: detail = hook.gitRunsIt ? "another tool's hook" : "another tool's hook, not executable"
            }
            rows.append((hook.name, detail))
        }
        if missingSettings.isEmpty {
            rows.append(
                ("records", "travel with 'git fetch' and 'modelgate sync'; kept across amend and rebase"))
        }
        for setting in missingSettings {
            rows.append(
                (
                    "records",
                    "\(setting.key) lacks \(setting.value), so NOT: \(setting.purpose); fix: 'modelgate install' or \(setting.command)"
                ))
        }
        if let config {
            rows.append(("config", configExists ? config : "\(config) missing (run 'modelgate init')"))
        }
        rows.append(("modelgate", versions.modelgate))
        rows.append(("libgit2", versions.libgit2))
        rows.append(("cmark", versions.cmark))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
    }
}
