import Foundation
import GitKit
import TestSupport
import Testing

/// `PathPattern` must select exactly what `git ls-files ':(glob)PATTERN'` selects.
@Suite struct PathPatternTests {
    static let files = [
        "README.md", "data/train.csv", "data/test.csv", "data/raw/2024/jan.csv", "data/raw/notes.txt",
        "src/train.py", "src/lib/util.py", "src/lib/deep/x.py", "a[1].txt", "q.csv", "dataset.csv",
        "docs/data/readme.md",
    ]

    static let patterns = [
        "*.csv", "data/*.csv", "data/**", "data/**/*.csv", "**/*.csv", "**/data/*", "data", "data/",
        "src/*/*.py", "src/**/x.py", "?.csv", "data/t???.csv", "[dq]*.csv", "data/[!t]*", "da*",
        "*", "**", "src/**/", "data/raw", "a\\[1\\].txt", "**/readme.md", "d**/*.csv", "src/lib/**/*.py",
    ]

    @Test func matchesLikeGitGlobPathspecs() throws {
        let repo = try TemporaryRepository()
        try repo.write(Dictionary(uniqueKeysWithValues: Self.files.map { ($0, "\($0)\n") }))
        try repo.git(["add", "--all"])
        let repository = try repo.open()
        for pattern in Self.patterns {
            let expected = nulFields(try repo.git(["ls-files", "-z", "--", ":(glob)\(pattern)"]))
            let matcher = PathPattern(pattern)
            let actual = Self.files.filter(matcher.matches).sorted {
                $0.utf8.lexicographicallyPrecedes($1.utf8)
            }
            #expect(actual == expected, "pattern \(pattern)")
            #expect(
                try repository.indexEntries(matching: [pattern]).map(\.path) == expected, "pattern \(pattern)"
            )
        }
    }

    @Test func aPathologicalPatternTakesLinearTime() {
        // Backtracking takes exponential time here; this finishes at once or hangs the suite.
        let path = String(repeating: "a", count: 10_000)
        #expect(!PathPattern("a*a*a*a*a*a*a*a*a*a*b").matches(path))
        #expect(PathPattern("a*a*a*a*a*a*a*a*a*a*a").matches(path))
        #expect(!PathPattern("**/a*a*a*a*a*a*a*a*b").matches(path + "/" + path))
        #expect(!PathPattern("[a]*[a]*?*?*a*b").matches(path))
        #expect(PathPattern("x/**").matches("x/" + String(repeating: "a/", count: 5_000)))
    }

    @Test func agreesWithTheBacktrackingMatcherOnSmallInputs() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let patternAlphabet = Array("ab/*?[]!-\\.")
        let pathAlphabet = Array("ab/.-")
        var disagreements: [String] = []
        for _ in 0..<50_000 {
            let pattern = String((0..<next(9)).map { _ in patternAlphabet[next(patternAlphabet.count)] })
            let path = String((0..<next(11)).map { _ in pathAlphabet[next(pathAlphabet.count)] })
            if PathPattern(pattern).matches(path) != ReferenceWildmatch(pattern).matches(path) {
                disagreements.append("\(pattern) ~ \(path)")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20))")
    }

    @Test func theLiteralDirectoryHoldsEveryMatch() {
        #expect(PathPattern("data/raw/*.csv").literalDirectory == "data/raw")
        #expect(PathPattern("data/train.csv").literalDirectory == "data")
        #expect(PathPattern("*.csv").literalDirectory == "")
        #expect(PathPattern("a\\*b/c/*").literalDirectory == "")
        #expect(PathPattern("./d/**").literalDirectory == "d")
    }

    @Test func emptyListMeansEverything() {
        #expect(PathPattern.matchesAny([], "any/path"))
        #expect(PathPattern.matchesAny([PathPattern("x"), PathPattern("*.md")], "README.md"))
        #expect(!PathPattern.matchesAny([PathPattern("x")], "README.md"))
        #expect(PathPattern("./data/*.csv").matches("data/a.csv"))
    }
}

/// The backtracking matcher PathPattern used before it was compiled to steps (exponential on
/// `a*a*a*b`), kept as the reference its replacement must agree with on small inputs.
struct ReferenceWildmatch {
    let bytes: [UInt8]

    init(_ pattern: String) {
        var text = Substring(pattern)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        bytes = Array(text.utf8)
    }

    static let specials: Set<UInt8> = [star, question, openBracket, backslash]

    /// True when `path` (relative to the repository root, `/`-separated) matches.
    func matches(_ path: String) -> Bool {
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
        let literal = bytes.firstIndex { ReferenceWildmatch.specials.contains($0) } ?? bytes.count
        guard text.count >= literal, text[..<literal].elementsEqual(bytes[..<literal]) else { return false }
        return ReferenceWildmatch.wildmatch(bytes[literal...], text[literal...])
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
