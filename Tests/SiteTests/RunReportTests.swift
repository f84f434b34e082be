import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

/// A stage that writes its own Markdown report (`report:`), as `modelgate run` and
/// `modelgate site` handle it from end to end.
@Suite struct RunReportTests {
    static let config = """
        name: demo
        stages:
          - name: evaluate
            cmd: sh score.sh
            deps: [score.sh, "data/*.csv"]
            metrics: metrics.json
            outs: [out/model.txt]
            report: out/report.md
            timeout: 20s
        gates:
          - {metric: r2, min: 0.5}

        """

    /// Writes a report with a PNG, an SVG, a remote image, a file posing as an image, an SVG
    /// that runs script, a path out of the checkout, a pipe table and raw HTML.
    static let script = #"""
        mkdir -p out/plots
        printf '\211PNG\r\n\032\n\000\000\000\015IHDR' > out/cm.png
        cat > out/plots/residuals.svg <<'SVG'
        <?xml version="1.0" encoding="utf-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>
        SVG
        printf '<svg onload="alert(1)"></svg>' > out/evil.svg
        printf 'just text' > out/fake.png
        ln -s /etc/passwd out/linked.png
        printf 'model\n' > out/model.txt
        printf '{"r2": 0.75}' > metrics.json
        cat > out/report.md <<'MD'
        # Evaluation

        | metric | value |
        |:--|--:|
        | **r2** | `0.75` |
        | rows \| seen | 2 |

        ![Confusion matrix](cm.png)
        ![Residuals](plots/residuals.svg)
        ![Pixel](https://tracker.example/pixel.png)
        ![Fake](fake.png) ![Evil](evil.svg) ![Linked](linked.png) ![Up](../../../etc/passwd)

        <script>alert(1)</script>
        <img src=x onerror=alert(2)>

        [run me](javascript:alert(3))
        MD
        """#

    static func ranRepository() throws -> (TemporaryRepository, String) {
        let repo = try TemporaryRepository()
        let id = try repo.commit(
            files: ["modelgate.yml": config, "score.sh": script, "data/a.csv": "x\n1\n2\n"], message: "model")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        return (repo, id)
    }

    @Test func theRecordNamesTheReportAndItsDigest() throws {
        let (repo, id) = try Self.ranRepository()
        let note = try repo.git(["notes", "--ref=modelgate", "show", id])
        let record = try JSONDecoder.records.decode(RunRecord.self, from: Data(note.utf8))
        #expect(record.report?.path == "out/report.md")
        // The stage ran in an isolated checkout: nothing was written into the work tree.
        #expect(!FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("out").path))
        #expect(record.report?.sha256.hasPrefix("sha256:") == true)
        #expect(record.report?.sha256.count == 71)
    }

    @Test func theCommitPageShowsTheReportWithItsImagesCopiedBesideIt() throws {
        let (repo, id) = try Self.ranRepository()
        let built = try ModelgateBinary.run(["site", "--out", "public"], in: repo.url)
        #expect(built.status == 0, "\(built.stderr)")
        let site = repo.url.appendingPathComponent("public")
        let page = try String(
            contentsOf: site.appendingPathComponent("commit/\(id).html"), encoding: .utf8)
        #expect(page.contains("<h2>Run report</h2>"))
        #expect(page.contains("Written by the run as <code>out/report.md</code>"))
        #expect(page.contains("<th align=\"left\">metric</th>\n<th align=\"right\">value</th>"))
        #expect(
            page.contains(
                "<td align=\"left\"><strong>r2</strong></td>\n<td align=\"right\"><code>0.75</code></td>"))
        #expect(page.contains("<td align=\"left\">rows | seen</td>"))
        #expect(page.contains("<img src=\"\(id)/01-cm.png\" alt=\"Confusion matrix\" />"))
        #expect(page.contains("<img src=\"\(id)/02-residuals.svg\" alt=\"Residuals\" />"))
        #expect(
            page.contains(
                "<a rel=\"nofollow noopener noreferrer\" href=\"https://tracker.example/pixel.png\">Pixel</a>"
            ))
        for omitted in ["Fake", "Evil", "Linked", "Up"] {
            #expect(page.contains("<span class=\"image-omitted\">[image: \(omitted)]</span>"), "\(omitted)")
        }
        #expect(!page.contains("<script"))
        #expect(!page.contains("onerror"))
        #expect(!page.contains("javascript:"))
        #expect(page.contains("<a href=\"\">run me</a>"))

        // Exactly the two images, byte for byte, under the commit's folder.
        let folder = site.appendingPathComponent("commit/\(id)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["01-cm.png", "02-residuals.svg"])
        let png = try Data(contentsOf: folder.appendingPathComponent("01-cm.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(png.count == 16)
        let svg = try String(contentsOf: folder.appendingPathComponent("02-residuals.svg"), encoding: .utf8)
        #expect(svg.contains("<rect width=\"10\" height=\"10\"/>"))

        // No page of the site loads anything from another host.
        let paths = FileManager.default.enumerator(atPath: site.path)?.allObjects as? [String] ?? []
        #expect(paths.count > 5)
        for path in paths where path.hasSuffix(".html") {
            let html = try String(contentsOf: site.appendingPathComponent(path), encoding: .utf8)
                .lowercased()
            for attribute in ["src=\"http", "src=\"//", "src='http", "srcset=", "href=\"//"] {
                #expect(!html.contains(attribute), "\(path): \(attribute)")
            }
        }
    }

    @Test func theGeneratedMarkdownReportIsWhatReportPrints() throws {
        let (repo, id) = try Self.ranRepository()
        let site = try ModelgateBinary.run(["site", "--out", "public"], in: repo.url)
        #expect(site.status == 0, "\(site.stderr)")
        let published = try String(
            contentsOf: repo.url.appendingPathComponent("public/commit/\(id).md"), encoding: .utf8)
        let printed = try ModelgateBinary.run(["report", id, "--format", "markdown"], in: repo.url)
        #expect(printed.status == 0)
        #expect(published == printed.stdout)
        #expect(published.hasPrefix("<!-- modelgate-report -->\n"))
        let page = try String(
            contentsOf: repo.url.appendingPathComponent("public/commit/\(id).html"), encoding: .utf8)
        #expect(page.contains("<a href=\"\(id).md\">\(id.prefix(7))"))
    }

    @Test func aReportTheStageDidNotWriteIsANoticeNotAFailure() throws {
        let repo = try TemporaryRepository()
        let id = try repo.commit(
            files: [
                "modelgate.yml": Self.config.replacingOccurrences(
                    of: "outs: [out/model.txt]\n    ", with: ""),
                "score.sh": "printf '{\"r2\": 0.75}' > metrics.json\n", "data/a.csv": "x\n1\n",
            ], message: "model")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("declares the report 'out/report.md' but wrote no readable file there"))
        let note = try repo.git(["notes", "--ref=modelgate", "show", id])
        #expect(!note.contains("\"report\""))
    }
}

extension JSONDecoder {
    /// Decodes run records as notes store them (ISO 8601 dates).
    static var records: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
