import Foundation
import TestSupport
import Testing

/// `make install`'s completions step (`scripts/install-completions.sh`) with the built binary:
/// the files land where bash, zsh and fish look, and bash's really completes commands and options.
@Suite struct CompletionTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/install-completions.sh").path

    static func install(binary: String, prefix: URL) throws -> ProcessResult {
        try ProcessRunner.run(
            "/bin/sh", [script, binary, prefix.path], in: prefix.deletingLastPathComponent())
    }

    /// What bash's completion function offers for `words`, the last being the word being typed.
    static func bashCompletions(_ file: URL, _ words: [String]) throws -> [String] {
        let line = words.joined(separator: " ")
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let program = """
            source '\(file.path)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=\(line.utf8.count)
            _modelgate modelgate '\(words.last!)' '\(words[words.count - 2])'
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try ProcessRunner.run(
            "/bin/bash", ["-c", program], in: file.deletingLastPathComponent())
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func installsCompletionsThatComplete() throws {
        let directory = try TemporaryDirectory(prefix: "modelgate-completions")
        let prefix = directory.appending("prefix")
        let result = try Self.install(binary: try ModelgateBinary.url.path, prefix: prefix)
        #expect(result.status == 0, "\(result.output)")
        let bash = prefix.appendingPathComponent("share/bash-completion/completions/modelgate")
        let zsh = prefix.appendingPathComponent("share/zsh/site-functions/_modelgate")
        let fish = prefix.appendingPathComponent("share/fish/vendor_completions.d/modelgate.fish")
        #expect(try String(contentsOf: zsh, encoding: .utf8).hasPrefix("#compdef modelgate"))
        #expect(try String(contentsOf: fish, encoding: .utf8).contains("complete -c 'modelgate'"))

        #expect(Set(try Self.bashCompletions(bash, ["modelgate", "si"])) == ["sign", "site"])
        let subcommands = try Self.bashCompletions(bash, ["modelgate", "re"])
        #expect(Set(subcommands) == ["release", "releases", "report"])
        let siteOptions = try Self.bashCompletions(bash, ["modelgate", "site", "--b"])
        #expect(Set(siteOptions) == ["--branch", "--base-url"])
        #expect(try Self.bashCompletions(bash, ["modelgate", "run", "--st"]) == ["--staged"])
    }

    @Test func aBinaryThatDoesNotRunInstallsNothing() throws {
        let directory = try TemporaryDirectory(prefix: "modelgate-completions")
        let prefix = directory.appending("prefix")
        let result = try Self.install(binary: directory.appending("no-such-modelgate").path, prefix: prefix)
        #expect(result.status != 0)
        #expect(!FileManager.default.fileExists(atPath: prefix.path))
    }
}
