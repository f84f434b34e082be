import Diagnostics

/// A problem in `modelgate.yml`, with the position it was found at.
public struct ConfigError: UserFacingError, Equatable {
    /// What is wrong.
    public let summary: String
    /// `modelgate.yml:LINE:COLUMN`, or just the file when the problem has no position.
    public let location: String?
    /// How to fix it.
    public let hint: String?
    /// Always bad input.
    public var exitStatus: ExitStatus { .badInput }

    /// Makes an error at `position` in `file`.
    public init(_ summary: String, file: String, at position: SourcePosition?, hint: String?) {
        self.summary = summary
        self.location = position.map { "\(file):\($0.line):\($0.column)" } ?? file
        self.hint = hint
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
