import Diagnostics
import Foundation

/// How large a run record may be: the same limits for a note a collaborator pushed and for a
/// record modelgate writes itself, so every record modelgate writes can be read back by anyone.
///
/// Notes arrive from other people (`git fetch`, `modelgate sync`) and every command reads them,
/// so a record must not be able to make a command slow, large or misleading: the note's size is
/// checked before its bytes are read, then every count and every string is bounded, every number
/// must be finite, names follow `NameRules`, and every one-line field (ids, digests, words such
/// as `tool`, `source`, `baseline.comparison`, input paths) holds no character that
/// `TerminalText.isUnsafe` refuses — no line break either, so no field can print a line of its
/// own. Only `error` is a message of several lines. The figures are far above what real
/// pipelines produce and far below what would hurt:
///
/// - `noteBytes` 4 MiB: a record lists every input file with its blob id (about 80 bytes each),
///   so about 50,000 input files fit; decoding one takes tens of milliseconds. A 10 MB note is
///   refused unread.
/// - `metrics` 10,000 (per record, and all stages together): a data check reports four metrics
///   per column (`missing.`, `out_of_range.`, `drift.psi.`, `drift.ks.`), so a 2,500-column
///   table fits. The site draws one page per metric, which is what makes this the limit that
///   bounds a site's size.
/// - `stages` and `gates` 1,000 each; `inputs` 100,000 entries (the byte limit comes first).
/// - names: `NameRules` (200 bytes).
/// - `pathBytes` 4,096 (PATH_MAX) for an input path; `fieldBytes` 1,024 for ids, digests and
///   words (`tool`, `source`, `baseline.policy`…); `errorBytes` 64 KiB for an error message.
/// - Nesting: a record's layout is fixed (three levels), and Foundation's JSON parser refuses
///   documents nested deeper than 512 levels, so no input can recurse further.
///
/// A run checks what it can before any stage runs (`ConfigValidator`: names, stage and gate
/// counts; `inputsProblem`: the input files and the note size they make), and the whole record
/// before its artifact is stored, so no limit is found only after hours of training.
public enum RecordLimits {
    /// Largest note, in bytes.
    public static let noteBytes = 4 << 20
    /// Most metrics in a record, and in all of its stages together.
    public static let metrics = 10_000
    /// Most stages in a record.
    public static let stages = 1_000
    /// Most gates in a record.
    public static let gates = 1_000
    /// Most input files in a record.
    public static let inputs = 100_000
    /// Longest input path, in UTF-8 bytes.
    public static let pathBytes = 4_096
    /// Longest id, digest or word field, in UTF-8 bytes.
    public static let fieldBytes = 1_024
    /// Longest error message, in UTF-8 bytes.
    public static let errorBytes = 64 << 10

    /// Which limit a record breaks, with what it holds; `description` says it in words and
    /// `hint` how to stay within it.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// A schema this modelgate does not read.
        case schema(Int)
        /// This many metrics, over `metrics`.
        case tooManyMetrics(Int)
        /// The stages' metrics together are over `metrics`.
        case tooManyStageMetrics
        /// This many stages, over `stages`.
        case tooManyStages(Int)
        /// This many gates, over `gates`.
        case tooManyGates(Int)
        /// This many input files, over `inputs`.
        case tooManyInputs(Int)
        /// The note would be this many bytes, over `noteBytes`.
        case noteTooLarge(bytes: Int, inputs: Int, metrics: Int)
        /// A stage, metric or gate name breaks `NameRules`.
        case name(NameRules.Problem, name: String, kind: NameRules.Kind)
        /// A metric's value, or a gate's `field` (limit, value, baseline), is not finite.
        case notFinite(metric: String, field: String?, value: Double)
        /// An input path is empty, too long or holds an unsafe character.
        case inputPath(String, FieldProblem)
        /// A one-line field is too long or holds an unsafe character.
        case field(String, FieldProblem)
        /// The error message is this many bytes, over `errorBytes`.
        case errorTooLong(Int)
        /// A gate's significance `field` (interval, p_value, n, outcome…) is out of its range.
        case gateField(metric: String, field: String)
        /// A problem in the stage of this name.
        indirect case inStage(String, Problem)

        /// The problem in plain words ("it has 12000 metrics; at most 10000 are allowed").
        public var description: String {
            switch self {
            case .schema(let schema): return RecordDecoder.schemaProblem(schema)
            case .tooManyMetrics(let count):
                return "it has \(count) metrics; at most \(metrics) are allowed"
            case .tooManyStageMetrics:
                return
                    "its stages report more than \(metrics) metrics together; at most \(metrics) are allowed"
            case .tooManyStages(let count):
                return "it has \(count) stages; at most \(stages) are allowed"
            case .tooManyGates(let count):
                return "it has \(count) gates; at most \(gates) are allowed"
            case .tooManyInputs(let count):
                return "it lists \(count) input files; at most \(inputs) are allowed"
            case .noteTooLarge(let bytes, let inputs, let metrics):
                return
                    "it would be \(RecordDecoder.byteCount(bytes)) (\(inputs) input files, \(metrics) metrics); a run record is at most \(RecordDecoder.byteCount(noteBytes))"
            case .name(let problem, let name, let kind):
                return NameRules.describe(problem, name: name, kind: kind)
            case .notFinite(let metric, nil, let value):
                return
                    "the metric \(NameRules.quoted(metric)) is \(RunReport.format(value)); a metric must be a finite number"
            case .notFinite(let metric, let field?, let value):
                return
                    "the gate on \(NameRules.quoted(metric)) has the \(field) \(RunReport.format(value)); numbers must be finite"
            case .inputPath(let path, .tooLong(let bytes)):
                return
                    "the input path \(NameRules.quoted(path)) is \(bytes) bytes long; 1 to \(pathBytes) are allowed"
            case .inputPath(let path, .unsafeCharacter(let scalar)):
                return
                    "the input path \(NameRules.quoted(path)) holds \(NameRules.codePoint(scalar)), a control, line-break or invisible character"
            case .field(let field, .tooLong(let bytes)):
                return "its field '\(field)' is \(bytes) bytes long; at most \(fieldBytes) are allowed"
            case .field(let field, .unsafeCharacter(let scalar)):
                return
                    "its field '\(field)' holds \(NameRules.codePoint(scalar)), a control, line-break or invisible character; it must be one line of visible text"
            case .errorTooLong(let bytes):
                return "its error message is \(bytes) bytes long; at most \(errorBytes) are allowed"
            case .gateField(let metric, let field):
                return
                    "the gate on \(NameRules.quoted(metric)) has an unusable '\(field)' (an interval is two finite numbers, lower first; p_value and confidence lie in [0, 1]; n is not negative; outcome is pass, fail or inconclusive)"
            case .inStage(let stage, let problem):
                return "stage \(NameRules.quoted(stage)): \(problem.description)"
            }
        }

        /// How a run that would write this record stays within the limit.
        public var hint: String {
            switch self {
            case .inStage(_, let problem): return problem.hint
            case .tooManyMetrics, .tooManyStageMetrics:
                return
                    "report fewer metrics: a run record holds at most \(metrics) (README, 'Limits of a run record')"
            case .tooManyStages:
                return
                    "a run record holds at most \(stages) stages; merge stages in \(PipelineConfig.fileName)"
            case .tooManyGates:
                return
                    "a run record holds at most \(gates) gates; remove gates from \(PipelineConfig.fileName)"
            case .noteTooLarge(_, _, let metrics) where metrics > 0:
                return
                    "report fewer metrics or shorter metric names, or narrow the stages' deps: a run record lists every metric (twice: in the record and in its stage) and every input file"
            case .tooManyInputs, .noteTooLarge, .inputPath(_, .tooLong):
                return
                    "narrow the stages' deps (fewer files: a folder's archive rather than every file in it); a run record lists every input file"
            case .inputPath(_, .unsafeCharacter):
                return "rename the file, or leave it out of the stages' deps"
            case .name(let problem, _, let kind):
                return NameRules.hint(for: problem, kind: kind)
            case .notFinite:
                return "make the stage report finite numbers (no NaN or infinity)"
            case .schema, .field, .errorTooLong, .gateField:
                return "records are limited so that everyone can read them (README, 'Limits of a run record')"
            }
        }
    }

    /// What is wrong with a one-line field or an input path.
    public enum FieldProblem: Equatable, Sendable {
        /// Longer than its limit, in bytes.
        case tooLong(bytes: Int)
        /// Holds a character `TerminalText.isUnsafe` refuses.
        case unsafeCharacter(Unicode.Scalar)
    }

    /// Why `name` cannot be a `kind` name in a record, or nil when it can (`NameRules`).
    public static func nameProblem(_ name: String, _ kind: NameRules.Kind = .metric) -> Problem? {
        NameRules.problem(in: name, for: kind).map { .name($0, name: name, kind: kind) }
    }

    /// Why `metrics` cannot be recorded (too many, a bad name, a value that is not finite), or nil.
    public static func metricsProblem(_ metrics: [String: Double]) -> Problem? {
        if metrics.count > Self.metrics { return .tooManyMetrics(metrics.count) }
        // Almost always nothing is wrong; sort only to name the first problem deterministically.
        guard metrics.contains(where: { nameProblem($0.key) != nil || !$0.value.isFinite }) else {
            return nil
        }
        for name in metrics.keys.sorted() {
            if let problem = nameProblem(name) { return problem }
            if let value = metrics[name], !value.isFinite {
                return .notFinite(metric: name, field: nil, value: value)
            }
        }
        return nil
    }

    /// Why `record` breaks a limit (its schema, a count, a string's length or characters, a name,
    /// a number that is not finite); nil when it is within every limit.
    public static func problem(in record: RunRecord) -> Problem? {
        if record.schema != RunRecord.currentSchema { return .schema(record.schema) }
        if let problem = metricsProblem(record.metrics) { return problem }
        if record.stages.count > stages { return .tooManyStages(record.stages.count) }
        var stageMetrics = 0
        for stage in record.stages {
            if let problem = nameProblem(stage.name, .stage) { return problem }
            stageMetrics += stage.metrics.count
            if stageMetrics > metrics { return .tooManyStageMetrics }
            if let problem = metricsProblem(stage.metrics) { return .inStage(stage.name, problem) }
            if let problem = fieldProblem(stage.status, "stages[].status")
                ?? fieldProblem(stage.fingerprint, "stages[].fingerprint")
            {
                return problem
            }
        }
        if record.gates.count > gates { return .tooManyGates(record.gates.count) }
        for gate in record.gates {
            if let problem = nameProblem(gate.metric, .gate) { return problem }
            for (field, value) in [("limit", gate.limit), ("value", gate.value), ("baseline", gate.baseline)]
            {
                if let value, !value.isFinite {
                    return .notFinite(metric: gate.metric, field: field, value: value)
                }
            }
            if let field = gate.significanceProblem { return .gateField(metric: gate.metric, field: field) }
        }
        if let problem = inputsProblem(record.inputs, estimatingSize: false) { return problem }
        let fields: [(String?, String)] = [
            (record.commit, "commit"), (record.tree, "tree"), (record.fingerprint, "fingerprint"),
            (record.artifact, "artifact"), (record.tool, "tool"), (record.source, "source"),
            (record.baseline?.policy, "baseline.policy"), (record.baseline?.commit ?? nil, "baseline.commit"),
            (record.baseline?.comparison, "baseline.comparison"), (record.report?.sha256, "report.sha256"),
            (record.cachedFrom?.commit ?? nil, "cached_from.commit"),
        ]
        for (value, field) in fields {
            if let value, let problem = fieldProblem(value, field) { return problem }
        }
        if let error = record.error, error.utf8.count > errorBytes { return .errorTooLong(error.utf8.count) }
        if let path = record.report?.path {
            if let problem = fieldProblem(path, "report.path") { return problem }
            if RepositoryPath.problem(in: path) != nil { return .field("report.path", .unsafeCharacter("/")) }
        }
        return nil
    }

    /// Why a record listing `inputs` (path → blob id) could not be written or read: too many, a
    /// path or id that breaks a limit, and with `estimatingSize` a note that these entries alone
    /// would make larger than `noteBytes` (counted as the note writes them). Runs check it before
    /// any stage runs.
    public static func inputsProblem(_ inputs: [String: String], estimatingSize: Bool = true) -> Problem? {
        if inputs.count > Self.inputs { return .tooManyInputs(inputs.count) }
        var bytes = 0
        for (path, blob) in inputs {
            if path.isEmpty || path.utf8.count > pathBytes {
                return .inputPath(path, .tooLong(bytes: path.utf8.count))
            }
            if let scalar = TerminalText.firstUnsafe(in: path) {
                return .inputPath(path, .unsafeCharacter(scalar))
            }
            if let problem = fieldProblem(blob, "inputs[\(NameRules.quoted(path))]") { return problem }
            // `    "path" : "blob",⏎` in the note: 13 bytes around the two strings, which JSON
            // escapes only at '"' and '\' (controls are refused above).
            bytes += 13 + escapedCount(path) + escapedCount(blob)
        }
        // The rest of a record (ids, stages, gates, metrics) is at least this large.
        let rest = 1_024
        if estimatingSize, bytes + rest > noteBytes {
            return .noteTooLarge(bytes: bytes + rest, inputs: inputs.count, metrics: 0)
        }
        return nil
    }

    /// The note text of `record` when it is within every limit (the size included), else
    /// `RecordError.overLimit` naming the first limit it breaks; `subject` names the run.
    public static func requireWritable(_ record: RunRecord, subject: String) throws -> Data {
        if let problem = problem(in: record) {
            throw RecordError.overLimit(subject: subject, problem, location: PipelineConfig.fileName)
        }
        let data = try record.encoded()
        guard data.count + 1 <= noteBytes else {  // the note ends with a newline
            throw RecordError.overLimit(
                subject: subject,
                .noteTooLarge(
                    bytes: data.count + 1, inputs: record.inputs.count, metrics: record.metrics.count),
                location: PipelineConfig.fileName)
        }
        return data
    }

    /// `text` cut to at most `limit` UTF-8 bytes on a character boundary, marked with `…` when cut.
    public static func clipped(_ text: String, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        var used = 0
        let budget = max(0, limit - 3)  // "…" is three bytes
        for character in text {
            let size = character.utf8.count
            if used + size > budget { break }
            result.append(character)
            used += size
        }
        return result + "…"
    }

    /// Why a one-line field cannot be recorded: over `fieldBytes`, or holding a character a
    /// terminal acts on (a line break included); nil when it can.
    static func fieldProblem(_ value: String, _ field: String) -> Problem? {
        if value.utf8.count > fieldBytes { return .field(field, .tooLong(bytes: value.utf8.count)) }
        if let scalar = TerminalText.firstUnsafe(in: value) { return .field(field, .unsafeCharacter(scalar)) }
        return nil
    }

    /// Bytes of `text` in a JSON string: '"' and '\' take two.
    private static func escapedCount(_ text: String) -> Int {
        text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\"") || $1 == UInt8(ascii: "\\") ? 2 : 1) }
    }
}
