import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

@testable import Site

/// `metrics.prom`, parsed by hand and checked by `promtool`.
@Suite struct PrometheusExportTests {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// A strict reader of the text exposition format: HELP/TYPE lines, then samples of that family.
    static func parse(_ text: String) throws -> (types: [String: String], samples: [Sample]) {
        var types: [String: String] = [:]
        var samples: [Sample] = []
        let name = try Regex(#"^[a-zA-Z_:][a-zA-Z0-9_:]*$"#)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 4)
                #expect(types[String(parts[2])] == nil, "family \(parts[2]) declared twice")
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            #expect(!line.hasPrefix("#"), "stray comment \(line)")
            var rest = Substring(line)
            let metric = String(rest.prefix { $0 != "{" && $0 != " " })
            #expect(metric.wholeMatch(of: name) != nil, "bad name \(metric)")
            rest = rest.dropFirst(metric.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = String(rest.prefix { $0 != "=" })
                    rest = rest.dropFirst(key.count)
                    guard rest.hasPrefix("=\"") else { throw TestFailure("bad label in \(line)") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let character = rest.first, character != "\"" {
                        rest = rest.dropFirst()
                        if character == "\\" {
                            let escaped = rest.removeFirst()
                            value.append(escaped == "n" ? "\n" : escaped)
                        } else {
                            #expect(character != "\n")
                            value.append(character)
                        }
                    }
                    rest = rest.dropFirst()
                    labels[key] = value
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " ", let value = Double(rest.dropFirst()) else {
                throw TestFailure("bad value in \(line)")
            }
            #expect(types[metric] != nil, "\(metric) has no TYPE line before it")
            samples.append(Sample(name: metric, labels: labels, value: value))
        }
        return (types, samples)
    }

    @Test func latestVerdictMetricsAndReleasesParse() throws {
        let fixture = try SiteBuildTests.hostileFixture()
        try fixture.commit(
            "evaluated tip", r2: 0.94, extraMetrics: ["test.r2": 0.9, "test_r2": 0.8, "F1Score": 0.7])
        try fixture.build()
        let text = try fixture.text("metrics.prom")
        let (types, samples) = try Self.parse(text)
        #expect(types.values.allSatisfy { $0 == "gauge" })
        let tip = fixture.commits.last!
        let r2 = try #require(samples.first { $0.name == "modelgate_metric_r2" })
        #expect(r2.labels == ["model": "housing", "branch": "main", "commit": tip, "name": "r2"])
        #expect(r2.value == 0.94)
        // Names that sanitise alike get distinct families; the original name is a label.
        let dotted = samples.filter { $0.labels["name"] == "test.r2" || $0.labels["name"] == "test_r2" }
        #expect(Set(dotted.map(\.name)).count == 2)
        #expect(samples.contains { $0.name == "modelgate_metric_f1score" && $0.value == 0.7 })
        #expect(
            samples.contains {
                $0.name == "modelgate_verdict" && $0.labels["verdict"] == "pass" && $0.value == 1
            })
        let releases = samples.filter { $0.name == "modelgate_release_info" }
        #expect(
            releases.contains {
                $0.labels["tag"] == "evil\"<script>alert(1)</script>" && $0.labels["environment"] == "none"
            })
        #expect(
            releases.contains {
                $0.labels["environment"] == "production"
                    && $0.labels["artifact"]?.hasPrefix("sha256:") == true
            })
        // The hostile metric name from an older record does not appear (only the tip's metrics do),
        // but its escaping is still checked here:
        #expect(PrometheusExport.escapeLabel("a\"b\\c\nd") == #"a\"b\\c\nd"#)
        #expect(PrometheusExport.sanitize("<img src=x onerror=alert(1)>") == "img_src_x_onerror_alert_1")
        #expect(PrometheusExport.sanitize("9lives") == "9lives")
        try Self.promtoolCheck(text)
    }

    @Test func hostileMetricNamesSanitiseAndEscape() throws {
        let fixture = try SiteFixture()
        try fixture.commit(
            "evil names",
            extraMetrics: [
                // Names with control characters (a newline) or empty names make a record unreadable
                // (RecordLimits); quotes, backslashes and markup are what label escaping must handle.
                SiteFixture.evilMetric: 1, "a\"b\\cd": 2, "!!!": 3, "ünïcode": 4, "latency_ms": 5,
                "rows_count": 6,
                "s_m_h": 7, "trainLoss": 8, "io:read_total": 9,
            ])
        try fixture.build()
        let text = try fixture.text("metrics.prom")
        let (_, samples) = try Self.parse(text)
        #expect(samples.contains { $0.labels["name"] == SiteFixture.evilMetric && $0.value == 1 })
        #expect(samples.contains { $0.labels["name"] == "a\"b\\cd" && $0.value == 2 })
        #expect(samples.contains { $0.name == "modelgate_metric_unnamed" && $0.value == 3 })
        #expect(
            samples.contains { $0.name == "modelgate_metric_latencyms" && $0.labels["name"] == "latency_ms" })
        #expect(samples.contains { $0.name == "modelgate_metric_rows_count_value" && $0.value == 6 })
        #expect(samples.contains { $0.name == "modelgate_metric_trainloss" && $0.value == 8 })
        try Self.promtoolCheck(text)
    }

    /// Runs `promtool check metrics` (`make deps` installs it; without it the test fails, it is not skipped).
    static func promtoolCheck(_ text: String) throws {
        guard
            let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            Issue.record("promtool is not installed; run 'make deps' (Debian's prometheus package)")
            return
        }
        let result = try ProcessRunner.run(
            promtool, ["check", "metrics"], in: URL(fileURLWithPath: NSTemporaryDirectory()), input: text)
        #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
    }
}

@Suite struct ReleaseParsingTests {
    /// The site reads tags with `ReleaseTag`, the one tag parser (its rules: ReleaseTagTests).
    @Test func trailersAndGTONames() throws {
        func read(_ name: String, _ message: String) throws -> Release {
            let tag = try ReleaseTag.parse(
                name: name, commit: .zero, isAnnotated: true, tagger: nil, message: message
            ).get()
            return Release(tag, date: Date(timeIntervalSince1970: 0))
        }
        let release = try read(
            "housing@v1.2.0",
            "Ship it\n\nLonger text.\n\nModelgate-Artifact: sha256:abc\nModelgate-Environment: production\nModelgate-Metrics: {\"r2\": 0.93}\n"
        )
        #expect(release.artifact == "sha256:abc")
        #expect(release.environment == "production")
        #expect(release.metrics == "{\"r2\": 0.93}")
        #expect(release.model == "housing" && release.version == "v1.2.0")
        #expect(release.body == "Ship it\n\nLonger text.")
        let assignment = try read("housing#prod#3", "")
        #expect(assignment.environment == "prod" && assignment.model == "housing")
        let plain = try read("v1.0", "Just a tag\n\nNot: a trailer paragraph\nbecause this line has none")
        #expect(plain.environment == nil && plain.trailers.isEmpty && !plain.isModelRelease)
        #expect(try read("a@b", "").version == nil)
    }

    @Test func slugsAreSafeAndDistinct() {
        #expect(Slug.make("r2") == "r2")
        #expect(Slug.make("test.r2") == "test.r2")
        let evil = Slug.make("../../etc/passwd")
        #expect(!evil.contains("/") && !evil.hasPrefix("."))
        #expect(Slug.make("R2") != Slug.make("r2"))
        #expect(Slug.make("a b") != Slug.make("a_b"))
    }
}

@Suite struct EmbeddedTemplatesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The compiled-in defaults equal `site-templates/`; with UPDATE_SITE_TEMPLATES=1 this rewrites
    /// `Sources/Site/DefaultTemplates.swift` from the folder instead.
    @Test func defaultsMatchTheTemplatesFolder() throws {
        let folder = Self.root.appendingPathComponent("site-templates")
        let files = try TemplateSet.readFolder(folder)
        if ProcessInfo.processInfo.environment["UPDATE_SITE_TEMPLATES"] == "1" {
            try Data(Self.generate(files).utf8).write(
                to: Self.root.appendingPathComponent("Sources/Site/DefaultTemplates.swift"))
            return
        }
        #expect(
            files == DefaultTemplates.files,
            "site-templates/ changed: run UPDATE_SITE_TEMPLATES=1 swift test --filter EmbeddedTemplatesTests")
        #expect(Set(TemplateSet.requiredPages.map { "\($0).mustache" }).isSubset(of: Set(files.keys)))
        _ = try TemplateSet(files: files)
    }

    static func generate(_ files: [String: String]) -> String {
        var out = """
            // Generated from site-templates/ by the EmbeddedTemplates test; do not edit.
            // Regenerate: UPDATE_SITE_TEMPLATES=1 swift test --filter EmbeddedTemplatesTests
            // swift-format-ignore-file

            /// The default site templates, compiled in so the installed binary works from any directory.
            enum DefaultTemplates {
                /// Relative path under site-templates/ → text.
                static let files: [String: String] = [

            """
        for path in files.keys.sorted() {
            out += "        \"\(path)\": #####\"\"\"\n\(files[path]!)\n\"\"\"#####,\n"
        }
        return out + "    ]\n}\n"
    }
}

/// `modelgate site` as users run it, on a record made by `modelgate run`.
@Suite struct SiteCommandTests {
    @Test func runThenSiteFromASubdirectory() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                name: demo
                stages:
                  - name: evaluate
                    cmd: sh score.sh
                    deps: [score.sh, "data/*.csv"]
                    metrics: metrics.json
                    timeout: 10s
                gates:
                  - {metric: r2, min: 0.5}

                """,
                "score.sh":
                    "printf '# Report\\n\\nrows: 2\\n' > report.md\nprintf '{\"r2\": 0.75}' > metrics.json\n",
                "data/a.csv": "x\n1\n2\n",
            ], message: "initial model")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        #expect(run.status == 0, "\(run.stderr)")
        try FileManager.default.createDirectory(
            at: repo.url.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let site = try ModelgateBinary.run(
            ["site", "--out", "../public", "--title", "Demo <b>site</b>"],
            in: repo.url.appendingPathComponent("sub"))
        #expect(site.status == 0, "\(site.stderr)")
        #expect(site.stdout.hasPrefix("site: "))
        let index = try String(
            contentsOf: repo.url.appendingPathComponent("public/index.html"), encoding: .utf8)
        #expect(index.contains("<title>Overview · Demo &lt;b&gt;site&lt;/b&gt;</title>"))
        #expect(index.contains("<span class=\"verdict pass\">pass</span>"))
        let again = try ModelgateBinary.run(
            ["site", "--out", "public", "--json", "--title", "Demo <b>site</b>"], in: repo.url)
        #expect(again.stdout.contains("\"written\": 0"))
        let bad = try ModelgateBinary.run(["site", "--out", "public", "--branch", "nope"], in: repo.url)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("error: there is no branch 'nope'"))
        let templates = try ModelgateBinary.run(
            ["site", "--out", "public", "--templates", "missing"], in: repo.url)
        #expect(templates.status == 2)
        #expect(templates.stderr.contains("cannot read the templates folder"))
    }
}
