import ArgumentParser

/// The command lines of the answers asked most often, recognised without ArgumentParser.
///
/// Why: ArgumentParser builds the whole command tree on every start (thirty subcommands'
/// configurations, each command's argument set through `Mirror`, twice), and the first look-up
/// of each protocol conformance scans every conformance record of the binary: about 16 million
/// instructions, a quarter of `modelgate status`. The hooks and the cached answers always pass
/// the same few shapes.
///
/// Mechanism: `command(for:)` accepts only these lines (after the executable's name), and
/// returns the command with every one of its properties set, as ArgumentParser would set them:
///
///     status [--json]
///     run [--json]
///     verify [REV] [--json]
///     hook pre-commit|post-commit|pre-push [ARG...]
///
/// where each flag appears at most once, in any position after the command name, and REV and
/// each ARG is a non-empty word that does not start with "-" and is not "help". Anything else
/// (help, `--version`, an unknown, repeated or abbreviated flag, an option with a value, `--`, a
/// second REV) gives nil, and ArgumentParser parses the line as before.
///
/// Guarantee: for every line it accepts, the command equals the one `Modelgate.parseAsRoot`
/// returns for the same line (FastArgumentsTests compares every property), every accepted line
/// passes ArgumentParser's validation, and this path produces no error, help or usage text of
/// its own: those are always ArgumentParser's.
enum FastArguments {
    /// The command for `arguments` (without the executable's name), or nil to let ArgumentParser
    /// parse them.
    static func command(for arguments: [String]) -> (any ParsableCommand)? {
        guard let name = arguments.first else { return nil }
        let rest = arguments.dropFirst()
        switch name {
        case "status":
            guard let words = split(rest, flags: ["--json"]), words.positionals.isEmpty else { return nil }
            var command = Status()
            command.source = noSource()
            command.json = words.flags.contains("--json")
            return command
        case "run":
            guard let words = split(rest, flags: ["--json"]), words.positionals.isEmpty else { return nil }
            var command = Run()
            command.source = noSource()
            command.force = false
            command.json = words.flags.contains("--json")
            command.sign = nil
            return command
        case "verify":
            guard let words = split(rest, flags: ["--json"]), words.positionals.count <= 1 else { return nil }
            var command = Verify()
            command.rev = words.positionals.first ?? "HEAD"
            command.json = words.flags.contains("--json")
            return command
        case "hook":
            // Everything after the hook's name is git's, passed through as it is.
            guard let hook = rest.first, ["pre-commit", "post-commit", "pre-push"].contains(hook),
                let words = split(rest.dropFirst(), flags: []), words.flags.isEmpty
            else { return nil }
            var command = Hook()
            command.name = hook
            command.arguments = words.positionals
            return command
        default:
            return nil
        }
    }

    /// `--rev`, `--staged`, `--worktree` and `--amend` all absent.
    private static func noSource() -> SourceOptions {
        var source = SourceOptions()
        source.rev = nil
        source.staged = false
        source.worktree = false
        source.amend = false
        return source
    }

    /// The words split into flags (each one of `flags`, at most once) and positionals (non-empty,
    /// not starting with "-", not "help"); nil when any word is neither.
    private static func split(
        _ words: ArraySlice<String>, flags: Set<String>
    ) -> (flags: Set<String>, positionals: [String])? {
        var seen: Set<String> = []
        var positionals: [String] = []
        for word in words {
            if flags.contains(word) {
                guard seen.insert(word).inserted else { return nil }
            } else if let first = word.utf8.first, first != UInt8(ascii: "-"), word != "help" {
                positionals.append(word)
            } else {
                return nil
            }
        }
        return (seen, positionals)
    }
}
