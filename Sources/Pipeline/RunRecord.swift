import Foundation

/// The verdict of one pipeline run on one commit or staged tree; stored as JSON in git notes.
///
/// The field names are a contract (see README, "Run record"); `schema` changes when they do.
/// Records are read only through `RecordDecoder`, which enforces `RecordLimits`.
public struct RunRecord: Codable, Sendable, Equatable {
    /// The version of this layout.
    public static let currentSchema = 1

    /// pass, fail or error.
    public enum Verdict: String, Codable, Sendable {
        /// Every gate passed (or could not be judged for lack of a baseline).
        case pass
        /// At least one gate failed.
        case fail
        /// A stage crashed, timed out, or its input or output was unusable.
        case error
    }

    /// How one stage went.
    public struct StageResult: Codable, Sendable, Equatable {
        /// The stage's name.
        public var name: String
        /// "pass" (ran and produced its outputs), "error", or "skipped" (not reached).
        public var status: String
        /// Wall time of the stage; when `cached`, the time it took in the run it was reused
        /// from (`cachedFrom`; 0 in older records, which did not keep it).
        public var durationMilliseconds: Int
        /// True when the result was reused from an earlier run with the same inputs.
        public var cached: Bool
        /// The stage's own fingerprint.
        public var fingerprint: String
        /// The metrics this stage reported.
        public var metrics: [String: Double]

        enum CodingKeys: String, CodingKey {
            case name, status, cached, fingerprint, metrics
            case durationMilliseconds = "duration_ms"
        }
    }

    /// What the change bounds were compared with.
    public struct Baseline: Codable, Sendable, Equatable {
        /// ancestor, release or branch:NAME.
        public var policy: String
        /// The baseline commit, or nil when none was found.
        public var commit: String?
        /// Which comparison was made, e.g. "recorded metrics of the baseline run".
        public var comparison: String
    }

    /// The report a stage wrote (`report:`): where, and the SHA-256 of its text.
    public struct Report: Codable, Sendable, Equatable {
        /// The report's path as declared, relative to the repository root.
        public var path: String
        /// `sha256:` and the hex SHA-256 of the report's text.
        public var sha256: String

        /// A reference to the report at `path` whose text hashes to `sha256`.
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// The earlier run whose measurements a reused verdict took (no stage ran): when it ran,
    /// what it evaluated, how long it took. Its stages' times stay in `stages`.
    public struct CachedRun: Codable, Sendable, Equatable {
        /// When that run started.
        public var started: Date
        /// The commit it evaluated (nil for a staged or work-tree run).
        public var commit: String?
        /// Its wall time.
        public var durationMilliseconds: Int

        /// The run of `record`.
        public init(_ record: RunRecord) {
            started = record.started
            commit = record.commit
            durationMilliseconds = record.durationMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case started, commit
            case durationMilliseconds = "duration_ms"
        }
    }

    /// Layout version.
    public var schema: Int = RunRecord.currentSchema
    /// The evaluated commit (nil for a staged or work-tree run).
    public var commit: String?
    /// The evaluated tree.
    public var tree: String?
    /// The pipeline's fingerprint: equal fingerprints mean equal inputs.
    public var fingerprint: String
    /// pass, fail or error.
    public var verdict: Verdict
    /// Every stage's metrics, flat name → number.
    public var metrics: [String: Double]
    /// Each gate's judgement.
    public var gates: [GateResult]
    /// Each stage's outcome.
    public var stages: [StageResult]
    /// The artifact's digest (`sha256:…`) once packaged.
    public var artifact: String?
    /// "modelgate VERSION".
    public var tool: String
    /// When the run started.
    public var started: Date
    /// Wall time of the whole run.
    public var durationMilliseconds: Int
    /// The baseline the change bounds used.
    public var baseline: Baseline?
    /// "rev", "staged" or "worktree".
    public var source: String
    /// Repository paths of every input file and their git blob ids.
    public var inputs: [String: String]
    /// For an error verdict: what went wrong.
    public var error: String?
    /// Threads the built-in trainers could use (`MODELGATE_THREADS`, else the CPUs). Information
    /// only: results do not depend on it, and it is not part of any fingerprint.
    public var threads: Int?
    /// The run's own Markdown report, when a stage declares `report:` and wrote it.
    public var report: Report?
    /// For a reused verdict (every stage `cached`): the run that measured it; nil when the
    /// stages ran, and in records written before reuse kept this.
    public var cachedFrom: CachedRun?

    enum CodingKeys: String, CodingKey {
        case schema, commit, tree, fingerprint, verdict, metrics, gates, stages, artifact, tool, started
        case baseline, source, inputs, error, threads, report
        case durationMilliseconds = "duration_ms"
        case cachedFrom = "cached_from"
    }

    /// The gates that failed.
    public var failedGates: [GateResult] { gates.filter { $0.status == .fail || $0.status == .missing } }

    /// Pretty, key-sorted JSON with ISO 8601 dates: the note's text.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
