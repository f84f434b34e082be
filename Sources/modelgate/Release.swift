import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Processes

/// `modelgate release NAME`: an annotated tag on a blessed commit, with trailers.
struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Tag a blessed commit as a release of the model.",
        discussion: Help.discussion(
            """
            Refuses (exit 1, with the reason) a commit whose verdict failed, that was never
            evaluated, whose record is stale (its fingerprint no longer matches the commit's
            inputs), or whose artifact is missing or corrupt. The annotated tag's message ends in
            the trailers Modelgate-Artifact, Modelgate-Fingerprint, Modelgate-Environment (with
            --env), Modelgate-Metrics and Modelgate-Commit ('git interpret-trailers --parse' reads
            them). With --gto, NAME is a version: the tags are MODEL@vX.Y.Z (register) and
            MODEL#ENV#N (assign, with --env), which GTO reads. N is one more than the largest
            counter of MODEL's tag names, counters over 999,999,999 not counting; past that the
            release is refused (exit 2).

            """))

    @Argument(help: "The tag to create, e.g. housing@v1.4.0 (with --gto: the version, e.g. v1.4.0).")
    var name: String?
    @Option(help: "The commit to release.") var rev = "HEAD"
    @Option(help: "The environment deployed to, e.g. production.") var env: String?
    @Option(help: "The tag message's first line.") var message: String?
    @Option(help: "Push the new tag(s) to this remote ('git push REMOTE TAG').") var push: String?
    @Flag(help: "Name the tags in GTO's convention.") var gto = false
    @Option(
        help: ArgumentHelp(
            "Sign the tag(s) with this SSH key ('git tag -s', gpg.format=ssh; 'git tag -v' verifies).",
            valueName: "KEY"))
    var sign: String?
    @Flag(help: "Print the releases created as JSON.") var json = false

    func validate() throws {
        if !gto, name == nil {
            throw ValidationError("give the tag's name (or --gto with a version and/or --env)")
        }
    }

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let commit = try repository.resolveCommit(rev)
        let created = try ReleaseBook(repository: repository).release(
            commit,
            .init(
                name: name, environment: env, message: message, gto: gto,
                signingKey: sign.map(Self.absoluteKey)))
        if json {
            try Terminal.printJSON(created)
        } else {
            for release in created { print(release.tag) }
        }
        if let push {
            // git's own output and prompts go to the user; the hook's GIT_* variables do not.
            var child = ChildProcess("git", ["push", push] + created.map { "refs/tags/\($0.tag)" })
            child.directory = (repository.workingDirectory ?? repository.gitDirectory).path
            child.output = .inherit
            child.error = .inherit
            let ending = try child.run()
            guard ending == .exited(0) else {
                throw ArtifactError(
                    "the release tag(s) were created but 'git push \(push)' failed (\(ending))",
                    location: push,
                    hint: "push them later with 'git push \(push) "
                        + created.map(\.tag).joined(separator: " ") + "'")
            }
        }
    }

    /// git runs at the repository's top, so a key file named relative to here is made absolute.
    static func absoluteKey(_ key: String) -> String {
        key.hasPrefix("key::") || key.hasPrefix("/")
            ? key : FileManager.default.currentDirectoryPath + "/" + key
    }
}
