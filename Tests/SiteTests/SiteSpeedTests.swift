import Foundation
import GitKit
import Pipeline
import Testing

@testable import Site

/// The shortcuts that make site builds fast give the same answers as the slow ways they replace.
@Suite struct SiteSpeedTests {
    /// `commit/<sha>.md` takes its baseline from the records the build decoded; it must be the
    /// report `ForgeReport` makes from the repository itself, for every way a record names (or
    /// does not name) its baseline.
    @Test func generatedReportsAreWhatTheRepositoryGives() throws {
        let fixture = try SiteFixture()
        let passed = try fixture.commit("passes", r2: 0.95)
        let failed = try fixture.commit("fails", r2: 0.5, verdict: "fail")
        // No baseline named: the nearest passing ancestor (over the failed one).
        let unnamed = try fixture.commit("names no baseline", r2: 0.93)
        try Self.rewrite(on: unnamed, in: fixture) {
            $0["baseline"] = ["policy": "ancestor", "comparison": "recorded metrics of the baseline run"]
        }
        // A baseline off the branch, with a record of its own.
        let side = try fixture.repo.git(["commit-tree", "\(passed)^{tree}", "-p", passed, "-m", "side"])
        try fixture.writeRecord(on: side, r2: 0.99)
        let offBranch = try fixture.commit("baseline off the branch", r2: 0.94)
        try Self.rewrite(on: offBranch, in: fixture) {
            $0["baseline"] = [
                "policy": "ancestor", "commit": side, "comparison": "recorded metrics of the baseline run",
            ]
        }
        // A baseline whose note is not a record.
        let broken = try fixture.commit("broken note", record: false)
        try fixture.repo.open().setNote("not a record", on: ObjectID(hex: broken)!, ref: RecordNotes.ref)
        let unreadable = try fixture.commit("baseline unreadable", r2: 0.92)
        // The named baseline failed: named means taken as it is.
        let namedFailed = try fixture.commit("baseline failed", r2: 0.96)
        try Self.rewrite(on: namedFailed, in: fixture) {
            $0["baseline"] = ["policy": "ancestor", "commit": failed, "comparison": "c"]
        }
        var options = SiteOptions()
        options.baseURL = "https://models.example.com/site"
        try fixture.build(options)

        let repository = try fixture.repo.open()
        for id in [passed, failed, unnamed, offBranch, unreadable, namedFailed] {
            let record = try #require(try RecordNotes(repository: repository).record(on: ObjectID(hex: id)!))
            let expected = MarkdownReport.render(
                try ForgeReport(
                    record: record, commit: ObjectID(hex: id)!, in: repository, siteRoot: options.baseURL))
            #expect(try fixture.text("commit/\(id).md") == expected, "commit \(id.prefix(7))")
        }
        #expect(try fixture.text("commit/\(unnamed).md").contains(String(passed.prefix(7))))
        #expect(try fixture.text("commit/\(offBranch).md").contains(String(side.prefix(7))))
    }

    /// The byte-level check of manifest paths agrees with the plain definition (split on `/`;
    /// no empty, `.` or `..` part; no NUL) on every path of up to three parts built from
    /// awkward pieces.
    @Test func manifestPathsAreCheckedAsDefined() {
        func reference(_ path: String) -> Bool {
            !path.isEmpty && !path.utf8.contains(0)
                && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
                    !$0.isEmpty && $0 != "." && $0 != ".."
                }
        }
        let pieces = ["", ".", "..", "...", ".a", "a.", "a..b", "..a", "a", "é", "a\u{0}b", "/"]
        var paths = pieces
        for first in pieces { for second in pieces { paths.append(first + "/" + second) } }
        for first in ["a", ".", ".."] {
            for second in pieces { for third in pieces { paths.append(first + "/" + second + "/" + third) } }
        }
        for path in paths {
            #expect(SiteWriter.isPlainRelativePath(path) == reference(path), "\(path.debugDescription)")
        }
        let manifest = Data(
            "\(SiteWriter.manifestHeader)\n...\tk\td\n.a/b\tk\td\na/..\tk\td\na/.\tk\td\nb/c.html\tk\td\n"
                .utf8)
        #expect(SiteWriter.parseManifest(manifest).keys.sorted() == ["...", ".a/b", "b/c.html"])
    }

    /// Rewrites the record note on `id` through `change` (its JSON object).
    static func rewrite(on id: String, in fixture: SiteFixture, _ change: (inout [String: Any]) -> Void)
        throws
    {
        let text = try fixture.repo.git(["notes", "--ref=modelgate", "show", id])
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        change(&object)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try fixture.repo.open().setNote(
            String(decoding: data, as: UTF8.self), on: ObjectID(hex: id)!, ref: RecordNotes.ref)
    }
}
