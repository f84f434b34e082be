import Diagnostics

/// A problem in `modelgate.yml` (or a path it names), with the position it was found at.
///
/// `problem` says which mistake it is, for code and tests that need to tell them apart; checks
/// written before the cases existed carry `.described` and say everything in `summary`. Every
/// text is sanitised with `TerminalText` (control, line-break and invisible characters shown as
/// visible stand-ins), because names and paths come from a repository an attacker may have
/// written, and must not drive the terminal.
public struct ConfigError: UserFacingError, Equatable {
    /// Which mistake this is.
    public let problem: Problem
    /// What is wrong.
    public let summary: String
    /// `modelgate.yml:LINE:COLUMN`, or just the file when the problem has no position.
    public let location: String?
    /// How to fix it.
    public let hint: String?
    /// Always bad input.
    public var exitStatus: ExitStatus { .badInput }

    /// The mistakes that have a case of their own.
    public enum Problem: Equatable, Sendable {
        /// The file is larger than `limit` bytes.
        case tooLarge(limit: Int)
        /// More than `limit` values once the YAML aliases are expanded.
        case tooManyValues(limit: Int)
        /// Collections nested more than `limit` deep (aliases expanded).
        case tooDeep(limit: Int)
        /// An alias (`*name`) as a mapping key.
        case aliasKey
        /// A list or mapping as a mapping key.
        case collectionKey
        /// The path-valued `key` of `stage` is `path`, which is not a path inside the repository.
        case unsafePath(stage: String, key: String, path: String, RepositoryPath.Problem)
        /// `path` reaches `link`, a symbolic link to `target` outside the repository.
        case linkLeavesRepository(path: String, link: String, target: String)
        /// A stage or metric name that breaks `NameRules`.
        case unsafeName(NameRules.Kind, name: String, NameRules.Problem)
        /// The pipeline would make run records over a limit (too many stages or gates).
        case recordLimit(RecordLimits.Problem)
        /// Any other mistake; `summary` says which.
        case described
    }

    /// Makes an error at `position` in `file`, described in free text.
    public init(_ summary: String, file: String, at position: SourcePosition?, hint: String?) {
        self.init(.described, summary: summary, location: Self.location(file, position), hint: hint)
    }

    /// Makes the error for `problem` at `position` in `file`, or at `location` (a path) when there
    /// is no position.
    public init(_ problem: Problem, file: String, at position: SourcePosition?, location: String? = nil) {
        let (summary, hint) = Self.text(for: problem, file: file)
        self.init(
            problem, summary: summary,
            location: position == nil ? location ?? file : Self.location(file, position), hint: hint)
    }

    /// The same error, pointing at `position` in `file` (e.g. the stage that names a path).
    func located(at position: SourcePosition?, in file: String) -> ConfigError {
        ConfigError(problem, summary: summary, location: Self.location(file, position), hint: hint)
    }

    private init(_ problem: Problem, summary: String, location: String, hint: String?) {
        self.problem = problem
        self.summary = TerminalText.sanitized(summary)
        self.location = TerminalText.sanitized(location)
        self.hint = hint.map { TerminalText.sanitized($0) }
    }

    private static func location(_ file: String, _ position: SourcePosition?) -> String {
        position.map { "\(file):\($0.line):\($0.column)" } ?? file
    }

    private static func text(for problem: Problem, file: String) -> (String, String?) {
        switch problem {
        case .tooLarge(let limit):
            return (
                "\(file) is larger than \(limit >> 20) MiB",
                "a pipeline config is a few kilobytes; check that this is the file you meant to commit"
            )
        case .tooManyValues(let limit):
            return (
                "\(file) holds more than \(limit) values once its aliases are expanded",
                "write the values out instead of repeating aliases ('*name'); nested aliases multiply"
            )
        case .tooDeep(let limit):
            return (
                "\(file) is nested more than \(limit) levels deep",
                "a pipeline config needs a handful of levels; flatten the lists and mappings here"
            )
        case .aliasKey:
            return ("an alias cannot be a mapping key", "write the key as a plain name, e.g. 'name:'")
        case .collectionKey:
            return (
                "a list or mapping cannot be a mapping key", "write the key as a plain name, e.g. 'name:'"
            )
        case .unsafePath(let stage, let key, let path, let reason):
            let what = "'\(key)' of stage '\(stage)' is '\(path)', which"
            switch reason {
            case .empty:
                return (
                    "'\(key)' of stage '\(stage)' is an empty path",
                    "name a file relative to the repository root, e.g. 'data/train.csv'"
                )
            case .absolute:
                return (
                    "\(what) is an absolute path",
                    "write it relative to the repository root, e.g. 'data/train.csv'; modelgate reads and writes only inside the repository"
                )
            case .parentDirectory:
                return (
                    "\(what) leaves the repository through '..'",
                    "write it relative to the repository root without '..'; modelgate reads and writes only inside the repository"
                )
            case .gitDirectory:
                return (
                    "\(what) is inside '.git'",
                    "name a file of the work tree; git's own files are neither inputs nor outputs"
                )
            case .controlCharacter:
                return (
                    "\(what) holds a control, line-break or invisible character",
                    "rename the file to a name of visible characters"
                )
            }
        case .linkLeavesRepository(let path, let link, let target):
            let summary =
                path == link
                ? "'\(path)' is a symbolic link leading outside the repository (to '\(target)')"
                : "'\(path)' goes through '\(link)', a symbolic link leading outside the repository (to '\(target)')"
            return (
                summary,
                "modelgate reads and writes only inside the repository; commit the file itself, or a link to a file inside it"
            )
        case .unsafeName(let kind, let name, let reason):
            return (
                NameRules.describe(reason, name: name, kind: kind), NameRules.hint(for: reason, kind: kind)
            )
        case .recordLimit(let problem):
            return ("\(file) makes run records over a limit: \(problem)", problem.hint)
        case .described:
            return ("\(file) is not valid", nil)
        }
    }
}

/// A 1-based line and column in a text file.
public struct SourcePosition: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Line, starting at 1.
    public let line: Int
    /// Column in Unicode scalars, starting at 1.
    public let column: Int

    /// Makes a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The value as text.
    public var description: String { "\(line):\(column)" }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// Levenshtein distance between two strings, by Unicode scalar.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        previous = current
    }
    return previous[b.count]
}
