import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit

/// `modelgate artifact show|verify|export`: the stored outputs of a passing run.
struct Artifact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifact",
        abstract: "Show, verify or export the artifact (model files + manifest.json) of a passing commit.",
        discussion: Help.discussion("REV is any commit git understands, or an artifact digest (sha256:…)."),
        subcommands: [ShowArtifact.self, VerifyArtifact.self, ExportArtifact.self])

    struct ShowArtifact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print an artifact's manifest.")
        @Argument(help: "The commit or artifact digest.") var rev = "HEAD"
        @Flag(help: "Print the manifest as JSON.") var json = false

        func run() throws {
            let repository = try Repository(discoveringFrom: .currentDirectory())
            let located = try ArtifactLocator(repository: repository).locate(rev)
            let manifest = try ArtifactStore(repository: repository).manifest(located.digest)
            if json {
                Terminal.printJSON(data: try manifest.encoded(), terminator: "")
                return
            }
            print("artifact     \(located.digest)")
            if let commit = located.commit { print("commit       \(commit.hex)") }
            print("model        \(manifest.name)")
            print("fingerprint  \(manifest.fingerprint)")
            print("created      \(manifest.created.formatted(.iso8601))")
            print("tool         \(manifest.tool)")
            print(
                "metrics      "
                    + manifest.metrics.keys.sorted().map { "\($0)=\(manifest.metrics[$0]!)" }.joined(
                        separator: " "))
            print("files")
            for file in manifest.files {
                print("  \(file.path)  \(file.size) bytes  sha256:\(file.sha256.prefix(12))")
            }
        }
    }

    struct VerifyArtifact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every file of an artifact; exit 3 naming any corrupt file.")
        @Argument(help: "The commit or artifact digest.") var rev = "HEAD"
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let repository = try Repository(discoveringFrom: .currentDirectory())
            let located = try ArtifactLocator(repository: repository).locate(rev)
            let result = try ArtifactStore(repository: repository).verify(located.digest)
            if json {
                try Terminal.printJSON(result)
            } else if result.isIntact {
                print("ok \(located.digest): \(result.checked) files, \(result.bytes) bytes")
            } else {
                for problem in result.problems { print("corrupt \(problem.path): \(problem.problem)") }
            }
            guard result.isIntact else {
                throw ArtifactError(
                    "the artifact \(located.digest.short) of \(located.subject) is corrupt: "
                        + result.problems.map(\.path).joined(separator: ", "),
                    location: ArtifactStore(repository: repository).root.path,
                    hint: "re-create it with 'modelgate run --rev \(located.commit?.short ?? "REV") --force'")
            }
        }
    }

    struct ExportArtifact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Copy an artifact's files and manifest.json into a directory (verified first).")
        @Argument(help: "The commit or artifact digest.") var rev = "HEAD"
        @Option(help: "The directory to write into (created if needed).") var to: String

        func run() throws {
            let repository = try Repository(discoveringFrom: .currentDirectory())
            let located = try ArtifactLocator(repository: repository).locate(rev)
            let directory = URL(fileURLWithPath: to, relativeTo: .currentDirectory()).standardizedFileURL
            let manifest = try ArtifactStore(repository: repository).export(located.digest, to: directory)
            for file in manifest.files { print(directory.appendingPathComponent(file.path).path) }
            print(directory.appendingPathComponent(ArtifactManifest.fileName).path)
        }
    }
}
