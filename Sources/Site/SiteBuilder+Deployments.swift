import Foundation
import GitKit
import Pipeline

/// The site's deployment views, from `DeploymentLog` (read once, in `SiteBuilder.init`, before
/// pages render on several threads): the commit page's "Deployed" section, the index's "Live
/// now", one timeline page per environment (`env/<slug>.html`), markers on the charts, and
/// `history.json`'s `deployments`. Every page that shows a deployment has it in its key, so a
/// deployment recorded later re-renders exactly those pages.
extension SiteBuilder {
    /// Every deployment period by deployed commit, newest first, and every environment's periods.
    struct DeploymentViews {
        /// All deployments read (warnings are `modelgate deployments`'s to print).
        var found = DeploymentLog.Found()
        /// The periods of each commit, newest first.
        var byCommit: [ObjectID: [DeploymentLog.Period]] = [:]
        /// Each environment's periods, newest first.
        var byEnvironment: [String: [DeploymentLog.Period]] = [:]

        init(_ found: DeploymentLog.Found) {
            self.found = found
            for env in found.environments {
                let periods = found.timeline(of: env)
                byEnvironment[env] = periods
                for period in periods { byCommit[period.deployment.commit, default: []].append(period) }
            }
            for (commit, periods) in byCommit {
                byCommit[commit] = periods.sorted { Deployment.happenedBefore($1.deployment, $0.deployment) }
            }
        }

        init() {}
    }

    /// The deployments of `repository`; none when they cannot be read (the site still builds).
    static func readDeployments(in repository: Repository) -> DeploymentViews {
        guard let found = try? DeploymentLog(repository: repository).all() else { return DeploymentViews() }
        return DeploymentViews(found)
    }

    /// The timeline page of environment `env`.
    func environmentHref(_ env: String) -> String { "env/\(Slug.make(env)).html" }

    /// What a period adds to a page key: its event and its end.
    func periodKey(_ period: DeploymentLog.Period) -> String {
        period.deployment.line + "|" + (period.until.map(Format.isoDate) ?? "live")
    }

    /// The commit page's key part: every period of the commit.
    func deploymentsKey(for commit: ObjectID) -> String {
        (deployments.byCommit[commit] ?? []).map(periodKey).joined(separator: "\u{1}")
    }

    /// One period as a template row (`environment`, `envHref`, `from`, `until` or `live`, `by`,
    /// `tag`, `image`, `short`, `summary`, `href` when the commit has a page); links relative to the page.
    func periodRow(_ period: DeploymentLog.Period) -> [String: Any] {
        let deployment = period.deployment
        var row: [String: Any] = [
            "environment": deployment.env, "envHref": environmentHref(deployment.env),
            "from": Format.date(deployment.at), "by": deployment.by, "short": deployment.commit.short,
        ]
        if let until = period.until { row["until"] = Format.date(until) } else { row["live"] = true }
        if let tag = deployment.tag { row["tag"] = tag }
        if let image = deployment.image { row["image"] = image }
        if let position = positionByCommit[deployment.commit] {
            row["summary"] = entries[position].commit.summary
            if entries[position].isEvaluated { row["href"] = commitHref(deployment.commit) }
        }
        return row
    }

    /// The commit page's "Deployed" rows, newest first.
    func deployedRows(for commit: ObjectID) -> [[String: Any]] {
        (deployments.byCommit[commit] ?? []).map(periodRow)
    }

    /// The index's "Live now": per environment, its live deployment; environments without
    /// deployment records show their latest release tag as before (and plain tags stay last).
    func liveNowRows() -> [[String: Any]] {
        var rows: [(key: String, row: [String: Any])] = []
        for (env, periods) in deployments.byEnvironment {
            guard let live = periods.first, live.until == nil else { continue }
            var row = periodRow(live)
            row["timelineHref"] = environmentHref(env)
            rows.append((env, row))
        }
        for release in latestReleasePerEnvironment()
        where release.environment.map({ deployments.byEnvironment[$0] == nil }) ?? true {
            var row: [String: Any] = [
                "environment": release.environment ?? "plain tag", "tag": release.tag,
                "short": release.commit.short, "from": Format.date(release.date), "fromRelease": true,
            ]
            if let position = positionByCommit[release.commit], entries[position].isEvaluated {
                row["href"] = commitHref(release.commit)
            }
            rows.append((release.environment ?? "\u{FFFF}", row))
        }
        return rows.sorted { $0.key < $1.key }.map(\.row)
    }

    /// The key of environment `env`'s timeline page.
    func environmentPageKey(_ env: String) -> String {
        var parts = [globalKey, "environment", env]
        for period in deployments.byEnvironment[env] ?? [] {
            parts.append(periodKey(period))
            parts.append(entryKey(positionByCommit[period.deployment.commit]))
        }
        return SHA256Hex.of(parts: parts)
    }

    /// `env/<slug>.html`: what served `env` when, newest first.
    func environmentPage(_ env: String) throws -> FileContent {
        let rows = (deployments.byEnvironment[env] ?? []).map(periodRow)
        return render("pages/environment", root: "../", title: env, ["environment": env, "periods": rows])
    }

    /// Chart markers for the deployments of commits in `range` (a commit deployed many times
    /// gets one marker per environment, titled with every time).
    func deploymentMarkers(in range: Range<Int>) -> [Chart.Marker] {
        var markers: [Chart.Marker] = []
        for (commit, periods) in deployments.byCommit {
            guard let position = positionByCommit[commit], range.contains(position) else { continue }
            let label = periods.map { "\($0.deployment.env) \(Format.date($0.deployment.at))" }
            markers.append(Chart.Marker(x: position, label: label.joined(separator: ", "), kind: .deployment))
        }
        return markers.sorted { $0.x < $1.x }
    }

    /// The key part of a chart window: the deployments drawn in it.
    func deploymentMarkersKey(in range: Range<Int>) -> String {
        deploymentMarkers(in: range).map { "\($0.x):\($0.label)" }.joined(separator: "\u{1}")
    }

    /// `history.json`'s `deployments`: every recorded deployment as its note line's fields plus
    /// `until` (null while live), newest first.
    func deploymentsJSON() -> String {
        let items = deployments.found.periods().map { period -> String in
            let d = period.deployment
            return
                "\n{\"env\": \(JSONText.quote(d.env)), \"commit\": \"\(d.commit.hex)\", \"at\": \"\(Format.isoDate(d.at))\", "
                + "\"until\": \(period.until.map { "\"\(Format.isoDate($0))\"" } ?? "null"), "
                + "\"by\": \(JSONText.quote(d.by)), \"tag\": \(d.tag.map(JSONText.quote) ?? "null"), "
                + "\"image\": \(d.image.map(JSONText.quote) ?? "null")}"
        }
        return "[" + items.joined(separator: ",") + "\n]"
    }
}
