import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

@testable import Site

/// The site's deployment views: the commit page's "Deployed" section, the index's "Live now",
/// the per-environment timeline, chart markers, `history.json`, and page keys that follow them.
@Suite struct DeploymentPagesTests {
    static let image = "registry.example/housing@sha256:" + String(repeating: "e", count: 64)
    static let evilEnv = "<script>alert(9)</script>"

    /// Three evaluated commits; production: c1, then c2 (tag, image), then back to c1; staging:
    /// c2; canary has only a release tag; an environment named like a script has c3.
    func fixture() throws -> (SiteFixture, [String]) {
        let fixture = try SiteFixture()
        let c1 = try fixture.commit("first run", r2: 0.91)
        let c2 = try fixture.commit("second run", r2: 0.93)
        let c3 = try fixture.commit("third run", r2: 0.95)
        try fixture.release("housing#canary#1", on: c3, environment: "canary")
        try record("production", c1, "2026-01-01T10:00:00Z", in: fixture)
        try record(
            "production", c2, "2026-01-02T10:00:00Z", tag: "housing@v2", image: Self.image, in: fixture)
        try record("staging", c2, "2026-01-01T12:00:00Z", in: fixture)
        try record("production", c1, "2026-01-03T10:00:00Z", in: fixture)
        try record(Self.evilEnv, c3, "2026-01-04T00:00:00Z", in: fixture)
        return (fixture, [c1, c2, c3])
    }

    func record(
        _ env: String, _ commit: String, _ at: String, tag: String? = nil, image: String? = nil,
        in fixture: SiteFixture
    ) throws {
        let deployment = Deployment(
            env: env, at: try #require(DeploymentTime.parse(at)), by: "cd@example.com", tag: tag,
            image: image,
            commit: try #require(ObjectID(hex: commit)))
        try DeploymentLog(repository: try fixture.repo.open()).record(deployment)
    }

    @Test func commitPagesIndexAndTimelinesShowDeployments() throws {
        let (fixture, commits) = try fixture()
        try fixture.build()
        let c2 = try fixture.text("commit/\(commits[1]).html")
        #expect(c2.contains("<h2>Deployed</h2>"))
        #expect(
            c2.contains(
                #"<tr><td><a href="../env/production.html">production</a></td><td class="date">2026-01-02 10:00 UTC</td><td class="date">2026-01-03 10:00 UTC</td><td>cd@example.com</td><td><code>housing@v2</code></td><td><code class="digest">\#(Self.image)</code></td></tr>"#
            ), "\(c2)")
        #expect(
            c2.contains(
                #"<a href="../env/staging.html">staging</a></td><td class="date">2026-01-01 12:00 UTC</td><td class="date"><strong>live now</strong></td>"#
            ))
        // Each page lists its own commit's deployments only; an author-chosen name stays text.
        #expect(!(try fixture.text("commit/\(commits[0]).html")).contains("env/staging.html"))
        let c3 = try fixture.text("commit/\(commits[2]).html")
        #expect(c3.contains("<h2>Deployed</h2>"))
        #expect(!c3.contains(Self.evilEnv))
        #expect(c3.contains("&lt;script&gt;alert(9)&lt;/script&gt;"))

        // Live now: production's rollback, staging's c2, canary's release tag as before.
        let index = try fixture.text("index.html")
        #expect(
            index.contains(
                #"<tr><th><a href="env/production.html">production</a></th><td></td><td><a href="commit/\#(commits[0]).html"><code>\#(commits[0].prefix(7))</code></a></td><td class="date">2026-01-03 10:00 UTC</td></tr>"#
            ), "\(index)")
        #expect(index.contains(#"<a href="env/staging.html">staging</a>"#))
        #expect(
            index.contains(
                #"<tr><th>canary</th><td><code>housing#canary#1</code></td><td><a href="commit/\#(commits[2]).html">"#
            ))
        // Deployments are markers on the charts.
        #expect(
            index.contains(
                #"<line class="deployment""#)
                && index.contains(
                    "<title>deployed production 2026-01-03 10:00 UTC, production 2026-01-01 10:00 UTC</title>"
                ))

        // The production timeline, newest first, each until the next one.
        let production = try fixture.text("env/production.html")
        let rows = production.components(separatedBy: "<tr><td class=\"date\">").dropFirst().map {
            String($0.prefix(60))
        }
        #expect(
            rows == [
                #"2026-01-03 10:00 UTC</td><td class="date"><strong>live now</"#,
                #"2026-01-02 10:00 UTC</td><td class="date">2026-01-03 10:00 U"#,
                #"2026-01-01 10:00 UTC</td><td class="date">2026-01-02 10:00 U"#,
            ])
        let evilPage = try #require(try fixture.files().keys.first { $0.hasPrefix("env/_script_alert_9") })
        #expect(!evilPage.contains("<") && !evilPage.contains("/script"))
        #expect(!(try fixture.text(evilPage)).contains(Self.evilEnv))

        // history.json lists them, newest first, with until.
        let history = try JSONSerialization.jsonObject(with: Data(try fixture.text("history.json").utf8))
        let deployments = try #require((history as? [String: Any])?["deployments"] as? [[String: Any]])
        #expect(deployments.count == 5)
        #expect(deployments[0]["env"] as? String == Self.evilEnv)
        #expect(deployments[1]["commit"] as? String == commits[0])
        #expect(deployments[1]["until"] is NSNull)
        #expect(deployments[2]["image"] as? String == Self.image)
        #expect(deployments[2]["until"] as? String == "2026-01-03T10:00:00Z")

        // Every link of the new pages resolves inside the site.
        let files = try fixture.files()
        for path in ["env/production.html", "commit/\(commits[1]).html", "index.html"] {
            for link in try ScannedPage.parse(try #require(files[path])).links where !link.hasPrefix("#") {
                let resolved = URL(fileURLWithPath: "/site/" + path).deletingLastPathComponent()
                    .appendingPathComponent(link).standardizedFileURL.path
                #expect(files[String(resolved.dropFirst("/site/".count))] != nil, "\(path): \(link)")
            }
        }
    }

    @Test func aNewDeploymentRerendersTheCommitPagesItChanges() throws {
        let (fixture, commits) = try fixture()
        try fixture.build()
        #expect(try fixture.build().written == 0)
        try record("staging", commits[2], "2026-01-05T00:00:00Z", in: fixture)
        let written = Set(try fixture.build().writtenPaths)
        // c2's staging period now ends; c3 gains one; c1 is unchanged.
        #expect(written.contains("commit/\(commits[1]).html"))
        #expect(written.contains("commit/\(commits[2]).html"))
        #expect(!written.contains("commit/\(commits[0]).html"))
        #expect(written.contains("env/staging.html") && !written.contains("env/production.html"))
        #expect(written.contains("history.json") && written.contains("index.html"))
        #expect(try fixture.text("commit/\(commits[1]).html").contains("2026-01-05 00:00 UTC"))
    }
}
