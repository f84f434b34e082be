import Foundation
import TestSupport
import Testing

/// Tags a collaborator pushed, written with the `git` command, against every command that reads
/// tags: `release` (and its GTO counter), `releases`, `sync`, `baseline: release` and the site.
/// A tag over the limit or malformed is skipped with its reason, never used, and nothing it
/// holds reaches the terminal.
@Suite struct HostileTagTests {
    /// Runs modelgate killed after two minutes: a hang or a trap shows as its exit status.
    static func modelgate(_ arguments: [String], in repository: ArtifactRepository) throws -> ProcessResult {
        let result = try ProcessRunner.run(
            "timeout", ["--kill-after=5", "120", try ModelgateBinary.url.path] + arguments, in: repository.url
        )
        HostileNoteTests.expectInert(result, arguments)
        return result
    }

    /// An annotated tag `name` on `rev` with `message` exactly (from a file, as `git tag -F`).
    static func tag(_ name: String, _ message: String, on rev: String = "HEAD", in repo: TemporaryRepository)
        throws
    {
        let file = repo.directory.appending("tag-message")
        try Data(message.utf8).write(to: file)
        try repo.git(["tag", "-a", "--cleanup=verbatim", "-F", file.path, name, rev])
    }

    @Test func anAbsurdGTOCounterIsIgnoredAndTheLargestIsRefused() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        try repository.repo.git(["tag", "demo#prod#9223372036854775807"])
        try repository.repo.git(["tag", "demo#prod#99999999999999999999999999"])
        try repository.repo.git(["tag", "demo#prod#-5"])
        let release = try Self.modelgate(["release", "--gto", "--env", "prod"], in: repository)
        #expect(release.status == 0, "\(release.stderr)")
        #expect(release.stdout == "demo#prod#1\n")
        #expect(try repository.repo.git(["cat-file", "-t", "demo#prod#1"]) == "tag")

        try repository.repo.git(["tag", "demo#staging#999999999"])
        let tags = try repository.repo.git(["tag", "-l"])
        let full = try Self.modelgate(["release", "--gto", "--env", "prod"], in: repository)
        #expect(full.status == 2, "\(full.stderr)")
        #expect(
            full.stderr.hasPrefix(
                "error: the GTO counter of demo is already 999999999, the largest modelgate writes"))
        #expect(full.stderr.contains("fix:   release without --gto"))
        #expect(try repository.repo.git(["tag", "-l"]) == tags)
        // A tag name no reader could read back is refused before anything is created.
        let bidi = try Self.modelgate(["release", "v1\u{202E}gpj.exe"], in: repository)
        #expect(bidi.status == 2, "\(bidi.stderr)")
        #expect(bidi.stderr.contains("cannot be a release tag: the tag name holds U+202E"), "\(bidi.stderr)")
        #expect(try repository.repo.git(["tag", "-l"]) == tags)
    }

    /// The tags a collaborator might push, and the reason modelgate gives for each.
    static let hostile: [(name: String, message: String, reason: String)] = [
        (
            "huge",
            "Deploy\n\n" + String(repeating: "x", count: 10_000_000)
                + "\n\nModelgate-Environment: production\n",
            "bytes; a tag is at most 4194304 bytes"
        ),
        (
            "escape", "Deploy\n\nModelgate-Environment: prod\u{1B}]0;owned\u{07}\u{1B}[2J\n",
            "its trailer 'Modelgate-Environment' holds U+001B, a control, line-break or invisible character"
        ),
        (
            "infinite", "Deploy\n\nModelgate-Artifact: sha256:00\nModelgate-Metrics: {\"r2\": 1e999}\n",
            "its trailer 'Modelgate-Metrics' is not a JSON object of numbers"
        ),
        (
            "many-metrics",
            "Deploy\n\nModelgate-Artifact: sha256:00\nModelgate-Metrics: {"
                + (0...10_000).map { "\"m\($0)\": 1" }.joined(separator: ", ") + "}\n",
            "its trailer 'Modelgate-Metrics' breaks a limit of run records: it has 10001 metrics; at most 10000 are allowed"
        ),
        (
            "long-name",
            "Deploy\n\nModelgate-Artifact: sha256:00\nModelgate-Metrics: {\""
                + String(repeating: "n", count: 300) + "\": 1}\n",
            "its trailer 'Modelgate-Metrics' breaks a limit of run records: the metric name 'nnn"
        ),
        (
            "bidi\u{202E}gpj.exe", "Deploy\n\nModelgate-Environment: production\n",
            "its name holds U+202E, a control, line-break or invisible character"
        ),
    ]

    @Test func oversizedAndMalformedTagsAreSkippedWithTheirReason() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let good = try repository.modelgate(["release", "demo@v1.0.0", "--env", "production"])
        #expect(good.status == 0, "\(good.stderr)")
        for tag in Self.hostile { try Self.tag(tag.name, tag.message, in: repository.repo) }

        let releases = try Self.modelgate(["releases"], in: repository)
        #expect(releases.status == 0, "\(releases.stderr)")
        #expect(releases.stdout.hasPrefix("production\n  demo@v1.0.0  "), "\(releases.stdout)")
        #expect(releases.stdout.split(separator: "\n").count == 2, "\(releases.stdout)")
        let warnings = releases.stderr.split(separator: "\n").map(String.init)
        #expect(warnings.count == Self.hostile.count, "\(releases.stderr)")
        for tag in Self.hostile {
            let shown = tag.name.replacingOccurrences(of: "\u{202E}", with: "\\u{202E}")
            #expect(
                warnings.contains {
                    $0.hasPrefix("modelgate: tag '\(shown)' is skipped: ") && $0.contains(tag.reason)
                },
                "\(tag.name): \(releases.stderr)")
        }
        #expect(warnings.contains { $0.hasSuffix("bytes; a tag is at most 4194304 bytes") })

        let json = try Self.modelgate(["releases", "--json"], in: repository)
        #expect(json.status == 0)
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(list?.map { $0["tag"] as? String } == ["demo@v1.0.0"])

        // The GTO counter reads names only; the release is made and read back.
        let next = try Self.modelgate(["release", "--gto", "--env", "production"], in: repository)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout == "demo#production#1\n")

        let out = repository.repo.directory.appending("site")
        let site = try Self.modelgate(["site", "--out", out.path], in: repository)
        #expect(site.status == 0, "\(site.stderr)")
        let page = try String(contentsOf: out.appendingPathComponent("releases.html"), encoding: .utf8)
        #expect(page.contains("demo@v1.0.0") && page.contains("demo#production#1"))
        for name in ["huge", "escape", "infinite", "many-metrics", "long-name", "gpj.exe"] {
            #expect(!page.contains(name), "\(name) is on the site")
        }
        #expect(try HostileNoteTests.size(of: out) < 1 << 20)

        let remote = repository.repo.directory.appending("remote.git")
        try repository.repo.git(["init", "--quiet", "--bare", remote.path])
        let sync = try Self.modelgate(["sync", remote.path], in: repository)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(
            sync.stdout.contains("  release tags:       pushed demo#production#1, demo@v1.0.0"),
            "\(sync.stdout)")
        #expect(sync.stderr.contains("warning: tag 'huge' is skipped: its tag object "))
        let pushed = try repository.repo.git(["--git-dir", remote.path, "tag", "-l"])
        #expect(pushed == "demo#production#1\ndemo@v1.0.0")
    }

    /// `baseline: release` considers releases only, read as `releases` reads them: a tag over
    /// the limit, malformed, or a plain tag is no baseline.
    @Test func onlyReadableReleasesAreBaselines() throws {
        let fixture = try RunTests.Fixture(gates: "  - {metric: r2, max_drop: 0.015}\n", baseline: "release")
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n3\n4\n5\n"], message: "r2 0.95")
        #expect(try fixture.run().status == 0)
        let released = try fixture.repo.git(["rev-parse", "HEAD"])
        try Self.tag(
            "huge",
            "Deploy\n\n" + String(repeating: "x", count: 5_000_000) + "\n\nModelgate-Environment: prod\n",
            in: fixture.repo)
        try Self.tag("escape", "Deploy\n\nModelgate-Environment: prod\u{1B}[2J\n", in: fixture.repo)
        try fixture.repo.git(["tag", "plain"])
        try fixture.repo.commit(files: ["data/a.csv": "x\n1\n2\n3\n"], message: "r2 0.93")
        // 0.02 below the tagged commit: refused if a tag there counted; no baseline else.
        let run = try ModelgateBinary.run(["run", "--json"], in: fixture.repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let baseline = record?["baseline"] as? [String: Any]
        #expect(baseline?["policy"] as? String == "release")
        #expect(baseline?["commit"] == nil || baseline?["commit"] is NSNull)

        // A release modelgate can read is the baseline.
        try fixture.repo.git(["tag", "-a", "-m", "release", "demo@v1.0.0", released])
        let again = try ModelgateBinary.run(["run", "--json", "--force"], in: fixture.repo.url)
        #expect(again.status == 1, "\(again.stderr)")
        #expect(again.stdout.contains(released))
    }
}
