import FileSafety
import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

@testable import Site

@Suite struct SiteBuildTests {
    /// A small history with hostile content everywhere a commit author has a say.
    static func hostileFixture() throws -> SiteFixture {
        let fixture = try SiteFixture()
        try fixture.commit("first run", r2: 0.91)
        try fixture.commit(
            author: "x\" onerror=\"alert(1)",
            "tune \(SiteFixture.script) <img src=x onerror=alert(7)>\n\nbody with [link](javascript:alert(1)) \(SiteFixture.script)",
            files: [
                "data/train.csv": "x,y\n1,2\n3,4\n5,6\n", "report.md": SiteFixture.evilReport,
                "data/<script>.csv": "a\n1\n",
            ],
            r2: 0.93, extraMetrics: [SiteFixture.evilMetric: 1, "javascript:alert(1)": 2],
            artifact: "sha256:" + String(repeating: "d", count: 64), stage: SiteFixture.evilStage)
        let failing = try fixture.commit("worse model", r2: 0.85, verdict: "fail")
        try fixture.commit("not evaluated yet", record: false)
        try fixture.release(
            "housing@v1.0.0", on: fixture.commits[2], environment: "production",
            artifact: "sha256:" + String(repeating: "d", count: 64))
        try fixture.release("housing#staging#1", on: failing, environment: nil)
        try fixture.repo.git([
            "tag", "-a", "evil\"<script>alert(1)</script>", fixture.commits[1], "-m",
            "plain \(SiteFixture.script)",
        ])
        try fixture.repo.git(["tag", "v0-lightweight", fixture.commits[0]])
        return fixture
    }

    @Test func pagesParseAndEveryRelativeLinkResolves() throws {
        let fixture = try Self.hostileFixture()
        let summary = try fixture.build()
        let files = try fixture.files()
        #expect(summary.files == files.count)
        #expect(summary.written == files.count)
        let html = files.filter { $0.key.hasSuffix(".html") }
        #expect(html.count >= 9)
        for (path, data) in html {
            let page = try ScannedPage.parse(data)
            for link in page.links {
                if link.isEmpty || link.hasPrefix("#") { continue }
                // The one link to another host is the report's own Markdown link, which stays a
                // plain (nofollow) link the reader may follow; nothing loads from it.
                if link == "https://evil.example/x.js" { continue }
                #expect(
                    !link.contains("://") && !link.hasPrefix("//"), "\(path) links to another host: \(link)")
                let target = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                let resolved = URL(fileURLWithPath: "/site/" + path).deletingLastPathComponent()
                    .appendingPathComponent(String(target)).standardizedFileURL.path
                #expect(resolved.hasPrefix("/site/"), "\(path): \(link) leaves the site")
                #expect(
                    files[String(resolved.dropFirst("/site/".count))] != nil,
                    "\(path): \(link) does not resolve")
            }
        }
    }

    @Test func authorControlledTextIsNeverActive() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        for (path, data) in try fixture.files() where path.hasSuffix(".html") {
            let page = try ScannedPage.parse(data)
            for element in page.elements {
                #expect(element.name != "script", "\(path) has a script element")
                #expect(
                    element.name != "iframe" && element.name != "object" && element.name != "embed", "\(path)"
                )
                if element.name == "img" { Issue.record("\(path) has an img element from author content") }
                for (name, value) in element.attributes {
                    #expect(!name.lowercased().hasPrefix("on"), "\(path): <\(element.name) \(name)=…>")
                    guard ["href", "src", "action", "formaction", "xlink:href"].contains(name.lowercased())
                    else { continue }
                    let lowered = value.trimmingCharacters(in: .whitespaces).lowercased()
                    #expect(!lowered.hasPrefix("javascript:"), "\(path): \(name)=\(value)")
                }
            }
        }
        // The hostile text is there, as text.
        let commit = try fixture.text("commit/\(fixture.commits[2]).html")
        #expect(commit.contains("tune &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(commit.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(commit.contains("train&lt;script&gt;alert(2)&lt;img src=x onerror=alert(2)&gt;"))
        #expect(commit.contains("x&quot; onerror=&quot;alert(1)"))
        #expect(commit.contains("data/&lt;script&gt;.csv"))
        // The report is rendered by cmark with raw HTML dropped and the javascript: link emptied.
        #expect(commit.contains("<h1>Run report</h1>"))
        #expect(commit.contains("<strong>up</strong>"))
        #expect(commit.contains("<!-- raw HTML omitted -->"))
        #expect(commit.contains("<a href=\"\">click me</a>"))
        let releases = try fixture.text("releases.html")
        #expect(releases.contains("evil&quot;&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func noOutputFileReferencesAnotherHost() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        for (path, data) in try fixture.files() {
            let text = String(decoding: data, as: UTF8.self)
            // The only URL in the history is inside the report's Markdown link, which cmark keeps
            // as a link the reader may follow; nothing is loaded from it.
            for line in text.split(separator: "\n")
            where line.contains("http://") || line.contains("https://") {
                #expect(line.contains("href=\"https://evil.example/x.js\">remote</a>"), "\(path): \(line)")
            }
            #expect(!text.contains("<link rel=\"stylesheet\" href=\"http"))
        }
    }

    @Test func indexShowsVerdictReleasesChartsAndRecentCommits() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let index = try fixture.text("index.html")
        let page = try ScannedPage.parse(Data(index.utf8))
        #expect(index.contains("<h1>housing <small>branch main</small></h1>"))
        // The tip is not evaluated: the newest evaluated commit (a failure) is the current verdict.
        #expect(
            index.contains(
                "<span class=\"verdict fail\">fail</span> <a href=\"commit/\(fixture.commits[3]).html\">"))
        #expect(index.contains("has not been evaluated"))
        #expect(index.contains("<th>production</th><td><code>housing@v1.0.0</code></td>"))
        #expect(index.contains("<th>staging</th><td><code>housing#staging#1</code></td>"))
        // One chart per metric, with points titled by commit, date and value, gate lines and releases.
        let svgs = page.elements.filter { $0.name == "svg" }
        #expect(svgs.count == 4)
        let tooltip = try #require(
            index.range(of: "<title>\(String(fixture.commits[2].prefix(7))) 2026-01-01 ").map {
                index[$0.lowerBound...].prefix(60)
            })
        #expect(tooltip.hasSuffix("UTC: r2 = 0.93</title>") || tooltip.contains("UTC: r2 = 0.93</title>"))
        #expect(index.contains("<rect class=\"point fail\""))
        #expect(index.contains("<title>gate: r2 &gt;= 0.9</title>"))
        #expect(index.contains("<title>release housing@v1.0.0</title>"))
        // Recent commits: newest first, with key metric deltas.
        let rows = page.elements.filter { $0.name == "tr" }.compactMap { $0.attributes["class"] }
        #expect(rows.prefix(5) == ["none", "fail", "pass", "pass", "none"])
        #expect(index.contains("0.85 <span class=\"delta down\">−0.08 (−8.6 %)</span>"))
    }

    @Test func commitPageShowsDeltasGatesStagesChangesAndReleases() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let page = try fixture.text("commit/\(fixture.commits[2]).html")
        #expect(page.contains("<td>r2</td><td>&gt;= 0.9</td><td class=\"num\">0.93</td>"))
        #expect(
            page.contains(
                ">r2</a></td><td class=\"num\">0.93</td><td class=\"num\"><span class=\"delta up\">+0.02 (+2.2 %)</span></td><td class=\"num\"><span class=\"delta up\">+0.02 (+2.2 %)</span>"
            ))
        #expect(page.contains("<td class=\"num\">1.23 s</td><td>ran</td>"))
        // A record from before reuse kept stage times says "cached", not "0 ms".
        #expect(page.contains("<td class=\"num\">cached</td><td>hit</td>"))
        #expect(!page.contains("Inputs unchanged since an earlier run"))  // one stage ran
        #expect(page.contains("<code>data/train.csv</code></td><td><code>"))
        #expect(page.contains("<td class=\"num\">1 → 3</td><td>yes</td>"))
        #expect(page.contains("<code>sha256:dddd"))
        #expect(page.contains("<code>housing@v1.0.0</code></a> (production)"))
        #expect(page.contains("Rendered from <code>report.md</code>"))
    }

    @Test func releasesTimelinePerEnvironment() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let releases = try fixture.text("releases.html")
        let page = try ScannedPage.parse(Data(releases.utf8))
        let headings = page.elements.filter { $0.name == "h2" }.count
        #expect(headings == 3)  // production, staging, plain tags
        #expect(releases.contains("<h2>production</h2>"))
        #expect(releases.contains("<h2>Plain tags</h2>"))
        #expect(releases.contains("<code class=\"tag\">v0-lightweight</code>"))
        // The trailer's raw JSON is not shown where the record's metrics are.
        #expect(!releases.contains("{&quot;r2&quot;:0.93}"))
        #expect(releases.contains("metrics at release:</span> r2 0.93"))
    }

    @Test func markdownPagesRenderDefaultsAndRepositoryFiles() throws {
        let fixture = try Self.hostileFixture()
        try fixture.repo.commit(
            files: ["MODEL_CARD.md": "# Model card\n\nTrained on <b>houses</b>.\n"], message: "card")
        try fixture.build(SiteOptions(pages: ["MODEL_CARD.md"]))
        #expect(try fixture.text("pages/about.html").contains("<h1>About this site</h1>"))
        let card = try fixture.text("pages/model_card.html")
        #expect(card.contains("<h1>Model card</h1>"))
        #expect(card.contains("Trained on <!-- raw HTML omitted -->houses<!-- raw HTML omitted -->."))
        #expect(try fixture.text("index.html").contains("<a href=\"pages/model_card.html\">Model card</a>"))
        #expect(throws: SiteError.unreadablePage("MISSING.md")) {
            try fixture.build(SiteOptions(pages: ["MISSING.md"]))
        }
    }

    /// The index's charts lead with gated metrics, then the model's own, then data checks'.
    @Test func metricsAreOrderedGatedThenPlainThenNamespaced() throws {
        let fixture = try SiteFixture()
        try fixture.commit("data", extraMetrics: ["missing.age": 0, "accuracy": 0.5, "zeta": 1])
        try fixture.build()
        let page = try fixture.text("metrics.html")
        let order = ["r2", "accuracy", "zeta", "missing.age"].map { page.range(of: ">\($0)<")?.lowerBound }
        #expect(order.allSatisfy { $0 != nil }, "\(page)")
        #expect(zip(order, order.dropFirst()).allSatisfy { $0! < $1! })
    }

    @Test func historyJSONHoldsEveryRecord() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        func json(_ path: String) throws -> [String: Any] {
            let data = try Data(contentsOf: fixture.output.appendingPathComponent(path))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let index = try json("history.json")
        #expect(index["model"] as? String == "housing")
        #expect(index["records"] as? Int == 3)
        let parts = try #require(index["parts"] as? [[String: Any]])
        #expect(parts.count == 1)
        #expect(parts.first?["href"] as? String == "history/1.json")
        #expect(parts.first?["records"] as? Int == 3)
        let records = try #require(try json("history/1.json")["records"] as? [[String: Any]])
        #expect(records.map { $0["commit"] as? String } == Array(fixture.commits[1...3]))
        #expect((records[1]["record"] as? [String: Any])?["verdict"] as? String == "pass")
        #expect((index["releases"] as? [[String: Any]])?.count == 4)
        let dashboard =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: fixture.output.appendingPathComponent("grafana-dashboard.json")))
            as? [String: Any]
        let panels = try #require(dashboard?["panels"] as? [[String: Any]])
        #expect(panels.count == 3 + 4 + 7)  // facts, metric charts, the serving row and its six panels
    }

    @Test func incrementalRebuildWritesOnlyWhatChanged() throws {
        let fixture = try SiteFixture()
        var options = SiteOptions()
        options.layout.commitsPerPage = 4
        options.layout.chartWindow = 5
        options.layout.indexWindow = 5
        options.layout.historyPart = 5
        for round in 1...11 { try fixture.commit("change \(round)", r2: 0.9 + Double(round) / 1000) }
        let first = try fixture.build(options)
        #expect(first.written == first.files)
        let before = try fixture.files()
        // Paging: 12 commits, 4 per page; every page holds at most 4 rows; windows of 5.
        #expect(
            before.keys.filter { $0.hasPrefix("commits/") }.sorted() == [
                "commits/1.html", "commits/2.html", "commits/3.html", "commits/latest.html",
            ])
        #expect(before.keys.filter { $0.hasPrefix("metrics/r2/") }.count == 3)
        let again = try fixture.build(options)
        #expect(again.written == 0)
        #expect(again.rendered < 10)

        let newest = try fixture.commit("one more", r2: 0.95)
        let after = try fixture.build(options)
        let written = Set(after.writtenPaths)
        #expect(written.contains("commit/\(newest).html"))
        #expect(written.contains("index.html"))
        #expect(written.contains("commits/4.html"))
        #expect(written.contains("commits/3.html"))  // gains its "newer" link
        #expect(written.contains("history.json") && written.contains("metrics.prom"))
        #expect(written.contains("history/3.json") && !written.contains("history/1.json"))
        #expect(!written.contains("commits/1.html") && !written.contains("metrics/r2/1.html"))
        #expect(after.written < 15, "\(after.writtenPaths)")
        let now = try fixture.files()
        for (path, data) in before where !written.contains(path) {
            #expect(now[path] == data, "\(path) changed unreported")
        }
        // What the incremental builds made is exactly what a fresh build makes.
        try fixture.commit("and another", r2: 0.96)
        try fixture.build(options)
        let fresh = try SiteFixture.build(fixture, into: fixture.repo.directory.appending("fresh"), options)
        let incremental = try fixture.files()
        #expect(fresh.keys.sorted() == incremental.keys.sorted())
        for (path, data) in fresh.sorted(by: { $0.key < $1.key }) {
            #expect(incremental[path] == data, "\(path) differs from a fresh build")
        }
        let history = try JSONSerialization.jsonObject(with: incremental["history.json"]!) as? [String: Any]
        #expect(history?["records"] as? Int == 13)
        // Parts of 5 positions: 14 commits (the root has no record) in three parts.
        let parts = (history?["parts"] as? [[String: Any]])?.compactMap { $0["href"] as? String }
        #expect(parts == ["history/1.json", "history/2.json", "history/3.json"])
        var records: [String] = []
        for part in parts ?? [] {
            let json = try JSONSerialization.jsonObject(with: incremental[part]!) as? [String: Any]
            records += (json?["records"] as? [[String: Any]] ?? []).compactMap { $0["commit"] as? String }
        }
        #expect(records.count == 13 && Set(records).count == 13)
    }

    /// An incremental build links the files it does not change (same inode, no copy) into the
    /// new site; one whose refs did not move but whose pages change (other options) links them
    /// late, with the same result as a fresh build.
    @Test func anIncrementalBuildLinksUnchangedFilesIntoTheNewSite() throws {
        let fixture = try SiteFixture()
        var options = SiteOptions()
        options.layout.commitsPerPage = 4
        for round in 1...6 { try fixture.commit("change \(round)", r2: 0.9 + Double(round) / 1000) }
        try fixture.build(options)
        func inode(_ path: String) throws -> Int? {
            try FileManager.default.attributesOfItem(
                atPath: fixture.output.appendingPathComponent(path).path)[
                    .systemFileNumber] as? Int
        }
        let unchanged = "commit/\(fixture.commits[1]).html"
        let before = try inode(unchanged)
        try fixture.commit("one more", r2: 0.95)
        let after = try fixture.build(options)
        #expect(!after.writtenPaths.contains(unchanged) && after.written > 0)
        #expect(try inode(unchanged) == before)

        var other = options
        other.layout.commitsPerPage = 3
        let relaid = try fixture.build(other)
        #expect(relaid.written > 0)
        let fresh = try SiteFixture.build(fixture, into: fixture.repo.directory.appending("fresh"), other)
        #expect(try fixture.files() == fresh)
        #expect(try fixture.besideOutput().isEmpty)
    }

    /// The output folder may come from elsewhere (a checked-out pages branch): a manifest naming
    /// paths outside the site cannot make a build remove them.
    @Test func aHostileManifestCannotRemoveFilesOutsideTheSite() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let victim = fixture.repo.directory.appending("victim.txt")
        try Data("keep me".utf8).write(to: victim)
        let manifest = fixture.output.appendingPathComponent(SiteWriter.manifestName)
        let text = try String(contentsOf: manifest, encoding: .utf8) + "../victim.txt\tk\td\n"
        try Data(text.utf8).write(to: manifest)
        try fixture.commit("new commit", r2: 0.97)
        let summary = try fixture.build()
        #expect(summary.written > 0)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me")
        let parsed = SiteWriter.parseManifest(
            Data(
                "\(SiteWriter.manifestHeader)\n../x\tk\td\n/abs\tk\td\na/./b\tk\td\na//b\tk\td\na/b\tk\td\nshort\n"
                    .utf8))
        #expect(parsed.keys.sorted() == ["a/b"])
    }

    @Test func aFailedBuildLeavesThePreviousSite() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let before = try fixture.files()
        try fixture.commit("new commit", r2: 0.97)
        let writer = SiteWriter(output: fixture.output, templates: try TemplateSet.load())
        struct Boom: Error {}
        let planned = [
            PlannedFile(path: "index.html", key: nil) { .bytes(Data("new index".utf8)) },
            PlannedFile(path: "commit/new.html", key: nil) { .page(template: "pages/page", context: [:]) },
            PlannedFile(path: "releases.html", key: nil) { throw Boom() },
        ]
        #expect(throws: Boom.self) { try writer.write(planned) }
        #expect(try fixture.files() == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.output.path)
            .filter { $0.hasPrefix(".modelgate-staging") }
        #expect(leftovers.isEmpty)
    }

    /// A first build is staged beside the folder and renamed into place: a failure leaves no
    /// folder and no staging folder behind, a success leaves only the site.
    @Test func aFirstBuildAppearsWholeOrNotAtAll() throws {
        let fixture = try Self.hostileFixture()
        let parent = fixture.repo.directory.appending("sites")
        let output = parent.appendingPathComponent("first")
        let failing = [
            PlannedFile(path: "index.html", key: nil) { .bytes(Data("index".utf8)) },
            PlannedFile(path: "commit/a.html", key: nil) { .page(template: "pages/nope", context: [:]) },
        ]
        #expect(throws: SiteError.self) {
            try SiteWriter(output: output, templates: try TemplateSet.load()).write(failing)
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).isEmpty)
        let summary = try SiteFixture.build(fixture, into: output, SiteOptions())
        #expect(!summary.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path) == ["first"])
    }

    /// Staging folders of builds that were killed are removed; one whose build still runs is
    /// kept, and so is one being created this instant.
    @Test func abandonedStagingFoldersAreSwept() throws {
        let fixture = try Self.hostileFixture()
        let parent = fixture.output.deletingLastPathComponent()
        let name = fixture.output.lastPathComponent
        let dead = parent.appendingPathComponent(".\(name).modelgate-staging-DEAD")
        let creating = parent.appendingPathComponent(".\(name).modelgate-staging-NEW.creating")
        let otherSite = parent.appendingPathComponent(".elsewhere.modelgate-staging-OLD")
        for folder in [dead, creating, otherSite] {
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent("pages"), withIntermediateDirectories: true)
        }
        let live = try OwnedDirectory(in: parent, name: ".\(name).modelgate-staging-LIVE")
        defer { live.remove() }
        try fixture.build()
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: live.url.path))
        #expect(FileManager.default.fileExists(atPath: creating.path))
        #expect(FileManager.default.fileExists(atPath: otherSite.path))  // not this site's
        // A build that changes pages sweeps too, and leaves nothing of its own beside the site.
        live.remove()
        try fixture.commit("new commit", r2: 0.97)
        try fixture.build()
        #expect(try fixture.besideOutput() == [creating.lastPathComponent])
    }

    /// Where the kernel cannot exchange two folders, the output is set aside under a name no
    /// sweep takes, the new site renamed in, and the aside folder removed.
    @Test func withoutAnExchangeTheSiteSwitchesByTwoRenames() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        try fixture.commit("new commit", r2: 0.97)
        let writer = SiteWriter(output: fixture.output, templates: try TemplateSet.load())
        let planned = [PlannedFile(path: "index.html", key: nil) { .bytes(Data("new index".utf8)) }]
        let summary = try writer.write(
            planned, through: SiteSwitch(output: fixture.output, canExchange: false))
        #expect(summary.written == 1)
        #expect(try fixture.text("index.html") == "new index")
        #expect(try fixture.besideOutput().isEmpty)
    }

    /// A build killed between the two renames left the previous site aside and no site: the
    /// next build puts it back before anything else (no sweep takes it), then builds. One
    /// killed while removing it after the switch leaves both: the aside copy is removed.
    @Test func aSiteLeftAsideByAKilledBuildIsRestored() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let before = try fixture.files()
        let aside = fixture.output.deletingLastPathComponent().appendingPathComponent(
            ".site.modelgate-previous")
        try FileManager.default.moveItem(at: fixture.output, to: aside)
        let dead = fixture.output.deletingLastPathComponent().appendingPathComponent(
            ".site.modelgate-staging-DEAD")
        try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
        let restored = try SiteSwitch(output: fixture.output, linkingEarly: false)
        #expect(!restored.isFirstBuild)
        #expect(try fixture.files() == before)
        #expect(!FileManager.default.fileExists(atPath: aside.path))
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        restored.discard()

        try FileManager.default.copyItem(at: fixture.output, to: aside)
        try fixture.commit("new commit", r2: 0.97)
        let summary = try fixture.build()
        #expect(summary.written > 0)
        #expect(!FileManager.default.fileExists(atPath: aside.path))
        #expect(try fixture.files() != before)
    }

    /// Pages are rendered on other threads; a page that fails there fails the build the same way.
    @Test func aPageFailingToRenderLeavesThePreviousSite() throws {
        let fixture = try Self.hostileFixture()
        try fixture.build()
        let before = try fixture.files()
        let writer = SiteWriter(output: fixture.output, templates: try TemplateSet.load())
        var planned = (0..<300).map { number in
            PlannedFile(path: "commit/\(number).html", key: nil) {
                .page(template: "pages/page", context: ["html": "<p>\(number)</p>"])
            }
        }
        planned.insert(
            PlannedFile(path: "index.html", key: nil) { .page(template: "pages/nope", context: [:]) }, at: 150
        )
        #expect(throws: SiteError.missingTemplate(name: "pages/nope", neededBy: "", directory: nil)) {
            try writer.write(planned)
        }
        #expect(try fixture.files() == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.output.path)
            .filter { $0.hasPrefix(".modelgate-staging") }
        #expect(leftovers.isEmpty)
    }

    @Test func missingPartialIsAnErrorNamingIt() throws {
        let fixture = try Self.hostileFixture()
        let templates = fixture.repo.directory.appending("templates")
        try FileManager.default.createDirectory(
            at: templates.appendingPathComponent("pages"), withIntermediateDirectories: true)
        try Data("{{> partials/head}}<p>{{> partials/nope}}</p>".utf8)
            .write(to: templates.appendingPathComponent("pages/index.mustache"))
        #expect(
            throws: SiteError.missingTemplate(
                name: "partials/nope", neededBy: "pages/index", directory: templates.path)
        ) {
            try fixture.build(SiteOptions(templates: templates))
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.output.path))
        // A working override replaces the default page.
        try Data("{{> partials/head}}<p>custom {{site.model}}</p>{{> partials/foot}}".utf8)
            .write(to: templates.appendingPathComponent("pages/index.mustache"))
        try fixture.build(SiteOptions(templates: templates))
        #expect(try fixture.text("index.html").contains("<p>custom housing</p>"))
    }

    @Test func anOutputThatIsAFileIsBadInput() throws {
        let fixture = try Self.hostileFixture()
        let file = fixture.repo.directory.appending("a-file")
        try Data("keep me\n".utf8).write(to: file)
        let error = #expect(throws: SiteError.self) {
            try SiteFixture.build(fixture, into: file, SiteOptions())
        }
        #expect(error == .notAFolder(file.path))
        #expect(error?.exitStatus == .badInput)
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep me\n")
    }

    @Test func unknownBranchIsBadInput() throws {
        let fixture = try Self.hostileFixture()
        #expect(throws: SiteError.unknownBranch("nope")) { try fixture.build(SiteOptions(branch: "nope")) }
        #expect(SiteError.unknownBranch("nope").exitStatus == .badInput)
        // Nothing was made: no folder, no staging folder beside it.
        let parent = fixture.output.deletingLastPathComponent()
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0.contains("site") }
                == [])
    }
}
