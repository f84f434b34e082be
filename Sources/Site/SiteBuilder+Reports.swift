import Foundation
import GitKit
import Pipeline

/// The two Markdown reports beside each commit page: the run's own (a stage's `report:`, with
/// its images copied next to the page) and the generated one (`commit/<sha>.md`, the Markdown
/// `modelgate report --format markdown` prints for a PR comment).
extension SiteBuilder {
    /// A run report found in this machine's run store, and where each of its images goes in the
    /// site.
    struct RunReportPlan {
        let key: RecordLoader.ReportKey
        let report: StageReport
        /// Image → its path relative to the site root (`commit/<sha>/01-confusion.png`).
        let files: [(image: StageReport.Image, path: String)]
    }

    /// The run report of the entry at `index`, when its record names one and the run store
    /// holds it.
    func runReport(_ index: Int) -> RunReportPlan? {
        if let known = runReportCache[index] { return known }
        let entry = entries[index]
        var plan: RunReportPlan?
        if let blob = entry.noteBlob, let key = history.loader.summary(blob).report,
            let report = StageReports(repository: repository).report(
                key.reference, fingerprint: key.fingerprint)
        {
            let files = report.images.enumerated().map { offset, image in
                (image, "commit/\(entry.commit.id.hex)/\(Self.siteName(of: image, number: offset + 1))")
            }
            plan = RunReportPlan(key: key, report: report, files: files)
        }
        runReportCache[index] = .some(plan)
        return plan
    }

    /// `NN-name.ext`: the image's file name reduced to letters, digits, `-` and `_` (at most 40),
    /// numbered, with the extension of its kind, so no name from a run can reach outside the
    /// commit's folder or clash with another.
    static func siteName(of image: StageReport.Image, number: Int) -> String {
        let base = (image.path.split(separator: "/").last.map(String.init) ?? "image")
        let stem = base.lastIndex(of: ".").map { String(base[..<$0]) } ?? base
        var name = String(
            stem.unicodeScalars.prefix(40).map { scalar -> Character in
                scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_")
                    ? Character(scalar) : "-"
            })
        if name.isEmpty { name = "image" }
        return String(format: "%02d", number) + "-" + name + "." + image.kind.fileExtension
    }

    /// The report's images as site files; one whose bytes no longer check out in the run store
    /// is written empty (the page shows a broken image, never other bytes).
    func runReportFiles(_ index: Int) -> [PlannedFile] {
        guard let plan = runReport(index) else { return [] }
        let reports = StageReports(repository: repository)
        return plan.files.map { image, path in
            PlannedFile(path: path, key: SHA256Hex.of(parts: ["report-image", image.sha256])) {
                .bytes(reports.data(of: image, fingerprint: plan.key.fingerprint) ?? Data())
            }
        }
    }

    /// The run report's section of the commit page.
    func runReportContext(_ index: Int) -> [String: Any]? {
        guard let plan = runReport(index) else { return nil }
        // The page is commit/<sha>.html, so an image's URL from it drops "commit/".
        var local: [String: String] = [:]
        for (image, path) in plan.files { local[image.url] = String(path.dropFirst("commit/".count)) }
        return [
            "path": plan.report.path,
            "html": MarkdownPage.html(from: plan.report.markdown, localImages: local),
            "images": plan.files.count,
        ]
    }

    /// `commit/<sha>.md`: the verdict as `modelgate report --format markdown` prints it.
    func generatedReport(_ index: Int) throws -> FileContent {
        let entry = entries[index]
        guard let record = entry.record else { return .bytes(Data()) }
        let root = options.baseURL.flatMap { ForgeReport.siteURLProblem($0) == nil ? $0 : nil }
        var report: ForgeReport
        switch reportBaseline(index, record: record) {
        case .inHistory(let baseline):
            report = ForgeReport(
                record: record, commit: entry.commit.id.hex, baseline: baseline,
                siteURL: root.map { ForgeReport.commitPage(siteRoot: $0, commit: entry.commit.id) })
        case .outsideHistory:
            report = try ForgeReport(record: record, commit: entry.commit.id, in: repository, siteRoot: root)
        }
        report.signer = vouchers[entry.commit.id]
        return .later { [report] in Data(MarkdownReport.render(report).utf8) }
    }

    /// Where the generated report's baseline comes from.
    enum ReportBaseline {
        /// Found among the entries (nil: there is none); the repository need not be asked.
        case inHistory((commit: String, record: RunRecord)?)
        /// The search leaves the history: `ForgeReport` reads notes itself.
        case outsideHistory
    }

    /// The baseline `ForgeReport(record:commit:in:siteRoot:)` finds for the record at `index`,
    /// taken from the records this build has already decoded (reading and decoding the note
    /// again was a fifth of a full build).
    ///
    /// The same rules: the commit the record names, with its readable record or none; else the
    /// nearest of the first-parent ancestors (`ForgeReport.baselineSearchLimit` of them, from the
    /// parent) whose record passed. `entries` is that first-parent chain, oldest first.
    func reportBaseline(_ index: Int, record: RunRecord) -> ReportBaseline {
        if let named = record.baseline?.commit.flatMap(ObjectID.init(hex:)) {
            guard let position = positionByCommit[named] else { return .outsideHistory }
            return .inHistory(entries[position].record.map { (named.hex, $0) })
        }
        let oldest = index - ForgeReport.baselineSearchLimit
        for position in stride(from: index - 1, through: max(0, oldest), by: -1) {
            if let candidate = entries[position].record, candidate.verdict == .pass {
                return .inHistory((entries[position].commit.id.hex, candidate))
            }
        }
        // Fewer ancestors than the limit on the branch, and the root has a parent: a shallow
        // history, whose missing commits the repository's own search runs into.
        return oldest < 0 && !entries[0].commit.parentIDs.isEmpty ? .outsideHistory : .inHistory(nil)
    }

    func generatedReportHref(_ id: ObjectID) -> String { "commit/\(id.hex).md" }
}
