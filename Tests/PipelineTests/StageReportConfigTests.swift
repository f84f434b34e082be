import Diagnostics
import Foundation
import Pipeline
import Testing

/// `report:` in `modelgate.yml`: a command stage's Markdown report, one per pipeline.
@Suite struct StageReportConfigTests {
    let loader = ConfigLoader()

    func failure(_ text: String) -> ConfigError? {
        do {
            _ = try loader.parse(text)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func aCommandStageDeclaresItsReport() throws {
        let config = try loader.parse(
            "stages:\n  - name: evaluate\n    cmd: python evaluate.py\n    report: reports/report.md\n")
        #expect(config.reportStage?.name == "evaluate")
        #expect(config.reportStage?.reportPath == "reports/report.md")
        #expect(try loader.parse("stages:\n  - name: e\n    cmd: x\n").reportStage == nil)
    }

    @Test func twoReportsAreRefusedAtTheSecond() {
        let error = failure(
            "stages:\n  - name: a\n    cmd: x\n    report: a.md\n  - name: b\n    cmd: y\n    report: b.md\n")
        #expect(error?.summary == "stages 'a' and 'b' both declare a report")
        #expect(error?.location == "modelgate.yml:7:13")
        #expect(error?.exitStatus == .badInput)
    }

    @Test func aBuiltinStageHasNoReport() {
        let error = failure(
            "stages:\n  - name: t\n    builtin: linear-regression\n    data: d.csv\n    target: y\n    report: r.md\n"
        )
        #expect(error?.summary == "'report' does not apply to stage 't'")
        #expect(error?.location == "modelgate.yml:6:5")
    }
}

/// Which image URLs of a report name a file of the checkout.
@Suite struct StageReportPathTests {
    @Test(arguments: [
        ("plot.png", "report.md", "plot.png"), ("plots/cm.png", "out/report.md", "out/plots/cm.png"),
        ("../cm.png", "out/report.md", "cm.png"), ("./a/./b.svg", "r.md", "a/b.svg"),
        ("my%20plot.png", "r.md", "my plot.png"),
    ])
    func relativeImages(url: String, report: String, path: String) {
        #expect(StageReport.relativePath(of: url, from: report) == path)
    }

    @Test(arguments: [
        "https://host/x.png", "//host/x.png", "/etc/passwd", "../x.png", "a/../../x.png",
        "data:image/png;base64,AA",
        "x.png?v=1", "x.png#frag", "", "%2e%2e/x.png", "a%0Ab.png", "file:///etc/passwd",
    ])
    func urlsThatNameNoFileOfTheCheckout(url: String) {
        #expect(StageReport.relativePath(of: url, from: "report.md") == nil)
    }
}

/// Images are recognised by content, never by name.
@Suite struct ReportImageTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
    static let matplotlibSVG = """
        <?xml version="1.0" encoding="utf-8" standalone="no"?>
        <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
          "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
        <!-- Created with matplotlib (https://matplotlib.org/) -->
        <svg xmlns:xlink="http://www.w3.org/1999/xlink" width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6" xmlns="http://www.w3.org/2000/svg" version="1.1">
         <defs><style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style></defs>
         <g id="figure_1"><use xlink:href="#m0" x="57.6" y="307.584" style="stroke: #000000"/></g>
        </svg>
        """

    @Test func kinds() {
        #expect(ReportImage.kind(of: Self.png) == .png)
        #expect(ReportImage.kind(of: Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])) == .jpeg)
        #expect(ReportImage.kind(of: Data(Self.matplotlibSVG.utf8)) == .svg)
        #expect(ReportImage.kind(of: Data("<svg>\n</svg>".utf8)) == .svg)
        #expect(ReportImage.kind(of: Data("not an image".utf8)) == nil)
        #expect(ReportImage.kind(of: Data()) == nil)
        #expect(ReportImage.kind(of: Data("<svgx></svgx>".utf8)) == nil)
        #expect(ReportImage.kind(of: Data("<html><svg></svg></html>".utf8)) == nil)
    }

    @Test(arguments: [
        "<svg><script>alert(1)</script></svg>", "<svg onload=\"alert(1)\"></svg>",
        "<svg>\n<rect\tONCLICK = 'x'/></svg>",
        "<svg><a href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<svg><image href=\"https://tracker.example/p.png\"/></svg>",
        "<svg><image xlink:href='//host/p.png'/></svg>",
        "<svg><style>@import 'https://x/y.css';</style></svg>",
        "<svg><rect style=\"fill:url(https://x/#a)\"/></svg>",
        "<svg><foreignObject><iframe/></foreignObject></svg>",
        "<!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg>&a;</svg>",
    ])
    func svgsThatRunScriptOrFetchAreRefused(svg: String) {
        #expect(ReportImage.kind(of: Data(svg.utf8)) == nil)
    }
}
