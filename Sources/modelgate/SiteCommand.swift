import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Site

/// `modelgate site --out DIR`: the static site of a branch's run records and releases.
struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract: "Render a static site of the branch's metrics history, commits and releases.",
        discussion: Help.discussion(
            """
            Writes HTML pages (inline SVG charts, no JavaScript, nothing loaded from other hosts: open index.html straight from disk), history.json (the releases and the list of parts, history/N.json, that hold every record, 500 commits each), metrics.prom (Prometheus text format) and grafana-dashboard.json into the --out folder, from the run records in refs/notes/modelgate and the tags.

            A rebuild renders only the pages whose inputs changed and writes only files whose content changed; a failed build leaves the previous site as it was. The summary goes to stdout: 'site: N files, W written, R removed (M rendered)'.

            The templates are built in; --templates DIR overrides them file by file (pages/*.mustache, partials/*.mustache, style.css, markdown/*.md), as laid out in site-templates/ of modelgate's source.

            """))

    @Option(name: .long, help: ArgumentHelp("The folder to write the site into.", valueName: "dir"))
    var out: String
    @Option(help: "The branch to show (default: the branch HEAD is on).") var branch: String?
    @Option(help: "The site's title (default: the model's name).") var title: String?
    @Option(help: "The URL the site will be served from, for links in the exports.") var baseURL: String?
    @Option(help: ArgumentHelp("A folder of templates overriding the built-in ones.", valueName: "dir"))
    var templates: String?
    @Option(
        name: .customLong("page"),
        help: ArgumentHelp(
            "A Markdown file of the repository to render as a page (repeatable), e.g. a model card.",
            valueName: "path"))
    var pages: [String] = []
    @Flag(help: "Print the build summary as JSON.") var json = false

    func run() throws {
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let repository = try Repository(discoveringFrom: current)
        func absolute(_ path: String) -> URL {
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : current.appendingPathComponent(path)
        }
        let options = SiteOptions(
            branch: branch, title: title, baseURL: baseURL, templates: templates.map(absolute), pages: pages)
        let summary = try Site.build(
            from: repository, into: absolute(out).standardizedFileURL, options: options)
        if json {
            print(
                #"{"files": \#(summary.files), "rendered": \#(summary.rendered), "written": \#(summary.written), "removed": \#(summary.removed)}"#
            )
        } else {
            print(
                "site: \(summary.files) files, \(summary.written) written, \(summary.removed) removed (\(summary.rendered) rendered)"
            )
        }
    }
}
