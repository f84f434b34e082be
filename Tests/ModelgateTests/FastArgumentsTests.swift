import ArgumentParser
import Testing

@testable import modelgate

/// The fast path for the hooks' and cached answers' command lines (`FastArguments`) against
/// ArgumentParser, in process: every line it takes gives the command ArgumentParser gives, and
/// every other line is left to ArgumentParser, errors and help included.
@Suite struct FastArgumentsTests {
    /// Lines the fast path takes: each shape of its contract, flags in every position.
    static let accepted: [[String]] = [
        ["status"], ["status", "--json"],
        ["run"], ["run", "--json"],
        ["verify"], ["verify", "--json"], ["verify", "HEAD~1"], ["verify", "v1.0", "--json"],
        ["verify", "--json", "main"], ["verify", "0123abc"], ["verify", "a=b"],
        ["hook", "pre-commit"], ["hook", "post-commit"], ["hook", "pre-push"],
        ["hook", "pre-push", "origin", "git@example.com:team/model.git"],
        ["hook", "pre-push", "origin", "/tmp/remote with space.git"],
        ["hook", "post-commit", "extra", "words"],
    ]

    /// Lines it leaves to ArgumentParser: help, versions, errors, every other option or shape.
    static let declined: [[String]] = [
        [], ["--version"], ["--help"], ["-h"], ["help"], ["help", "status"],
        ["status", "--help"], ["status", "-h"], ["status", "help"], ["status", "--bogus"],
        ["status", "--json", "--json"], ["status", "--jso"], ["status", "--json=true"],
        ["status", "--staged"], ["status", "--rev", "HEAD"], ["status", "extra"], ["status", ""],
        ["status", "--"], ["Status"],
        ["run", "--force"], ["run", "--sign", "key"], ["run", "--worktree"], ["run", "HEAD"],
        ["run", "--json", "-h"],
        ["verify", "a", "b"], ["verify", "--", "HEAD"], ["verify", "-x"], ["verify", "help"],
        ["verify", "--json", "--json"], ["verify", ""],
        ["hook"], ["hook", "nope"], ["hook", "--help"], ["hook", "pre-push", "--no-verify"],
        ["hook", "pre-push", "origin", "-"], ["hook", "pre-push", "help"], ["hook", "pre-push", ""],
        ["init"], ["show"], ["push", "--version", "1"],
    ]

    @Test(arguments: accepted)
    func acceptedLinesGiveArgumentParsersCommand(_ line: [String]) throws {
        let fast = try #require(FastArguments.command(for: line))
        let parsed = try Modelgate.parseAsRoot(line)
        #expect(Self.fields(of: fast) == Self.fields(of: parsed))
        #expect(Self.fields(of: fast) != nil)
    }

    @Test(arguments: declined)
    func otherLinesAreLeftToArgumentParser(_ line: [String]) {
        #expect(FastArguments.command(for: line) == nil)
    }

    /// An unknown flag is still ArgumentParser's usage error, exit status 64.
    @Test func unknownFlagIsAUsageError() {
        #expect(FastArguments.command(for: ["status", "--bogus"]) == nil)
        do {
            _ = try Modelgate.parseAsRoot(["status", "--bogus"])
            Issue.record("--bogus parsed")
        } catch {
            #expect(Modelgate.exitCode(for: error).rawValue == 64)
            #expect(Modelgate.message(for: error) == "Unknown option '--bogus'")
        }
    }

    /// Every property of the commands the fast path makes, by name, or nil for another command.
    /// (A property the fast path forgets to set traps when read, so a command that reads it fails
    /// in the end-to-end tests that run these lines through the binary; add it here as well.)
    static func fields(of command: any ParsableCommand) -> [String: String]? {
        switch command {
        case let status as Status:
            return source(status.source).merging(["command": "status", "json": "\(status.json)"]) { $1 }
        case let run as Run:
            return source(run.source).merging([
                "command": "run", "json": "\(run.json)", "force": "\(run.force)",
                "sign": "\(run.sign ?? "-")",
            ]) { $1 }
        case let verify as Verify:
            return ["command": "verify", "rev": verify.rev, "json": "\(verify.json)"]
        case let hook as Hook:
            return [
                "command": "hook", "name": hook.name, "arguments": hook.arguments.joined(separator: "\u{0}"),
            ]
        default:
            return nil
        }
    }

    private static func source(_ options: SourceOptions) -> [String: String] {
        [
            "rev": options.rev ?? "-", "staged": "\(options.staged)", "worktree": "\(options.worktree)",
            "amend": "\(options.amend)",
        ]
    }
}
