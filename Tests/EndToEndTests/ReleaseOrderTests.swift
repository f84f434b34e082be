import Foundation
import TestSupport
import Testing

/// Releases made in the same second are listed in one order (`ReleaseOrder`) by `modelgate
/// releases` and by the site: GTO counter, then the newer commit, then the name with numbers
/// compared as numbers.
@Suite struct ReleaseOrderTests {
    @Test func releasesInTheSameSecondAreListedAlikeByTheCommandAndTheSite() throws {
        let repo = try TemporaryRepository()
        let older = try repo.commit(files: ["README.md": "one\n"], message: "first")
        let newer = try repo.commit(files: ["README.md": "two\n"], message: "second")
        // Every annotated tag below is made in the same second, after both commits.
        let second = ["GIT_COMMITTER_DATE": "@\(TemporaryRepository.epoch + 3600) +0000"]
        func tag(_ name: String, on commit: String, environment: String) throws {
            try repo.git(
                ["tag", "-a", name, "-m", "release\n\nModelgate-Environment: \(environment)", commit],
                environment: second)
        }
        try tag("zzz-old", on: older, environment: "production")  // largest name, older commit
        try tag("prod-a", on: newer, environment: "production")
        try tag("prod-b", on: newer, environment: "production")
        try tag("v1.9.0", on: newer, environment: "staging")
        try tag("v1.10.0", on: newer, environment: "staging")
        try repo.git(["tag", "-a", "demo#production#9", "-m", "assign", older], environment: second)
        try repo.git(["tag", "-a", "demo#production#10", "-m", "assign", older], environment: second)
        // A lightweight GTO tag is dated by its commit (an hour before the others).
        try repo.git(["tag", "demo#staging#11", newer])
        let expected = [
            "demo#production#10", "demo#production#9", "v1.10.0", "v1.9.0", "prod-b", "prod-a", "zzz-old",
            "demo#staging#11",
        ]

        let listed = try ModelgateBinary.run(
            ["releases", "--json"], in: repo.url, environment: repo.gitEnvironment())
        #expect(listed.status == 0, "\(listed.stderr)")
        let releases = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(releases.compactMap { $0["tag"] as? String } == expected)
        // The lightweight tag carries the date it is ordered by.
        #expect(releases.last?["date"] != nil && !(releases.last?["date"] is NSNull))

        let site = repo.directory.appending("site")
        let built = try ModelgateBinary.run(
            ["site", "--out", site.path], in: repo.url, environment: repo.gitEnvironment())
        #expect(built.status == 0, "\(built.stderr)")
        let history =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: site.appendingPathComponent("history.json"))) as? [String: Any]
        let siteOrder = (history?["releases"] as? [[String: Any]])?.compactMap { $0["tag"] as? String }
        #expect(siteOrder == expected)
        // The releases page lists each environment's tags in that order too.
        let page = try String(contentsOf: site.appendingPathComponent("releases.html"), encoding: .utf8)
        let positions = expected.map { name in
            page.range(of: "<code class=\"tag\">\(name)</code>")?.lowerBound
        }
        #expect(positions.allSatisfy { $0 != nil })
        let production = ["demo#production#10", "demo#production#9", "prod-b", "prod-a", "zzz-old"]
        let productionPositions = production.compactMap { name in positions[expected.firstIndex(of: name)!] }
        #expect(productionPositions == productionPositions.sorted())

        // The text listing: production's tags in the same order.
        let text = try ModelgateBinary.run(["releases", "--env", "production"], in: repo.url)
        let names = text.stdout.split(separator: "\n").dropFirst().compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
        #expect(names == production)
    }
}
