import Foundation
import GitKit

/// What `modelgate report` tells a forge about one commit: its record, the baseline's metrics,
/// the inputs that changed, and how to reproduce it. Rendered as GitHub-flavoured Markdown
/// (`MarkdownReport`), JUnit XML (`JUnitReport`) or JSON (this type, encoded).
///
/// Everything in it but `subject`, `reproduce` and `siteURL` comes from run records, which may
/// have arrived from anyone by `sync`: every renderer escapes every such string for its format.
public struct ForgeReport: Codable, Sendable {
    /// One metric beside the baseline's value.
    public struct MetricComparison: Codable, Sendable, Equatable {
        /// The metric's name.
        public var name: String
        /// This run's value.
        public var value: Double?
        /// The baseline run's value, when there is one.
        public var baseline: Double?
        /// value - baseline, when both are known.
        public var delta: Double? {
            guard let value, let baseline else { return nil }
            return value - baseline
        }
    }

    /// The commit reported on (full id).
    public var commit: String
    /// "abc1234" for people.
    public var subject: String
    /// The run record.
    public var record: RunRecord
    /// The baseline commit, when the record names one with a readable record.
    public var baselineCommit: String?
    /// Every metric of the record beside the baseline's value.
    public var metrics: [MetricComparison]
    /// Input paths whose blob differs from the baseline's (added, changed or removed).
    public var changedInputs: [String]
    /// The command that evaluates the same commit by hand.
    public var reproduce: String
    /// The commit's page on the published site, when `--site-url` was given.
    public var siteURL: String?
    /// Who vouched for the verdict ("ci@example.com, verified"); nil is "local, unsigned".
    /// `report` fills it in from `TrustedVerdicts.voucher` when the repository has a trust policy.
    public var signer: String?

    /// Builds the report of `commit`'s `record` in `repository`. The baseline is the one the
    /// record names, else (thresholds alone need none) the nearest first-parent ancestor whose
    /// note is a passing record; its record is read from its note.
    public init(record: RunRecord, commit: ObjectID, in repository: Repository, siteRoot: String?) throws {
        let notes = RecordNotes(repository: repository)
        var found: (ObjectID, RunRecord)?
        if let named = record.baseline?.commit.flatMap(ObjectID.init(hex:)) {
            found = try notes.record(on: named).map { (named, $0) }
        } else if let parent = try repository.commit(commit).parentIDs.first {
            for ancestor in try repository.firstParentHistory(from: parent, limit: Self.baselineSearchLimit) {
                if let candidate = try notes.record(on: ancestor.id), candidate.verdict == .pass {
                    found = (ancestor.id, candidate)
                    break
                }
            }
        }
        self.init(
            record: record, commit: commit.hex, baseline: found.map { ($0.0.hex, $0.1) },
            siteURL: siteRoot.map { Self.commitPage(siteRoot: $0, commit: commit) })
    }

    /// The report of `record` on commit `commit` (full id), compared with `baseline` (its
    /// commit id and record); also the fuzzing entry point's way in, with no repository.
    package init(
        record: RunRecord, commit: String, baseline: (commit: String, record: RunRecord)?, siteURL: String?
    ) {
        self.commit = commit
        subject = String(commit.prefix(7))
        self.record = record
        baselineCommit = baseline?.commit
        let base = baseline?.record
        let names = Set(record.metrics.keys).union(base?.metrics.keys ?? [:].keys)
        metrics = names.sorted().map {
            MetricComparison(name: $0, value: record.metrics[$0], baseline: base?.metrics[$0])
        }
        if let base {
            let paths = Set(record.inputs.keys).union(base.inputs.keys)
            changedInputs = paths.filter { record.inputs[$0] != base.inputs[$0] }.sorted()
        } else {
            changedInputs = []
        }
        reproduce = "modelgate run --rev \(subject)"
        self.siteURL = siteURL
        signer = nil
    }

    /// The baseline value shown beside `gate`: the gate's own (change bounds), else the
    /// baseline run's value of the metric (thresholds, for context).
    public func baseline(of gate: GateResult) -> Double? {
        gate.baseline ?? metrics.first { $0.name == gate.metric }?.baseline
    }

    /// value - baseline for `gate`, when both are known.
    public func delta(of gate: GateResult) -> Double? {
        guard let value = gate.value, let base = baseline(of: gate) else { return nil }
        return value - base
    }

    /// How many ancestors are looked at for a baseline the record does not name.
    package static let baselineSearchLimit = 1000

    /// The site's page for `commit` under `siteRoot` (as `modelgate site` lays it out).
    package static func commitPage(siteRoot: String, commit: ObjectID) -> String {
        (siteRoot.hasSuffix("/") ? siteRoot : siteRoot + "/") + "commit/\(commit.hex).html"
    }

    /// Why `url` cannot be a `--site-url`: only http(s) URLs without spaces or Markdown/HTML
    /// delimiters, so the link cannot break out of the report. Nil when it is fine.
    public static func siteURLProblem(_ url: String) -> String? {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            return "it is not an http:// or https:// URL"
        }
        if let bad = url.unicodeScalars.first(where: {
            $0.value <= 0x20 || $0.value >= 0x7F || "<>\"'`()[]\\".unicodeScalars.contains($0)
        }) {
            return "it contains \(bad.value <= 0x20 ? "a space or control character" : "'\(bad)'")"
        }
        return nil
    }
}
