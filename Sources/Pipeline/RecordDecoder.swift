import Diagnostics
import Foundation

/// A note that is not a run record this modelgate can use, and why, in plain words.
///
/// Every command shows it as such (it is never replaced by another record, e.g. a cached one
/// with the same inputs, which would hide that the shared record is corrupt). In `--json` output
/// it is `{"commit": "<full id>", "unreadable": "<why>"}`, the shape of a `log --json` entry too.
public struct UnreadableRecord: Error, Codable, Sendable, Equatable {
    /// The commit the note is on (full id).
    public let commit: String
    /// Why it cannot be read ("it is not valid JSON …", "the note is 10.0 MB …").
    public let reason: String

    /// Makes one.
    public init(commit: String, reason: String) {
        self.commit = commit
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case commit
        case reason = "unreadable"
    }
}

/// What a commit's note holds: a run record, or a note that cannot be read as one.
public enum NoteRecord: Sendable {
    /// A record within every limit.
    case record(RunRecord)
    /// A note that is not a usable record.
    case unreadable(UnreadableRecord)

    /// The record, nil when the note is unreadable.
    public var record: RunRecord? {
        if case .record(let record) = self { return record }
        return nil
    }

    /// The unreadable note, nil when the record is readable.
    public var unreadable: UnreadableRecord? {
        if case .unreadable(let unreadable) = self { return unreadable }
        return nil
    }

    /// The record; `RecordError.unreadable` when the note cannot be read.
    public func get() throws -> RunRecord {
        switch self {
        case .record(let record): return record
        case .unreadable(let unreadable): throw RecordError.unreadable(unreadable)
        }
    }
}

/// The one way records are read from notes (and from the run cache): bytes in, a record within
/// `RecordLimits` or the reason it is not one out. It never throws and never traps.
///
/// In order, each step bounded by the previous one: the size (`RecordLimits.noteBytes`, checked
/// before anything is parsed; callers that read from git check the blob's size before reading
/// it), valid UTF-8, JSON (Foundation's parser, which refuses nesting deeper than 512 and
/// numbers that are not finite, such as `NaN`, `Infinity` and `1e999`), the record's layout,
/// the schema version (only `RunRecord.currentSchema`), then every limit of `RecordLimits`.
public struct RecordDecoder {
    private let decoder: JSONDecoder

    /// Makes a decoder; one per thread (JSONDecoder is not shared across threads here).
    public init() {
        decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
    }

    /// The record in `bytes`, or why it is not one.
    public func decode(_ bytes: Data) -> Result<RunRecord, UnreadableReason> {
        if bytes.count > RecordLimits.noteBytes { return .failure(.init(Self.sizeProblem(bytes.count))) }
        if let offset = Self.invalidUTF8Offset(bytes) {
            return .failure(
                .init("it is not valid UTF-8 text (byte \(offset) cannot start or continue a character)"))
        }
        let record: RunRecord
        do {
            record = try decoder.decode(RunRecord.self, from: bytes)
        } catch {
            // A layout this modelgate does not know is named by its schema version first.
            if let schema = try? decoder.decode(SchemaProbe.self, from: bytes).schema,
                schema != RunRecord.currentSchema
            {
                return .failure(.init(Self.schemaProblem(schema)))
            }
            return .failure(.init(Self.describe(error, in: bytes)))
        }
        if let problem = RecordLimits.problem(in: record) { return .failure(.init(problem.description)) }
        return .success(record)
    }

    /// The record in `bytes` on `commit`, or the unreadable note.
    public func decode(_ bytes: Data, commit: String) -> NoteRecord {
        switch decode(bytes) {
        case .success(let record): return .record(record)
        case .failure(let reason): return .unreadable(UnreadableRecord(commit: commit, reason: reason.text))
        }
    }

    /// Why a note of `size` bytes is not read at all.
    public static func sizeProblem(_ size: Int) -> String {
        "the note is \(byteCount(size)); a run record is at most \(byteCount(RecordLimits.noteBytes))"
    }

    /// Why a record of `schema` is not read.
    static func schemaProblem(_ schema: Int) -> String {
        schema > RunRecord.currentSchema
            ? "it has schema \(schema), newer than this modelgate reads (\(RunRecord.currentSchema)); a newer modelgate wrote it"
            : "it has schema \(schema); this modelgate reads schema \(RunRecord.currentSchema) only"
    }

    /// "4 MiB", "10.0 MB": sizes as people say them.
    static func byteCount(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
        if bytes >= 1_000 { return String(format: "%.1f kB", Double(bytes) / 1e3) }
        return "\(bytes) bytes"
    }

    /// The offset of the first byte that is not part of valid UTF-8, nil when all are.
    static func invalidUTF8Offset(_ bytes: Data) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    private struct SchemaProbe: Decodable {
        let schema: Int?
    }

    /// A decoding error in plain words: which field, what was expected.
    static func describe(_ error: any Error, in bytes: Data) -> String {
        guard let error = error as? DecodingError else { return "it cannot be read: \(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return "the field '\(path(context.codingPath + [key]))' is missing"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "it is not a JSON object" }
            return "the field '\(path(context.codingPath))' is not \(expected(type))"
        case .valueNotFound(let type, let context):
            return "the field '\(path(context.codingPath))' is null; it must be \(expected(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return syntaxProblem(bytes) }
            return
                "the field '\(path(context.codingPath))' cannot be read: \(TerminalText.cell(context.debugDescription, limit: 120))"
        @unknown default:
            return "it is not a run record"
        }
    }

    /// What is wrong with JSON that does not parse, from Foundation's parser (JSONDecoder does not
    /// say), with NaN and infinities named as such.
    private static func syntaxProblem(_ bytes: Data) -> String {
        var detail = ""
        do {
            _ = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
            // Foundation's parser reads what JSONDecoder refuses only for numbers it rounds
            // (1e-400 to 0): the same numbers, as the decoder sees them.
            return
                "it holds a number outside the range of a double (such as 1e-400); numbers must be finite doubles"
        } catch {
            detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        }
        if detail.hasPrefix("Number "), detail.hasSuffix(" is not representable in Swift.") {
            let number = detail.dropFirst("Number ".count).dropLast(" is not representable in Swift.".count)
            return
                "it holds the number \(TerminalText.cell(String(number), limit: 40)), beyond the range of a double; numbers must be finite"
        }
        if let offset = characterOffset(in: detail), offset >= 0, offset < bytes.count {
            let start = bytes.startIndex + offset
            let rest = String(decoding: bytes[start...].prefix(9), as: UTF8.self)
            for word in ["NaN", "Infinity", "inf", "nan"] where rest.hasPrefix(word) {
                let signed = offset > 0 && bytes[start - 1] == UInt8(ascii: "-")
                return
                    "it holds '\(signed ? "-" : "")\(word)' (byte \(signed ? offset - 1 : offset)), which is not a JSON number; numbers must be finite"
            }
        }
        let why = detail.isEmpty ? "" : " (\(TerminalText.cell(detail, limit: 120)))"
        return "it is not valid JSON\(why)"
    }

    /// N in Foundation's "… around character N.", nil when absent.
    private static func characterOffset(in detail: String) -> Int? {
        guard let range = detail.range(of: "character ", options: .backwards) else { return nil }
        return Int(detail[range.upperBound...].prefix { $0.isNumber })
    }

    /// "gates[0].limit": a coding path as people write it, sanitised and cut.
    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return TerminalText.cell(text, limit: 80)
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type: return "a whole number"
        case is String.Type: return "text"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "what a run record holds there"
        }
    }
}

/// Why bytes are not a run record, in plain words.
public struct UnreadableReason: Error, Sendable, Equatable {
    /// The reason.
    public let text: String

    /// Makes one from its words.
    public init(_ text: String) { self.text = text }
}

/// Errors about run records that a command reports.
public enum RecordError: UserFacingError, Equatable {
    /// The commit's note cannot be read as a run record.
    case unreadable(UnreadableRecord)
    /// A record this run would produce breaks a limit, so it is neither cached nor written as a
    /// note; `location` is where to fix it (`modelgate.yml`, at a stage when one is to blame).
    case overLimit(subject: String, RecordLimits.Problem, location: String)

    /// What went wrong, in one line.
    public var summary: String {
        switch self {
        case .unreadable(let unreadable):
            "the run record of \(unreadable.commit.prefix(7)) is unreadable: \(unreadable.reason)"
        case .overLimit(let subject, let problem, _):
            "the run record of \(subject) cannot be stored: \(problem)"
        }
    }

    /// Where: the note, or the config.
    public var location: String? {
        switch self {
        case .unreadable(let unreadable): "\(RecordNotes.ref) on \(unreadable.commit.prefix(7))"
        case .overLimit(_, _, let location): location
        }
    }

    /// How to fix it: for a limit, how to stay within that limit.
    public var hint: String? {
        switch self {
        case .unreadable(let unreadable):
            "look at it with 'git notes --ref=modelgate show \(unreadable.commit.prefix(7))'; 'modelgate run --rev \(unreadable.commit.prefix(7)) --force' replaces it with a fresh record"
        case .overLimit(_, let problem, _):
            problem.hint
        }
    }

    /// Both are bad input (2): the record's content, not a failure of modelgate or git.
    public var exitStatus: ExitStatus { .badInput }
}
