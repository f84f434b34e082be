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

    @Test func emptyListMeansEverything() {
        #expect(PathPattern.matchesAny([], "any/path"))
        #expect(PathPattern.matchesAny([PathPattern("x"), PathPattern("*.md")], "README.md"))
        #expect(!PathPattern.matchesAny([PathPattern("x")], "README.md"))
        #expect(PathPattern("./data/*.csv").matches("data/a.csv"))
    }
}
