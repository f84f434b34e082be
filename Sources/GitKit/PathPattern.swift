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
///
/// Patterns come from a repository's config, so matching must stay fast whatever they hold:
/// a backtracking matcher takes exponential time on `a*a*a*a*a*b` against a long path. The
/// pattern is compiled once into a list of steps (a byte, `?`, a bracket set, `*`, `**/`, a
/// trailing `**`) and matched by following every step the text could be at together, one text
/// byte at a time (a Thompson simulation): time O(path length × steps), memory O(steps).
public struct PathPattern: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let bytes: [UInt8]
    /// Where the literal prefix ends (the first special character).
    private let literal: Int
    /// The rest of the pattern, compiled.
    private let steps: [Step]

    /// One step of a compiled pattern.
    private enum Step: Sendable, Hashable {
        /// Exactly this byte.
        case byte(UInt8)
        /// Any byte but `/` (`?`).
        case any
        /// A byte of the set (`[…]`; never `/`).
        case set(ByteSet)
        /// Zero or more bytes, none of them `/` (`*`, or `**` not a whole component).
        case star
        /// `**/`, zero or more whole directories: either nothing (skip the next step too) or the
        /// next step, `.insideDirectories`; reads no byte.
        case directories
        /// Inside the directories of a `**/`: any byte; a `/` may end them.
        case insideDirectories
        /// Everything that is left (`**` as the last component).
        case rest
    }

    /// A set of bytes, one bit each.
    private struct ByteSet: Sendable, Hashable {
        var words = SIMD4<UInt64>(repeating: 0)

        func contains(_ byte: UInt8) -> Bool { words[Int(byte >> 6)] >> (byte & 63) & 1 == 1 }
        mutating func insert(_ byte: UInt8) { words[Int(byte >> 6)] |= 1 << (byte & 63) }
    }

    /// Makes a pattern; a leading `./` is dropped because repository paths never have one.
    public init(_ pattern: String) {
        var text = Substring(pattern)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        self.pattern = String(text)
        bytes = Array(text.utf8)
        literal = bytes.firstIndex { PathPattern.specials.contains($0) } ?? bytes.count
        steps = PathPattern.compile(bytes, from: literal)
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
        guard text.count >= literal, text[..<literal].elementsEqual(bytes[..<literal]) else { return false }
        return run(text[literal...])
    }

    private static let specials: Set<UInt8> = [star, question, openBracket, backslash]

    /// The folder part of the pattern's literal prefix (before the first `*`, `?`, `[` or `\\`):
    /// every match lies inside it. Empty when the pattern starts with a wildcard or has no `/`
    /// before one.
    public var literalDirectory: String {
        guard let end = bytes[..<literal].lastIndex(of: slash) else { return "" }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// True when `globs` is empty (meaning "everything") or any of them matches `path`.
    public static func matchesAny(_ globs: [PathPattern], _ path: String) -> Bool {
        globs.isEmpty || globs.contains { $0.matches(path) }
    }

    // MARK: - Compiling

    /// The steps of `bytes[start...]`, with wildmatch's meaning of each character.
    private static func compile(_ bytes: [UInt8], from start: Int) -> [Step] {
        var steps: [Step] = []
        var p = start
        while p < bytes.count {
            switch bytes[p] {
            case question:
                steps.append(.any)
                p += 1
            case star:
                var q = p
                while q < bytes.count, bytes[q] == star { q += 1 }
                // As wildmatch: "**" is special only as a whole component; the first component
                // after the literal prefix counts as whole, whatever precedes it.
                let atComponentStart = p == start || bytes[p - 1] == slash
                let atComponentEnd = q == bytes.count || bytes[q] == slash
                if q - p >= 2, atComponentStart, atComponentEnd {
                    if q == bytes.count {
                        steps.append(.rest)
                        return steps
                    }
                    steps += [.directories, .insideDirectories]
                    p = q + 1
                } else {
                    steps.append(.star)
                    p = q
                }
            case openBracket:
                if let (set, next) = bracket(bytes, from: p) {
                    steps.append(.set(set))
                    p = next
                } else {
                    // An unclosed "[" is an ordinary character, as in wildmatch.
                    steps.append(.byte(openBracket))
                    p += 1
                }
            case backslash where p + 1 < bytes.count:
                steps.append(.byte(bytes[p + 1]))
                p += 2
            default:
                steps.append(.byte(bytes[p]))
                p += 1
            }
        }
        return steps
    }

    /// The set of the bracket expression starting at `start` ("[") and the index just past its
    /// closing "]"; nil when there is none. `/` is never in the set.
    private static func bracket(_ pattern: [UInt8], from start: Int) -> (ByteSet, Int)? {
        var p = start + 1
        var negated = false
        if p < pattern.count, pattern[p] == exclamation || pattern[p] == caret {
            negated = true
            p += 1
        }
        var set = ByteSet()
        var first = true
        while p < pattern.count {
            var low = pattern[p]
            if low == closeBracket, !first {
                if negated { set.words = ~set.words }
                set.words[Int(slash >> 6)] &= ~(1 << (slash & 63))
                return (set, p + 1)
            }
            first = false
            if low == backslash, p + 1 < pattern.count {
                p += 1
                low = pattern[p]
            }
            var high = low
            if p + 2 < pattern.count, pattern[p + 1] == dash, pattern[p + 2] != closeBracket {
                high = pattern[p + 2]
                p += 2
                if high == backslash, p + 1 < pattern.count {
                    p += 1
                    high = pattern[p]
                }
            }
            if low <= high {
                for byte in low...high { set.insert(byte) }
            }
            p += 1
        }
        return nil
    }

    // MARK: - Matching

    /// Follows every step `text` can have reached, byte by byte; true when the end is reached
    /// with the text used up, or a trailing `**` is reached at all.
    private func run(_ text: ArraySlice<UInt8>) -> Bool {
        let count = steps.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: 2 * (count + 1)) { buffer in
            var current = UnsafeMutableBufferPointer(rebasing: buffer[..<(count + 1)])
            var next = UnsafeMutableBufferPointer(rebasing: buffer[(count + 1)...])
            current.initialize(repeating: false)
            next.initialize(repeating: false)
            current[0] = true
            if close(&current) { return true }
            for byte in text {
                for index in 0..<count where current[index] {
                    switch steps[index] {
                    case .byte(let expected): if byte == expected { next[index + 1] = true }
                    case .any: if byte != slash { next[index + 1] = true }
                    case .set(let set): if set.contains(byte) { next[index + 1] = true }
                    case .star: if byte != slash { next[index] = true }
                    case .insideDirectories:
                        next[index] = true
                        if byte == slash { next[index + 1] = true }
                    case .directories, .rest: break  // read no byte; `close` moved past them
                    }
                }
                if close(&next) { return true }
                swap(&current, &next)
                next.update(repeating: false)
                if !current.contains(true) { return false }
            }
            return current[count]
        }
    }

    /// Adds the steps reachable without reading a byte (past a `*`, which may match nothing, and
    /// into or past a `**/`); true when a trailing `**` is among them, which matches whatever is left.
    private func close(_ states: inout UnsafeMutableBufferPointer<Bool>) -> Bool {
        for index in 0..<steps.count where states[index] {
            switch steps[index] {
            case .star: states[index + 1] = true
            case .directories:
                states[index + 1] = true
                states[index + 2] = true
            case .rest: return true
            default: break
            }
        }
        return false
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
