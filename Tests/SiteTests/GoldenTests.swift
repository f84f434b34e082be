import Foundation
import Testing

@testable import Site

/// Site output compared with expected files in Tests/Fixtures/site (commit ids and dates are
/// fixed by TemporaryRepository, so the output is byte-for-byte stable). After an intended
/// change, regenerate with: UPDATE_SITE_FIXTURES=1 swift test --filter GoldenTests
@Suite struct GoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/site")

    @Test(arguments: ["index.html", "releases.html", "metrics.prom", "commits/latest.html"])
    func outputMatchesTheFixture(_ path: String) throws {
        let fixture = try SiteBuildTests.hostileFixture()
        try fixture.build()
        let actual = try fixture.text(path)
        let expected = Self.fixtures.appendingPathComponent(path.replacingOccurrences(of: "/", with: "-"))
        if ProcessInfo.processInfo.environment["UPDATE_SITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: Self.fixtures, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: expected)
            return
        }
        let wanted = try String(contentsOf: expected, encoding: .utf8)
        #expect(
            actual == wanted,
            "\(path) differs from Tests/Fixtures/site; if intended, regenerate (see GoldenTests)")
    }
}
