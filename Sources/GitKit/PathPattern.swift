/// A path glob with the meaning of git's `:(glob)` pathspec magic, matched against repository paths.
///
/// - `?` and `*` match any character(s) except `/`; `[abc]`, `[a-z]` and `[!a]` match one
///   character (never `/`); `\` makes the next character literal.
/// - `**` matches across directories when it is a whole path component: `**/x` (x in any
///   directory), `a/**` (everything inside a), `a/**/b` (zero or more directories between).
///   Elsewhere `**` is the same as `*`, except right after the pattern's literal prefix, which
///   git compares as plain text first: `d**/*.csv` matches `dataset.csv` in git, and here too.
/// - Like every git pathspec, a pattern also matches everything inside the directory it names
///   literally: `data` and `data/` match `data/train.csv`.
///
/// Matching is case-sensitive and byte-wise on UTF-8, as git's is on Linux. This is git's own
/// `wildmatch` with `WM_PATHNAME`, reimplemented, because fnmatch(3) has no `**`; the tests check
/// it against `git ls-files ':(glob)PATTERN'`.
public struct PathPattern: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let bytes: [UInt8]

    /// Makes a pattern; a leading `./` is dropped because repository paths never have one.
    public init(_ pattern: String) {
        var text = Substring(pattern)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        self.pattern = String(text)
        bytes = Array(text.utf8)
    }

    /// The pattern as written.
    public var description: String { pattern }

    /// True when `path` (relative to the repository root, `/`-separated) matches.
    public func matches(_ path: String) -> Bool {
        if bytes.isEmpty { return true }
        let text = Array(path.utf8)
        if text.count >= bytes.count, text[..<bytes.count].elementsEqual(bytes) {
            if text.count == bytes.count || bytes.last == slash || text[bytes.count] == slash {
                return true
            }
        }
        // Like git, compare the literal prefix (up to the first special character) as text and
        // wildmatch only the rest; so "d**/*.csv" behaves as "d" then "**/*.csv", and matches
        // "dataset.csv" exactly as `git ls-files ':(glob)d**/*.csv'` does.
        let literal = bytes.firstIndex { PathPattern.specials.contains($0) } ?? bytes.count
        guard text.count >= literal, text[..<literal].elementsEqual(bytes[..<literal]) else { return false }
        return PathPattern.wildmatch(bytes[literal...], text[literal...])
    }

    private static let specials: Set<UInt8> = [star, question, openBracket, backslash]

    /// True when `globs` is empty (meaning "everything") or any of them matches `path`.
    public static func matchesAny(_ globs: [PathPattern], _ path: String) -> Bool {
        globs.isEmpty || globs.contains { $0.matches(path) }
    }

    private static func wildmatch(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        while p < pattern.endIndex {
            let c = pattern[p]
            switch c {
            case question:
                guard t < text.endIndex, text[t] != slash else { return false }
                p += 1
                t += 1
            case star:
                var q = p
                while q < pattern.endIndex, pattern[q] == star { q += 1 }
                let atComponentStart = p == pattern.startIndex || pattern[p - 1] == slash
                let atComponentEnd = q == pattern.endIndex || pattern[q] == slash
                if q - p >= 2, atComponentStart, atComponentEnd {
                    if q == pattern.endIndex { return true }
                    // "**/": zero or more whole directories, then the rest of the pattern.
                    let rest = pattern[(q + 1)...]
                    if wildmatch(rest, text[t...]) { return true }
                    var j = t
                    while j < text.endIndex {
                        if text[j] == slash, wildmatch(rest, text[(j + 1)...]) { return true }
                        j += 1
                    }
                    return false
                }
                let rest = pattern[q...]
                if rest.isEmpty { return !text[t...].contains(slash) }
                var j = t
                while true {
                    if wildmatch(rest, text[j...]) { return true }
                    if j >= text.endIndex || text[j] == slash { return false }
                    j += 1
                }
            case openBracket:
                guard t < text.endIndex, text[t] != slash else { return false }
                guard let (matched, next) = matchBracket(pattern, from: p, text[t]) else {
                    // An unclosed "[" is an ordinary character, as in wildmatch.
                    guard text[t] == c else { return false }
                    p += 1
                    t += 1
                    continue
                }
                guard matched else { return false }
                p = next
                t += 1
            default:
                var literal = c
                if c == backslash, p + 1 < pattern.endIndex {
                    p += 1
                    literal = pattern[p]
                }
                guard t < text.endIndex, text[t] == literal else { return false }
                p += 1
                t += 1
            }
        }
        return t == text.endIndex
    }

    /// Matches one character against the bracket expression starting at `start` ("[").
    ///
    /// Returns whether it matched and the index just past the closing "]", or nil when there
    /// is no closing "]".
    private static func matchBracket(
        _ pattern: ArraySlice<UInt8>, from start: Int, _ character: UInt8
    ) -> (Bool, Int)? {
        var p = start + 1
        var negated = false
        if p < pattern.endIndex, pattern[p] == exclamation || pattern[p] == caret {
            negated = true
            p += 1
        }
        var matched = false
        var first = true
        while p < pattern.endIndex {
            var low = pattern[p]
            if low == closeBracket, !first { return (matched != negated, p + 1) }
            first = false
            if low == backslash, p + 1 < pattern.endIndex {
                p += 1
                low = pattern[p]
            }
            if p + 2 < pattern.endIndex, pattern[p + 1] == dash, pattern[p + 2] != closeBracket {
                var high = pattern[p + 2]
                p += 2
                if high == backslash, p + 1 < pattern.endIndex {
                    p += 1
                    high = pattern[p]
                }
                if low <= character && character <= high { matched = true }
            } else if low == character {
                matched = true
            }
            p += 1
        }
        return nil
    }
}

private let slash = UInt8(ascii: "/")
private let star = UInt8(ascii: "*")
private let question = UInt8(ascii: "?")
private let backslash = UInt8(ascii: "\\")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let exclamation = UInt8(ascii: "!")
private let caret = UInt8(ascii: "^")
private let dash = UInt8(ascii: "-")
