import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate deployed --env ENV [--rev R | TAG]`: records that a commit went live in an environment.
struct Deployed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployed",
        abstract:
            "Record that a commit went live in an environment (what a CD script calls after a rollout).",
        discussion: Help.discussion(
            """
            Appends one JSON line {"at","by","commit","env","image","tag"} to the note on the
            deployed commit in refs/notes/modelgate-deployments ('modelgate sync' shares it, and
            'git fetch' brings a remote's into refs/notes/remotes/REMOTE/modelgate-deployments).
            A release TAG is resolved to its commit and recorded as the tag. --at takes RFC 3339
            (2026-12-03T15:04:05Z, or with an offset) or YYYY-MM-DD[ HH:MM[:SS]] in UTC, whole
            seconds; a time more than a minute ahead is refused. Refuses (exit 1) a commit whose
            verdict is not a current pass unless --force; when trust.require has 'release', a
            trusted signed verdict is required as for 'release', --force or not.

            """))

    @Argument(help: "A release tag to record as deployed (instead of --rev).") var tag: String?
    @Option(help: "The environment it went live in, e.g. production.") var env: String
    @Option(help: "The commit deployed (default HEAD).") var rev: String?
    @Option(help: "When it went live (default now), UTC.") var at: String?
    @Option(help: "Who deployed it (default git's user.email).") var by: String?
    @Option(help: ArgumentHelp("The image deployed, by digest.", valueName: "REF@sha256:DIGEST"))
    var image: String?
    @Flag(help: "Record it even without a passing verdict (the trust policy still applies).") var force =
        false
    @Flag(help: "Print the recorded deployment as JSON.") var json = false

    func validate() throws {
        if tag != nil, rev != nil { throw ValidationError("give a release TAG or --rev, not both") }
    }

    func run() throws {
        if let problem = DeploymentRules.environmentProblem(env) {
            throw DeploymentError.badEnvironment(problem)
        }
        let now = Date()
        let time = try at.map { try Self.time($0, now: now) } ?? now
        if let image, let problem = DeploymentRules.imageProblem(image) {
            throw DeploymentError.badField(problem)
        }
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let deployer = try by ?? Self.identity(in: repository)
        if let problem = DeploymentRules.fieldProblem(deployer, "the deployer (--by)") {
            throw DeploymentError.badField(problem)
        }
        let commit: ObjectID
        if let tag {
            switch try ReleaseTag.read(named: tag, in: repository) {
            case .success(let release)? where release.isRelease: commit = release.commit
            case .success?:
                throw DeploymentError.notARelease(tag: tag, reason: "it has no Modelgate trailers")
            case .failure(let unreadable)?:
                throw DeploymentError.notARelease(tag: tag, reason: unreadable.reason)
            case nil: throw DeploymentError.notARelease(tag: tag, reason: "there is no such tag")
            }
        } else {
            commit = try repository.resolveCommit(rev ?? "HEAD")
        }
        let assessment = try ReleaseBook(repository: repository).assessVerdict(commit, verdictOptional: force)
        if let refusal = assessment.refusal {
            throw DeploymentError.refused(commit: commit.short, reason: refusal, hint: assessment.hint)
        }
        let deployment = Deployment(env: env, at: time, by: deployer, tag: tag, image: image, commit: commit)
        let recorded = try DeploymentLog(repository: repository).record(deployment)
        if recorded.droppedLines > 0 {
            Terminal.printError(
                "warning: the deployment note on \(commit.short) had \(recorded.droppedLines) line(s) that were not UTF-8 text; they were left out"
            )
        }
        if json { return try Terminal.printJSON(deployment) }
        print(
            "\(recorded.added ? "recorded" : "already recorded"): \(commit.short) live in \(env) since \(DeploymentTime.rfc3339(deployment.at)) by \(deployer)"
                + (tag.map { " (\($0))" } ?? ""))
    }

    /// `text` as a time, refused when it is not one or more than a minute after `now`.
    static func time(_ text: String, now: Date) throws -> Date {
        guard let date = DeploymentTime.parse(text) else { throw DeploymentError.badTime(text) }
        guard date <= now.addingTimeInterval(60) else {
            throw DeploymentError.futureTime(DeploymentTime.rfc3339(date))
        }
        return date
    }

    /// git's user.email: who is deploying when --by is not given.
    static func identity(in repository: Repository) throws -> String {
        guard let email = try repository.configString("user.email"), !email.isEmpty else {
            throw DeploymentError.noIdentity
        }
        return email
    }
}
