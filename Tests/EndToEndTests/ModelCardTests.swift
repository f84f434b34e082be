import Foundation
import TestSupport
import Testing

/// A release's model card, in the image (`/model/README.md`) and on the site.
@Suite struct ModelCardEndToEndTests {
    static let authored =
        "# Demo model\n\n## Intended use\n\nRanking demo rows.\n\n## Limitations\n\nThree rows.\n"

    static func released() throws -> ArtifactRepository {
        let repository = try ArtifactRepository()
        try repository.repo.commit(files: ["MODEL_CARD.md": authored], message: "model card")
        #expect(try repository.modelgate(["run"]).status == 0)
        let release = try repository.modelgate(["release", "demo@v1.0.0", "--env", "production"])
        #expect(release.status == 0, "\(release.stderr)")
        return repository
    }

    @Test func theImageCarriesTheCardAsModelReadme() throws {
        let repository = try Self.released()
        let layout = repository.repo.directory.appending("oci")
        let package = try repository.modelgate(["package", "--oci", layout.path])
        #expect(package.status == 0, "\(package.stderr)")
        let bundle = repository.repo.directory.appending("bundle")
        let unpack = try ExternalTool.run(
            "umoci", ["unpack", "--rootless", "--image", "\(layout.path):v1.0.0", bundle.path],
            in: repository.url)
        #expect(unpack.status == 0, "\(unpack.stderr)")
        let card = try String(
            contentsOf: bundle.appendingPathComponent("rootfs/model/README.md"), encoding: .utf8)
        #expect(
            card.hasPrefix(
                "---\nlibrary_name: modelgate\ntags:\n- modelgate\n- tabular-regression\n- production\n"))
        #expect(
            card.contains("model-index:\n- name: demo\n  results:\n  - task:\n      type: tabular-regression")
        )
        #expect(card.contains("# demo v1\\.0\\.0\n\n# Demo model\n\n## Intended use\n\nRanking demo rows."))
        let artifact = try #require(try repository.artifactDigest())
        #expect(card.contains("- artifact: `\(artifact)`"))
        #expect(card.contains("- release: `demo@v1.0.0` to production"))
        // The artifact's own files are unchanged beside it.
        #expect(
            FileManager.default.fileExists(
                atPath: bundle.appendingPathComponent("rootfs/model/model.bin").path))
    }

    @Test func theSiteHasAPagePerReleaseWithItsCard() throws {
        let repository = try Self.released()
        let site = try repository.modelgate(["site", "--out", "public"])
        #expect(site.status == 0, "\(site.stderr)")
        let root = repository.url.appendingPathComponent("public")
        let releases = try String(contentsOf: root.appendingPathComponent("releases.html"), encoding: .utf8)
        // The tag's name is not a plain file name, so its page has a sanitised one.
        let link = try #require(
            releases.range(of: #"<a href="releases/[^"]+\.html">model card</a>"#, options: .regularExpression)
        )
        let href = String(releases[link].dropFirst("<a href=\"".count).prefix { $0 != "\"" })
        let slug = String(href.dropFirst("releases/".count).dropLast(".html".count))
        #expect(slug.hasPrefix("demo_v1_0_0-"))
        let page = try String(contentsOf: root.appendingPathComponent(href), encoding: .utf8)
        #expect(page.contains("<h1>demo v1.0.0</h1>\n<h1>Demo model</h1>\n<h2>Intended use</h2>"))
        #expect(page.contains("<h2>Metrics</h2>\n<table>"))
        #expect(page.contains("<h2>Gates</h2>"))
        #expect(page.contains("<h2>Lineage</h2>"))
        #expect(page.contains("library_name: modelgate"))
        #expect(page.contains("<a href=\"\(slug).md\">"))
        let markdown = try String(
            contentsOf: root.appendingPathComponent("releases/\(slug).md"), encoding: .utf8)
        #expect(markdown.hasPrefix("---\nlibrary_name: modelgate\n"))
        #expect(markdown.contains("## Intended use\n\nRanking demo rows."))
    }
}
