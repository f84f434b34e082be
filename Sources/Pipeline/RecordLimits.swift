import Diagnostics
import Foundation

/// How large a run record may be: the same limits for a note a collaborator pushed and for a
/// record modelgate writes itself, so every record modelgate writes can be read back by anyone.
///
/// Notes arrive from other people (`git fetch`, `modelgate sync`) and every command reads them,
/// so a record must not be able to make a command slow, large or misleading: the note's size is
/// checked before its bytes are read, then every count and every string is bounded, every number
/// must be finite, and a name (metric, stage, gate) may hold no character a terminal acts on
/// (`TerminalText.isUnsafe`). The figures are far above what real pipelines produce and far
/// below what would hurt:
///
/// - `noteBytes` 4 MiB: a record lists every input file with its blob id (about 80 bytes each),
///   so about 50,000 input files fit; decoding one takes tens of milliseconds. A 10 MB note is
///   refused unread.
/// - `metrics` 10,000 (per record, and all stages together): a data check reports four metrics
///   per column (`missing.`, `out_of_range.`, `drift.psi.`, `drift.ks.`), so a 2,500-column
///   table fits. The site draws one page per metric, which is what makes this the limit that
///   bounds a site's size.
/// - `stages` and `gates` 1,000 each; `inputs` 100,000 entries (the byte limit comes first).
/// - `nameBytes` 1,024 for a metric, stage or gate name: room for long column names in
///   `missing.<column>`, while tables print names cut to a few dozen characters.
/// - `pathBytes` 4,096 (PATH_MAX) for an input path; `fieldBytes` 1,024 for ids, digests and
///   words (`tool`, `source`, `baseline.policy`…); `errorBytes` 64 KiB for an error message.
/// - Nesting: a record's layout is fixed (three levels), and Foundation's JSON parser refuses
///   documents nested deeper than 512 levels, so no input can recurse further.
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
    /// Longest metric, stage or gate name, in UTF-8 bytes.
    public static let nameBytes = 1_024
    /// Longest input path, in UTF-8 bytes.
    public static let pathBytes = 4_096
    /// Longest id, digest or word field, in UTF-8 bytes.
    public static let fieldBytes = 1_024
    /// Longest error message, in UTF-8 bytes.
    public static let errorBytes = 64 << 10

    /// Why `name` cannot be a metric, stage or gate name, or nil when it can. `what` is the kind
    /// of name ("metric name") for the message.
    public static func nameProblem(_ name: String, _ what: String = "metric name") -> String? {
        if name.isEmpty { return "a \(what) is empty" }
        if name.utf8.count > nameBytes {
            return
                "the \(what) \(quoted(name)) is \(name.utf8.count) bytes long; at most \(nameBytes) are allowed"
        }
        if let scalar = TerminalText.firstUnsafe(in: name) {
            return
                "the \(what) \(quoted(name)) contains the control character \(codePoint(scalar)); names may hold no control characters"
        }
        return nil
    }

    /// Why `metrics` cannot be recorded (too many, a bad name, a value that is not finite), or nil.
    public static func metricsProblem(_ metrics: [String: Double]) -> String? {
        if metrics.count > Self.metrics {
            return "it has \(metrics.count) metrics; at most \(Self.metrics) are allowed"
        }
        // Almost always nothing is wrong; sort only to name the first problem deterministically.
        guard metrics.contains(where: { nameProblem($0.key) != nil || !$0.value.isFinite }) else {
            return nil
        }
        for name in metrics.keys.sorted() {
            if let problem = nameProblem(name) { return problem }
            if let value = metrics[name], !value.isFinite {
                return
                    "the metric \(quoted(name)) is \(RunReport.format(value)); a metric must be a finite number"
            }
        }
        return nil
    }

    /// Why `record` breaks a limit (its schema, a count, a string's length, a name, a number that
    /// is not finite), in plain words; nil when it is within every limit.
    public static func problem(in record: RunRecord) -> String? {
        if record.schema != RunRecord.currentSchema { return RecordDecoder.schemaProblem(record.schema) }
        if let problem = metricsProblem(record.metrics) { return problem }
        if record.stages.count > stages {
            return "it has \(record.stages.count) stages; at most \(stages) are allowed"
        }
        var stageMetrics = 0
        for stage in record.stages {
            if let problem = nameProblem(stage.name, "stage name") { return problem }
            stageMetrics += stage.metrics.count
            if stageMetrics > metrics {
                return
                    "its stages report more than \(metrics) metrics together; at most \(metrics) are allowed"
            }
            if let problem = metricsProblem(stage.metrics) {
                return "stage \(quoted(stage.name)): \(problem)"
            }
            if let problem = fieldProblem(stage.status, "stages[].status")
                ?? fieldProblem(stage.fingerprint, "stages[].fingerprint")
            {
                return problem
            }
        }
        if record.gates.count > gates {
            return "it has \(record.gates.count) gates; at most \(gates) are allowed"
        }
        for gate in record.gates {
            if let problem = nameProblem(gate.metric, "gate's metric name") { return problem }
            for (field, value) in [("limit", gate.limit), ("value", gate.value), ("baseline", gate.baseline)]
            {
                if let value, !value.isFinite {
                    return
                        "the gate on \(quoted(gate.metric)) has the \(field) \(RunReport.format(value)); numbers must be finite"
                }
            }
        }
        if record.inputs.count > inputs {
            return "it lists \(record.inputs.count) input files; at most \(inputs) are allowed"
        }
        for (path, blob) in record.inputs {
            if path.isEmpty || path.utf8.count > pathBytes {
                return "an input path is \(path.utf8.count) bytes long; 1 to \(pathBytes) are allowed"
            }
            if let problem = fieldProblem(blob, "inputs[\(quoted(path))]") { return problem }
        }
        let fields: [(String?, String)] = [
            (record.commit, "commit"), (record.tree, "tree"), (record.fingerprint, "fingerprint"),
            (record.artifact, "artifact"), (record.tool, "tool"), (record.source, "source"),
            (record.baseline?.policy, "baseline.policy"), (record.baseline?.commit ?? nil, "baseline.commit"),
            (record.baseline?.comparison, "baseline.comparison"),
        ]
        for (value, field) in fields {
            if let value, let problem = fieldProblem(value, field) { return problem }
        }
        if let error = record.error, error.utf8.count > errorBytes {
            return "its error message is \(error.utf8.count) bytes long; at most \(errorBytes) are allowed"
        }
        return nil
    }

    /// The note text of `record` when it is within every limit (the size included), else
    /// `RecordError.overLimit` naming the first limit it breaks; `subject` names the run.
    public static func requireWritable(_ record: RunRecord, subject: String) throws -> Data {
        if let problem = problem(in: record) {
            throw RecordError.overLimit(subject: subject, reason: problem)
        }
        let data = try record.encoded()
        guard data.count + 1 <= noteBytes else {  // the note ends with a newline
            throw RecordError.overLimit(
                subject: subject,
                reason:
                    "it would be \(RecordDecoder.byteCount(data.count + 1)) (\(record.inputs.count) input files, \(record.metrics.count) metrics); a run record is at most \(RecordDecoder.byteCount(noteBytes))"
            )
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

    /// `text` quoted for a message: sanitised and cut, so a hostile name stays short and inert.
    static func quoted(_ text: String) -> String {
        "'" + TerminalText.cell(text, limit: 60) + "'"
    }

    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func fieldProblem(_ value: String, _ field: String) -> String? {
        guard value.utf8.count > fieldBytes else { return nil }
        return "its field '\(field)' is \(value.utf8.count) bytes long; at most \(fieldBytes) are allowed"
    }
}
