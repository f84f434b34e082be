import Diagnostics
import Foundation
import GitKit
import Markdown
import Pipeline

/// Turns a `SiteHistory` into the site's files: pages, charts, stylesheet and exports.
///
/// Every page has a key, a digest of what its content depends on, so that a rebuild renders
/// only pages whose inputs changed. Pages are paginated and charts windowed from the oldest
/// commit, so older pages and windows stay byte-for-byte the same as history grows.
final class SiteBuilder {
    let repository: Repository
    let layout: SiteLayout
    let history: SiteHistory
    let templates: TemplateSet
    let options: SiteOptions
    let title: String
    /// Markdown pages: (slug, title, source, text).
    let markdownPages: [(slug: String, title: String, source: String, text: String)]

    let entries: [SiteEntry]
    /// Index into `entries` of the nearest earlier evaluated entry, per entry.
    let previousEvaluated: [Int?]
    let positionByCommit: [ObjectID: Int]
    let releasesByCommit: [ObjectID: [Release]]
    let releasesByArtifact: [String: [Release]]
    /// Who vouched for each evaluated commit's record ("ci@example.com, verified" / "local,
    /// unsigned"), when HEAD's config has a trust policy; empty otherwise. Read once, before
    /// pages render on several threads, and part of each commit page's key, so a signature that
    /// arrives later re-renders the page.
    let vouchers: [ObjectID: String]
    /// Deployment records (`SiteBuilder+Deployments.swift`), read once like `vouchers`; each
    /// page showing one has it in its key.
    let deployments: DeploymentViews
    /// Every metric name: gated ones (newest record's gates) first, then by name, names with a
    /// dot (a data check's) last.
    let metrics: [String]
    /// The metrics shown as table columns: gated ones first, at most four.
    let keyMetrics: [String]
    /// The metrics that get chart pages, in `metrics` order: all of them, unless there are more
    /// than `SiteLayout.chartedMetrics`; then the gated ones and those the most records report.
    let chartedMetrics: [String]
    private let charted: Set<String>
    let globalKey: String
    let newestEvaluated: Int?
    /// Run reports looked up so far, by entry index (`runReport`); only the building thread
    /// plans and prepares pages, so no lock is needed.
    var runReportCache: [Int: RunReportPlan?] = [:]
    /// Release tag → the slug of its model card page, for releases that have one (set by `plan`).
    var cardSlugs: [String: String] = [:]

    init(repository: Repository, history: SiteHistory, templates: TemplateSet, options: SiteOptions) throws {
        self.repository = repository
        self.history = history
        self.templates = templates
        self.options = options
        layout = options.layout
        title = options.title ?? history.model
        entries = history.entries
        var previous: [Int?] = []
        previous.reserveCapacity(entries.count)
        var last: Int?
        var positions: [ObjectID: Int] = [:]
        for (index, entry) in entries.enumerated() {
            previous.append(last)
            if entry.isEvaluated { last = index }
            positions[entry.commit.id] = index
        }
        newestEvaluated = last
        previousEvaluated = previous
        positionByCommit = positions
        releasesByCommit = Dictionary(grouping: history.releases, by: \.commit)
        vouchers = Self.vouchers(of: entries, in: repository)
        deployments = Self.readDeployments(in: repository)
        releasesByArtifact = Dictionary(
            grouping: history.releases.filter { $0.artifact != nil }, by: { $0.artifact! })

        // How many records report each metric: what decides which metrics get chart pages when
        // there are too many for a page each (one note can hold 10,000 names).
        var reports: [String: Int] = [:]
        for entry in entries {
            guard let blob = entry.noteBlob else { continue }
            for name in history.loader.summary(blob).names { reports[name, default: 0] += 1 }
        }
        let names = Set(reports.keys)
        // Gated metrics first, so the index's charts lead with what decides a verdict.
        var gates: [String] = []
        if let last, let record = entries[last].record { gates = record.gates.map(\.metric) }
        metrics = MetricOrder.forReading(names, gates: gates)
        let gated = names.intersection(gates)
        keyMetrics = Array(metrics.prefix(gated.isEmpty ? 3 : min(4, max(gated.count, 1))))
        chartedMetrics = Self.charted(
            metrics, gated: gated, reports: reports, limit: options.layout.chartedMetrics)
        charted = Set(chartedMetrics)

        var pages: [(slug: String, title: String, source: String, text: String)] = []
        for page in templates.markdownPages {
            pages.append(
                (
                    Slug.make(page.name), SiteBuilder.heading(of: page.text) ?? page.name,
                    "modelgate (default page)", page.text
                ))
        }
        for path in options.pages {
            let text = try SiteBuilder.readPage(path, repository: repository, tip: history.tip?.commit.id)
            let name = (path as NSString).lastPathComponent
            let base = name.hasSuffix(".md") ? String(name.dropLast(3)) : name
            var slug = Slug.make(base.lowercased())
            while pages.contains(where: { $0.slug == slug }) { slug += "-2" }
            pages.append((slug, SiteBuilder.heading(of: text) ?? name, path, text))
        }
        markdownPages = pages
        var keyParts = [
            Tool.version, templates.digest, title, history.model, history.branch, options.baseURL ?? "",
            markdownPages.map { "\($0.slug)=\($0.title)" }.joined(separator: "\u{1}"),
        ]
        // Pages link only to charted metrics: when not all are, every page depends on which are.
        if chartedMetrics.count < metrics.count { keyParts.append(chartedMetrics.joined(separator: "\u{1}")) }
        globalKey = SHA256Hex.of(parts: keyParts)
    }

    // MARK: - Shared context

    lazy var siteContext: [String: Any] = {
        var nav: [[String: Any]] = [
            ["href": "index.html", "label": "Overview"],
            // A stable name for the newest page, so that every page's navigation stays the same
            // when a new page of commits starts.
            ["href": "commits/latest.html", "label": "Commits"],
            ["href": "metrics.html", "label": "Metrics"],
            ["href": "releases.html", "label": "Releases"],
        ]
        for page in markdownPages { nav.append(["href": "pages/\(page.slug).html", "label": page.title]) }
        return [
            "title": title, "model": history.model, "branch": history.branch,
            "tool": "\(Tool.name) \(Tool.version)", "nav": nav,
        ]
    }()

    var latestCommitsPage: Int { max(1, (entries.count + layout.commitsPerPage - 1) / layout.commitsPerPage) }

    func commitsPageHref(_ page: Int) -> String { "commits/\(page).html" }
    func commitHref(_ id: ObjectID) -> String { "commit/\(id.hex).html" }
    func metricWindowCount() -> Int { max(1, (entries.count + layout.chartWindow - 1) / layout.chartWindow) }
    /// `metrics` when there are at most `limit`, else `limit` of them in the same order: the gated
    /// ones, then those reported by the most records (ties: the earlier in `metrics`).
    static func charted(_ metrics: [String], gated: Set<String>, reports: [String: Int], limit: Int)
        -> [String]
    {
        guard metrics.count > limit else { return metrics }
        let ranked = metrics.indices.sorted { first, second in
            let (one, other) = (metrics[first], metrics[second])
            if gated.contains(one) != gated.contains(other) { return gated.contains(one) }
            let (oneCount, otherCount) = (reports[one] ?? 0, reports[other] ?? 0)
            return oneCount != otherCount ? oneCount > otherCount : first < second
        }
        return ranked.prefix(limit).sorted().map { metrics[$0] }
    }

    /// The page of `name`'s chart, nil when it has none (see `chartedMetrics`).
    func chartHref(_ name: String, window: Int? = nil) -> String? {
        charted.contains(name) ? metricHref(name, window: window) : nil
    }

    func metricHref(_ name: String, window: Int? = nil) -> String {
        "metrics/\(Slug.make(name))/\(window ?? metricWindowCount()).html"
    }

    func context(root: String, title pageTitle: String, _ extra: [String: Any]) -> [String: Any] {
        var context = extra
        context["root"] = root
        context["pageTitle"] = pageTitle
        context["site"] = siteContext
        return context
    }

    /// Page `template` with the shared context plus `extra`, to be rendered by the writer.
    func render(_ template: String, root: String, title: String, _ extra: [String: Any]) -> FileContent {
        .page(template: template, context: context(root: root, title: title, extra))
    }

    // MARK: - Plan

    /// Every file of the site.
    func plan() -> [PlannedFile] {
        var files: [PlannedFile] = []
        files.append(
            PlannedFile(path: "style.css", key: SHA256Hex.of(parts: [globalKey, "css"])) { [templates] in
                .bytes(Data(templates.stylesheet.utf8))
            })
        files.append(PlannedFile(path: "index.html", key: nil) { [unowned self] in try indexPage() })
        files.append(PlannedFile(path: "metrics.html", key: nil) { [unowned self] in try metricsPage() })
        let cards = cardPlans()
        cardSlugs = Dictionary(
            cards.map { ($0.release.tag, $0.slug) }, uniquingKeysWith: { first, _ in first })
        files += cardFiles(cards)
        files.append(
            PlannedFile(
                path: "releases.html", key: SHA256Hex.of(parts: [releasesKey(), "cards"] + cards.map(\.key))
            ) {
                [unowned self] in try releasesPage()
            })
        for page in markdownPages {
            files.append(
                PlannedFile(
                    path: "pages/\(page.slug).html",
                    key: SHA256Hex.of(parts: [globalKey, page.source, page.text])
                ) {
                    [unowned self] in
                    render(
                        "pages/page", root: "../", title: page.title,
                        ["html": MarkdownPage.html(from: page.text), "source": page.source])
                })
        }
        for page in 1...latestCommitsPage {
            files.append(
                PlannedFile(path: commitsPageHref(page), key: commitsPageKey(page)) { [unowned self] in
                    try commitsPage(page)
                })
        }
        let latestKey = SHA256Hex.of(parts: ["latest", commitsPageKey(latestCommitsPage)])
        files.append(
            PlannedFile(path: "commits/latest.html", key: latestKey) { [unowned self] in
                try commitsPage(latestCommitsPage)
            })
        for (index, entry) in entries.enumerated() where entry.isEvaluated {
            let pageKey = commitPageKey(index)
            files.append(
                PlannedFile(path: commitHref(entry.commit.id), key: pageKey) { [unowned self] in
                    try commitPage(index)
                })
            files.append(
                PlannedFile(
                    path: generatedReportHref(entry.commit.id), key: SHA256Hex.of(parts: [pageKey, "md"])
                ) { [unowned self] in try generatedReport(index) })
            files += runReportFiles(index)
        }
        for env in deployments.byEnvironment.keys.sorted() {
            files.append(
                PlannedFile(path: environmentHref(env), key: environmentPageKey(env)) { [unowned self] in
                    try environmentPage(env)
                })
        }
        let windows = metricWindowCount()
        for window in 1...windows {
            let range = windowRange(window)
            let windowKey = metricWindowKey(range, hasNewer: window < windows)
            for name in chartedMetrics {
                files.append(
                    PlannedFile(
                        path: metricHref(name, window: window), key: SHA256Hex.of(parts: [windowKey, name])
                    ) {
                        [unowned self] in try metricPage(name, window: window)
                    })
            }
        }
        let export = HistoryExport(builder: self)
        for part in export.parts() {
            files.append(
                PlannedFile(path: export.href(part), key: export.key(part)) { .bytes(export.part(part)) })
        }
        files.append(PlannedFile(path: HistoryExport.indexPath, key: nil) { .bytes(export.index()) })
        files.append(
            PlannedFile(path: "metrics.prom", key: nil) { [unowned self] in
                .bytes(Data(PrometheusExport(builder: self).text().utf8))
            })
        files.append(
            PlannedFile(path: "grafana-dashboard.json", key: nil) { [unowned self] in
                .bytes(GrafanaDashboard(builder: self).json())
            })
        return files
    }

    // MARK: - Keys

    func entryKey(_ index: Int?) -> String { index.map { entries[$0].key } ?? "-" }

    func releaseKey(_ release: Release) -> String {
        "\(release.tag)|\(release.commit.hex)|\(release.date.timeIntervalSince1970)|\(release.trailers.map { "\($0.key)=\($0.value)" })|\(release.body)"
    }

    func releasesKey() -> String {
        var parts = [globalKey, "releases"]
        for release in history.releases {
            parts.append(releaseKey(release))
            parts.append(entryKey(positionByCommit[release.commit]))
        }
        return SHA256Hex.of(parts: parts)
    }

    func commitsPageKey(_ page: Int) -> String {
        let range = commitsRange(page)
        var parts = [
            globalKey, "commits", keyMetrics.joined(separator: "\u{1}"), String(page < latestCommitsPage),
        ]
        parts.append(entryKey(previousEvaluated[range.lowerBound]))
        for index in range { parts.append(entryKey(index)) }
        return SHA256Hex.of(parts: parts)
    }

    /// `vouchers`: a trust policy's verdict on every evaluated commit's record. A policy whose
    /// signers file cannot be read vouches for nobody here (`verify` names the problem).
    static func vouchers(of entries: [SiteEntry], in repository: Repository) -> [ObjectID: String] {
        guard let (_, signers) = (try? TrustedVerdicts.policy(in: repository)) ?? nil else { return [:] }
        let trust = TrustedVerdicts(repository: repository, signers: signers)
        var vouchers: [ObjectID: String] = [:]
        for entry in entries where entry.isEvaluated {
            vouchers[entry.commit.id] = try? trust.voucher(for: entry.commit.id)
        }
        return vouchers
    }

    func commitPageKey(_ index: Int) -> String {
        let entry = entries[index]
        var parts = [globalKey, "commit", entryKey(index), entryKey(previousEvaluated[index])]
        parts.append(vouchers[entry.commit.id] ?? "-")
        parts.append(deploymentsKey(for: entry.commit.id))
        parts.append(entry.commit.parentIDs.first?.hex ?? "-")
        if let blob = entry.noteBlob, let baseline = history.loader.summary(blob).baseline {
            parts.append(baseline.hex + ":" + (positionByCommit[baseline].map { entryKey($0) } ?? "outside"))
        }
        for release in releases(for: entry) { parts.append(releaseKey(release)) }
        // The run report shows once this machine's run store has it.
        parts.append(runReport(index).map { "report:" + $0.key.reference.sha256 } ?? "-")
        return SHA256Hex.of(parts: parts)
    }

    func metricWindowKey(_ range: Range<Int>, hasNewer: Bool) -> String {
        var parts = [globalKey, "metric", String(hasNewer), deploymentMarkersKey(in: range)]
        for index in range { parts.append(entryKey(index)) }
        for release in history.releases {
            if let position = positionByCommit[release.commit], range.contains(position) {
                parts.append(releaseKey(release))
            }
        }
        return SHA256Hex.of(parts: parts)
    }

    func commitsRange(_ page: Int) -> Range<Int> {
        let start = (page - 1) * layout.commitsPerPage
        return start..<min(entries.count, start + layout.commitsPerPage)
    }

    func windowRange(_ window: Int) -> Range<Int> {
        let start = (window - 1) * layout.chartWindow
        return start..<min(entries.count, start + layout.chartWindow)
    }

    func releases(for entry: SiteEntry) -> [Release] {
        var result = releasesByCommit[entry.commit.id] ?? []
        if let blob = entry.noteBlob, let artifact = history.loader.summary(blob).artifact {
            for release in releasesByArtifact[artifact] ?? [] where !result.contains(release) {
                result.append(release)
            }
        }
        return result
    }

    // MARK: - Rows and charts

    /// pass, fail or error; "unreadable" for a note that is not a usable record; "none" without one.
    func verdict(_ entry: SiteEntry) -> String {
        entry.record?.verdict.rawValue ?? (entry.unreadable != nil ? "unreadable" : "none")
    }

    func commitRow(_ index: Int) -> [String: Any] {
        let entry = entries[index]
        let previous = previousEvaluated[index].flatMap { entries[$0].record }
        var row: [String: Any] = [
            "short": entry.commit.id.short, "summary": entry.commit.summary,
            "author": entry.commit.author.name,
            "date": Format.date(entry.commit.committer.date), "verdict": verdict(entry),
        ]
        if entry.isEvaluated { row["href"] = commitHref(entry.commit.id) }
        if let reason = entry.unreadable { row["unreadable"] = reason }
        row["metrics"] = keyMetrics.map { name -> [String: Any] in
            let value = entry.record?.metrics[name]
            let delta = value.flatMap { value in previous?.metrics[name].map { value - $0 } }
            var cell: [String: Any] = ["value": entry.record == nil ? "" : Format.value(value, metric: name)]
            if let delta {
                cell["delta"] = Format.delta(delta, baseline: previous?.metrics[name], metric: name)
                cell["direction"] = Format.direction(delta)
            }
            return cell
        }
        return row
    }

    func keyMetricsContext() -> [[String: Any]] { keyMetrics.map { ["name": $0] } }

    /// The chart of `metric` over entries `range`, links relative to a page at `root`.
    func chart(_ metric: String, range: Range<Int>, root: String, size: Chart.Size = .compact) -> Chart {
        var points: [Chart.Point] = []
        var thresholds: [Chart.Threshold] = []
        var newest: RunRecord?
        for index in range {
            let entry = entries[index]
            guard let record = entry.record, let value = record.metrics[metric] else { continue }
            newest = record
            points.append(
                Chart.Point(
                    x: index, value: value, commit: entry.commit.id.short,
                    date: Format.date(entry.commit.committer.date),
                    failed: record.verdict != .pass, href: root + commitHref(entry.commit.id),
                    interval: Chart.valueInterval(of: metric, in: record)))
        }
        for gate in newest?.gates ?? []
        where gate.metric == metric && (gate.kind == .min || gate.kind == .max) {
            thresholds.append(Chart.Threshold(value: gate.limit, label: "\(metric) \(Format.limit(gate))"))
        }
        var markers: [Chart.Marker] = []
        for release in history.releases {
            if let position = positionByCommit[release.commit], range.contains(position) {
                markers.append(Chart.Marker(x: position, label: release.tag))
            }
        }
        markers += deploymentMarkers(in: range)
        let first = entries[range.lowerBound]
        let last = entries[range.upperBound - 1]
        return Chart(
            metric: metric, points: points, thresholds: thresholds, markers: markers,
            xRange: range.lowerBound...(range.upperBound - 1),
            startLabel: "\(first.commit.id.short) \(Format.date(first.commit.committer.date).prefix(10))",
            endLabel: "\(last.commit.id.short) \(Format.date(last.commit.committer.date).prefix(10))",
            size: size)
    }

    // MARK: - Pages

    func indexPage() throws -> FileContent {
        var extra: [String: Any] = [:]
        if let newestEvaluated {
            let entry = entries[newestEvaluated]
            var current: [String: Any] = [
                "verdict": verdict(entry), "short": entry.commit.id.short, "summary": entry.commit.summary,
                "href": commitHref(entry.commit.id), "date": Format.date(entry.commit.committer.date),
                "author": entry.commit.author.name,
            ]
            if let reason = entry.unreadable { current["unreadable"] = reason }
            extra["current"] = current
            if newestEvaluated != entries.count - 1 {
                extra["tipNotEvaluated"] = ["tipShort": entries[entries.count - 1].commit.id.short]
            }
        }
        extra["liveNow"] = liveNowRows()
        extra["latestReleases"] = latestReleasePerEnvironment().map { release -> [String: Any] in
            var row: [String: Any] = [
                "environment": release.environment ?? "plain tag", "tag": release.tag,
                "short": release.commit.short,
                "date": Format.date(release.date),
            ]
            if let position = positionByCommit[release.commit], entries[position].isEvaluated {
                row["href"] = commitHref(release.commit)
            }
            return row
        }
        let range = max(0, entries.count - layout.indexWindow)..<entries.count
        let latest = newestEvaluated.flatMap { entries[$0].record }
        // Series that did not move in the window become a line of text (SteadyMetrics).
        let steady = SteadyMetrics(chartedMetrics, gated: Set(latest?.gates.map(\.metric) ?? [])) { name in
            range.compactMap { entries[$0].record?.metrics[name] }
        }
        extra["charts"] = steady.charted.prefix(layout.indexCharts).map { name -> [String: Any] in
            [
                "name": name, "href": metricHref(name),
                "latest": Format.value(latest?.metrics[name], metric: name),
                "svg": chart(name, range: range, root: "").svg(),
            ]
        }
        extra.merge(steady.context { self.metricHref($0) }) { _, new in new }
        if steady.charted.count > layout.indexCharts {
            extra["moreMetrics"] = ["shown": layout.indexCharts, "total": metrics.count]
        }
        extra["windowSize"] = min(layout.indexWindow, entries.count)
        extra["keyMetrics"] = keyMetricsContext()
        extra["rows"] = (max(0, entries.count - layout.recentCommits)..<entries.count).reversed().map {
            commitRow($0)
        }
        extra["allCommitsHref"] = "commits/latest.html"
        extra["commitCount"] = entries.count
        extra["evaluatedCount"] = entries.reduce(0) { $0 + ($1.isEvaluated ? 1 : 0) }
        return render("pages/index", root: "", title: "Overview", extra)
    }

    func latestReleasePerEnvironment() -> [Release] {
        var seen = Set<String>()
        var result: [Release] = []
        for release in history.releases {  // newest first
            let environment = release.environment ?? ""
            if seen.insert(environment).inserted { result.append(release) }
        }
        return result.sorted { ($0.environment ?? "\u{FFFF}") < ($1.environment ?? "\u{FFFF}") }
    }

    func commitsPage(_ page: Int) throws -> FileContent {
        let range = commitsRange(page)
        var extra: [String: Any] = [
            "first": range.lowerBound + 1, "last": range.upperBound, "keyMetrics": keyMetricsContext(),
            "rows": range.reversed().map { commitRow($0) },
        ]
        if page < latestCommitsPage {
            extra["newer"] = ["href": "\(page + 1).html", "label": "page \(page + 1)"]
        }
        if page > 1 { extra["older"] = ["href": "\(page - 1).html", "label": "page \(page - 1)"] }
        return render(
            "pages/commits", root: "../", title: "Commits \(range.lowerBound + 1)–\(range.upperBound)", extra)
    }

    func metricsPage() throws -> FileContent {
        let latest = newestEvaluated.flatMap { entries[$0].record }
        let rows = metrics.map { name -> [String: Any] in
            let gates = (latest?.gates ?? []).filter { $0.metric == name }.map { Format.limit($0) }
            var row: [String: Any] = [
                "name": name, "latest": Format.value(latest?.metrics[name], metric: name),
                "gates": gates.joined(separator: ", "),
            ]
            if let href = chartHref(name) { row["href"] = href }
            return row
        }
        var extra: [String: Any] = ["metrics": rows]
        if chartedMetrics.count < metrics.count {
            extra["uncharted"] = ["charted": chartedMetrics.count, "total": metrics.count]
        }
        return render("pages/metrics", root: "", title: "Metrics", extra)
    }

    func metricPage(_ name: String, window: Int) throws -> FileContent {
        let range = windowRange(window)
        let windows = metricWindowCount()
        var values: [Double] = []
        var newest: SiteEntry?
        for index in range {
            let entry = entries[index]
            guard let value = entry.record?.metrics[name], value.isFinite else { continue }
            values.append(value)
            newest = entry
        }
        var extra: [String: Any] = [
            "name": name, "first": range.lowerBound + 1, "last": range.upperBound, "count": values.count,
            "svg": chart(name, range: range, root: "../../", size: .wide).svg(),
        ]
        if let newest, let low = values.min(), let high = values.max() {
            extra["lowest"] = Format.value(low, metric: name)
            extra["highest"] = Format.value(high, metric: name)
            extra["newest"] = Format.value(values.last, metric: name)
            extra["newestHref"] = commitHref(newest.commit.id)
            extra["newestShort"] = newest.commit.id.short
        }
        if window < windows {
            extra["newer"] = ["href": "\(window + 1).html", "label": "commits from \(range.upperBound + 1)"]
        }
        if window > 1 {
            extra["older"] = [
                "href": "\(window - 1).html",
                "label": "commits \(range.lowerBound - layout.chartWindow + 1)–\(range.lowerBound)",
            ]
        }
        return render("pages/metric", root: "../../", title: name, extra)
    }

    func releasesPage() throws -> FileContent {
        let groups = Dictionary(grouping: history.releases) { $0.environment ?? "" }
        let names = groups.keys.sorted { ($0.isEmpty ? "\u{FFFF}" : $0) < ($1.isEmpty ? "\u{FFFF}" : $1) }
        let environments = names.map { name -> [String: Any] in
            let releases = groups[name]!.map { release -> [String: Any] in
                var row: [String: Any] = [
                    "tag": release.tag, "anchor": "release-" + Slug.make(release.tag),
                    "short": release.commit.short,
                    "date": Format.date(release.date), "body": release.body,
                ]
                if let artifact = release.artifact { row["artifact"] = artifact }
                if let metrics = release.metrics { row["metricsTrailer"] = Format.metrics(trailer: metrics) }
                if let slug = cardSlugs[release.tag] { row["card"] = "releases/\(slug).html" }
                if let position = positionByCommit[release.commit] {
                    let entry = entries[position]
                    row["summary"] = entry.commit.summary
                    if let record = entry.record {
                        row["href"] = commitHref(release.commit)
                        if row["artifact"] == nil, let artifact = record.artifact {
                            row["artifact"] = artifact
                        }
                        let shown = keyMetrics.filter { record.metrics[$0] != nil }
                        row["metrics"] = shown.enumerated().map { offset, metric -> [String: Any] in
                            [
                                "name": metric, "value": Format.value(record.metrics[metric], metric: metric),
                                "last": offset == shown.count - 1,
                            ]
                        }
                        row["hasMetrics"] = !shown.isEmpty
                    }
                } else if let commit = try? repository.commit(release.commit) {
                    row["summary"] = commit.summary + " (not on \(history.branch))"
                }
                return row
            }
            return ["name": name.isEmpty ? "Plain tags" : name, "releases": releases]
        }
        return render("pages/releases", root: "", title: "Releases", ["environments": environments])
    }

    func commitPage(_ index: Int) throws -> FileContent {
        let entry = entries[index]
        guard let record = entry.record else {
            let reason = entry.unreadable ?? "the note could not be read"
            return render(
                "pages/page", root: "../", title: entry.commit.id.short,
                [
                    "html":
                        "<h1>\(HTML.escape(entry.commit.id.short)) \(HTML.escape(entry.commit.summary))</h1><p class=\"error\">The run record of this commit is unreadable: \(HTML.escape(reason))</p><p>Look at it with <code>git notes --ref=modelgate show \(HTML.escape(entry.commit.id.short))</code>; <code>modelgate run --rev \(HTML.escape(entry.commit.id.short)) --force</code> replaces it with a fresh record.</p>",
                    "source": "refs/notes/modelgate",
                ])
        }
        let previous = previousEvaluated[index].map { entries[$0] }
        let baselineID = record.baseline?.commit.flatMap { ObjectID(hex: $0) }
        let baselineRecord: RunRecord? = baselineID.flatMap { id in
            positionByCommit[id].flatMap { entries[$0].record }
                ?? (try? RecordNotes(repository: repository).record(on: id)) ?? nil
        }
        var extra: [String: Any] = [
            "id": entry.commit.id.hex, "short": entry.commit.id.short, "summary": entry.commit.summary,
            "author": "\(entry.commit.author.name) <\(entry.commit.author.email)>",
            "date": Format.date(entry.commit.author.date), "verdict": record.verdict.rawValue,
            "started": Format.date(record.started),
            "duration": Format.duration(milliseconds: record.durationMilliseconds),
            "tool": record.tool, "source": record.source, "fingerprint": record.fingerprint,
        ]
        if let voucher = vouchers[entry.commit.id] { extra["vouched"] = voucher }
        let deployed = deployedRows(for: entry.commit.id)
        if !deployed.isEmpty { extra["deployed"] = ["periods": deployed] }
        let body = entry.commit.message.trimmingCharacters(in: .whitespacesAndNewlines)
        if body != entry.commit.summary { extra["message"] = body }
        if let error = record.error { extra["error"] = error }
        if let artifact = record.artifact { extra["artifact"] = artifact }
        if let previous {
            extra["previous"] = [
                "short": previous.commit.id.short, "summary": previous.commit.summary,
                "href": commitHref(previous.commit.id),
            ]
        }
        if let baseline = record.baseline {
            var context: [String: Any] = ["policy": baseline.policy, "comparison": baseline.comparison]
            if let id = baselineID {
                context["short"] = id.short
                if let position = positionByCommit[id], entries[position].isEvaluated {
                    context["href"] = commitHref(id)
                }
            } else {
                context["short"] = "none"
            }
            extra["baseline"] = context
        }
        let releases = releases(for: entry)
        extra["hasReleases"] = !releases.isEmpty
        extra["releases"] = releases.map { release -> [String: Any] in
            var row: [String: Any] = ["tag": release.tag, "anchor": "release-" + Slug.make(release.tag)]
            if let environment = release.environment { row["environment"] = environment }
            return row
        }
        extra["hasGates"] = !record.gates.isEmpty
        extra["gates"] = record.gates.map { gate -> [String: Any] in
            var row: [String: Any] = [
                "metric": gate.metric, "limit": Format.limit(gate),
                "value": Format.value(gate.value, metric: gate.metric),
                "baseline": Format.value(gate.baseline, metric: gate.metric), "status": gate.status.rawValue,
            ]
            // A gate with a confidence level: its interval and outcome in words (escaped by Mustache).
            if let line = RunReport.significanceLine(gate) { row["significance"] = line }
            return row
        }
        let previousMetrics = previous?.record?.metrics
        let metricRowList = record.metrics.keys.sorted().map { name -> [String: String] in
            let value = record.metrics[name]!
            let parentDelta = previousMetrics?[name].map { value - $0 }
            let baselineDelta = baselineRecord?.metrics[name].map { value - $0 }
            var row = [
                "name": name, "value": Format.value(value, metric: name),
                "parentDelta": Format.delta(parentDelta, baseline: previousMetrics?[name], metric: name),
                "parentDirection": Format.direction(parentDelta),
                "baselineDelta": Format.delta(
                    baselineDelta, baseline: baselineRecord?.metrics[name], metric: name),
                "baselineDirection": Format.direction(baselineDelta),
            ]
            row["href"] = chartHref(name, window: index / layout.chartWindow + 1)
            return row
        }
        extra["metrics"] = metricRowList
        // The same rows as one pre-escaped HTML string: a record can carry hundreds of metrics,
        // and rendering them through Mustache dominated full builds (see benchmarks/site).
        var metricRows = ""
        metricRows.reserveCapacity(metricRowList.count * 200)
        for row in metricRowList {
            let name = HTML.escape(row["name"]!)
            metricRows +=
                "<tr><td>" + (row["href"].map { "<a href=\"../\(HTML.escape($0))\">\(name)</a>" } ?? name)
                + "</td>"
            metricRows += "<td class=\"num\">\(HTML.escape(row["value"]!))</td>"
            metricRows +=
                "<td class=\"num\"><span class=\"delta \(row["parentDirection"]!)\">\(HTML.escape(row["parentDelta"]!))</span></td>"
            metricRows +=
                "<td class=\"num\"><span class=\"delta \(row["baselineDirection"]!)\">\(HTML.escape(row["baselineDelta"]!))</span></td></tr>\n"
        }
        extra["metricRows"] = metricRows
        extra["stages"] = record.stages.map { stage -> [String: Any] in
            // A reused stage shows the time it took when it ran; older records did not keep it.
            let time = Format.duration(milliseconds: stage.durationMilliseconds)
            return [
                "name": stage.name, "status": stage.status, "cached": stage.cached,
                "duration": !stage.cached ? time : record.cachedFrom == nil ? "cached" : "\(time) (cached)",
            ]
        }
        if RunReport.isReused(record) { extra["cachedFrom"] = RunReport.timing(record) }
        let (changes, total) = try repository.changedFiles(
            from: entry.commit.parentIDs.first, to: entry.commit.id, limit: layout.changedFilesShown)
        extra["hasChanges"] = !changes.isEmpty
        if total > changes.count { extra["truncated"] = total - changes.count }
        extra["changes"] = changes.map { change -> [String: Any] in
            var row: [String: Any] = [
                "status": change.status.rawValue, "path": change.path,
                "blob": (change.newID ?? change.oldID).map { String($0.hex.prefix(12)) } ?? "",
                "isInput": record.inputs[change.path] != nil, "rows": rowCounts(change),
            ]
            if let oldPath = change.oldPath { row["oldPath"] = oldPath }
            return row
        }
        extra["markdownReport"] = "\(entry.commit.id.hex).md"
        if let runReport = runReportContext(index) { extra["runReport"] = runReport }
        if let report = try report(for: entry.commit.id) {
            extra["report"] = ["path": report.path, "html": MarkdownPage.html(from: report.text)]
        }
        return render(
            "pages/commit", root: "../", title: "\(entry.commit.id.short) \(entry.commit.summary)", extra)
    }

    /// "120 → 130" for CSV/TSV files small enough to count cheaply, else "".
    func rowCounts(_ change: ChangedFile) -> String {
        let lower = change.path.lowercased()
        guard lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") else { return "" }
        func rows(_ id: ObjectID?) -> Int? {
            guard let id, let data = try? repository.blob(id), data.count <= layout.rowCountLimit else {
                return nil
            }
            var lines = 0
            for byte in data where byte == 0x0A { lines += 1 }
            if let last = data.last, last != 0x0A { lines += 1 }
            return max(0, lines - 1)  // minus the header
        }
        let before = rows(change.oldID)
        let after = rows(change.newID)
        switch (before, after) {
        case (nil, nil): return ""
        case (let before?, let after?): return "\(before) → \(after)"
        case (nil, let after?): return "\(after)"
        case (let before?, nil): return "\(before) → 0"
        }
    }

    /// The commit's `report.md` (the shallowest one), if its tree has one.
    func report(for commit: ObjectID) throws -> (path: String, text: String)? {
        let candidates = try repository.treeEntries(commit: commit, matching: ["report.md", "**/report.md"])
            .filter { $0.mode != .gitlink }
            .sorted {
                ($0.path.split(separator: "/").count, $0.path) < (
                    $1.path.split(separator: "/").count, $1.path
                )
            }
        guard let entry = candidates.first else { return nil }
        return (entry.path, String(decoding: try repository.blob(entry.id), as: UTF8.self))
    }

    // MARK: - Helpers

    static func heading(of markdown: String) -> String? {
        for line in markdown.split(separator: "\n", maxSplits: 40) where line.hasPrefix("# ") {
            let text = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { return text }
        }
        return nil
    }

    static func readPage(_ path: String, repository: Repository, tip: ObjectID?) throws -> String {
        if let tip,
            let entry = try? repository.treeEntries(commit: tip, matching: [path]).first(where: {
                $0.path == path
            }),
            let data = try? repository.blob(entry.id)
        {
            return String(decoding: data, as: UTF8.self)
        }
        let base =
            repository.workingDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SiteError.unreadablePage(path)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
