import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline

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

            With --env ENV --at TIME: what served ENV at TIME, the latest deployment recorded by
            'modelgate deployed' at or before it (two in the same second: the one whose note line
            sorts last, byte-wise, the same in every clone); for an environment with no
            deployment records, the latest release tag assigned to ENV at or before TIME. Exit 1
            when nothing served it then. TIME is RFC 3339 or YYYY-MM-DD[ HH:MM[:SS]] in UTC.

            """))

    @Option(help: "Only this environment.") var env: String?
    @Option(help: "With --env: what served the environment at this time.") var at: String?
    @Flag(help: "Print the releases as JSON.") var json = false

    func validate() throws {
        if at != nil, env == nil { throw ValidationError("--at needs --env: what served which environment?") }
    }

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        if let at, let env { return try served(env, at: at, in: repository) }
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

    /// `--env ENV --at TIME`: the deployment (or, with no deployment records for ENV, the release) live then.
    func served(_ env: String, at text: String, in repository: Repository) throws {
        guard let time = DeploymentTime.parse(text) else { throw DeploymentError.badTime(text) }
        let found = try DeploymentLog(repository: repository).all()
        for warning in found.warnings { Terminal.printError("warning: \(warning)") }
        let answer: Served
        if found.deployments.contains(where: { $0.env == env }) {
            guard let period = found.timeline(of: env).first(where: { $0.deployment.at <= time }) else {
                throw DeploymentError.nothingServed(env: env, at: DeploymentTime.rfc3339(time))
            }
            answer = Served(period)
        } else {
            let (releases, unreadable) = try ReleaseBook(repository: repository).releaseListing()
            for tag in unreadable { Terminal.printError("modelgate: \(tag.message)") }
            // Newest first; the first one made at or before TIME served, until the one after it.
            let assigned = releases.filter { $0.environment == env && $0.date != nil }
            guard let index = assigned.firstIndex(where: { ($0.date ?? .distantFuture) <= time }) else {
                throw DeploymentError.nothingServed(env: env, at: DeploymentTime.rfc3339(time))
            }
            answer = Served(assigned[index], env: env, until: index > 0 ? assigned[index - 1].date : nil)
        }
        if json { return try Terminal.printJSON(answer) }
        print(
            "\(answer.commit)  \(env)  from \(answer.from) until \(answer.until ?? "now")"
                + (answer.tag.map { "  \($0)" } ?? "") + (answer.by.map { "  by \($0)" } ?? "")
                + (answer.source == "release" ? "  (release tag; no deployment records for \(env))" : ""))
    }

    /// What served an environment at a time, as `--json` prints it.
    struct Served: Encodable {
        /// `deployment` (a `deployed` record) or `release` (a release tag, for an environment without records).
        var source: String
        var env: String
        var commit: String
        var from: String
        var until: String?
        var by: String?
        var tag: String?
        var image: String?

        init(_ period: DeploymentLog.Period) {
            let deployment = period.deployment
            source = "deployment"
            env = deployment.env
            commit = deployment.commit.hex
            from = DeploymentTime.rfc3339(deployment.at)
            until = period.until.map(DeploymentTime.rfc3339)
            by = deployment.by
            tag = deployment.tag
            image = deployment.image
        }

        init(_ release: Artifacts.Release, env: String, until: Date?) {
            source = "release"
            self.env = env
            commit = release.commit
            from = release.date.map(DeploymentTime.rfc3339) ?? ""
            self.until = until.map(DeploymentTime.rfc3339)
            by = release.tagger
            tag = release.tag
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(source, forKey: .source)
            try container.encode(env, forKey: .env)
            try container.encode(commit, forKey: .commit)
            try container.encode(from, forKey: .from)
            try container.encode(until, forKey: .until)
            try container.encode(by, forKey: .by)
            try container.encode(tag, forKey: .tag)
            try container.encode(image, forKey: .image)
        }

        enum CodingKeys: String, CodingKey { case source, env, commit, from, until, by, tag, image }
    }
}
