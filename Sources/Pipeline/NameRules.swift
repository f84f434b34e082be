import Diagnostics

/// The one set of rules for the names of stages, metrics and gates, wherever a name comes from:
/// `modelgate.yml` (`ConfigValidator`), a stage's metrics file (`MetricsFile`), a built-in
/// stage's data columns, or a collaborator's run record (`RecordLimits`).
///
/// The guarantee: a name that passes here can be printed, stored and used in a file name without
/// another check, so a config that validates never fails later for its names, and a record that
/// modelgate writes is a record everyone can read. The rules, in bytes because file systems and
/// limits count bytes:
///
/// - every name: not empty, at most `maxBytes` (200) UTF-8 bytes, and no character that
///   `TerminalText.isUnsafe` refuses (controls, line breaks, bidirectional and invisible
///   characters), so it prints as one inert line;
/// - a stage name also becomes part of file names — `logs/<12 hex>-<stage>.log` (17 bytes more)
///   and the default `<stage>.model.json` (11 more), both within Linux's NAME_MAX of 255 bytes —
///   so it holds no `/` or `\`, no `..`, and does not start with `.` (a hidden file, which an
///   artifact refuses);
/// - metric and gate names get no file-system rule: `val/loss` (Lightning, TensorBoard) is a
///   metric name, and the site names its pages by a hash of the name.
public enum NameRules {
    /// The longest name, in UTF-8 bytes.
    public static let maxBytes = 200

    /// What a name names.
    public enum Kind: String, Sendable {
        /// A stage's `name:`.
        case stage
        /// A metric a stage reports.
        case metric
        /// The metric a gate judges (`metric:` of a gate).
        case gate = "gate's metric"
    }

    /// Why a name cannot be used.
    public enum Problem: Equatable, Sendable {
        /// It is empty.
        case empty
        /// It is this many bytes long, over `maxBytes`.
        case tooLong(bytes: Int)
        /// It holds this character, which a terminal acts on or which is invisible.
        case unsafeCharacter(Unicode.Scalar)
        /// A stage name holding `/` or `\`.
        case separator
        /// A stage name holding `..`.
        case dotDot
        /// A stage name starting with `.`.
        case leadingDot
    }

    /// Why `name` cannot name a `kind`, or nil when it can.
    public static func problem(in name: String, for kind: Kind) -> Problem? {
        if name.isEmpty { return .empty }
        let bytes = name.utf8.count
        if bytes > maxBytes { return .tooLong(bytes: bytes) }
        if let scalar = TerminalText.firstUnsafe(in: name) { return .unsafeCharacter(scalar) }
        guard kind == .stage else { return nil }
        if name.contains("/") || name.contains("\\") { return .separator }
        if name.contains("..") { return .dotDot }
        if name.hasPrefix(".") { return .leadingDot }
        return nil
    }

    /// "the stage name 'x…' is 300 bytes long; at most 200 are allowed": the problem in words,
    /// the name shown sanitised and cut.
    public static func describe(_ problem: Problem, name: String, kind: Kind) -> String {
        let what = "\(kind.rawValue) name"
        switch problem {
        case .empty: return "a \(what) is empty"
        case .tooLong(let bytes):
            return "the \(what) \(quoted(name)) is \(bytes) bytes long; at most \(maxBytes) are allowed"
        case .unsafeCharacter(let scalar):
            return
                "the \(what) \(quoted(name)) holds \(codePoint(scalar)), a control, line-break or invisible character"
        case .separator: return "the \(what) \(quoted(name)) holds '/' or '\\'"
        case .dotDot: return "the \(what) \(quoted(name)) holds '..'"
        case .leadingDot: return "the \(what) \(quoted(name)) starts with '.'"
        }
    }

    /// How to fix a name with `problem`.
    public static func hint(for problem: Problem, kind: Kind) -> String {
        switch (kind, problem) {
        case (.stage, _):
            return
                "stage names become file names (logs, default model files): use at most \(maxBytes) bytes of letters, digits, '-', '_' and '.', e.g. 'name: train'"
        case (_, .tooLong):
            return "shorten it: names are at most \(maxBytes) bytes (UTF-8), e.g. 'test.r2' or 'val/loss'"
        default:
            return
                "metric names are printed on one line: use visible characters only, e.g. 'r2', 'test.accuracy' or 'val/loss'"
        }
    }

    /// `text` quoted for a message: sanitised and cut, so a hostile name stays short and inert.
    static func quoted(_ text: String) -> String {
        "'" + TerminalText.cell(text, limit: 60) + "'"
    }

    /// "U+001B".
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
