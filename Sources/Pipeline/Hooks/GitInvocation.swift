import Foundation
import GitKit

/// The `git` command that runs a hook, read from `/proc`: git tells a pre-commit hook nothing
/// about the commit it is making, but whether it amends HEAD changes the parent-to-be.
///
/// The hook's process (or the shell git started it with) descends from the `git` process; its
/// command line says `commit --amend`, directly or through an alias (`alias.ca = commit
/// --amend`). When the command line cannot be read, the commit is taken as a plain one, which is
/// what modelgate did before it looked (the pushed tip is judged against its real parent anyway).
public struct GitInvocation: Equatable {
    /// The arguments after `git`, e.g. `["-c", "x=y", "commit", "--amend", "-m", "msg"]`.
    public let arguments: [String]

    /// Makes an invocation from git's arguments (for tests and for `current`).
    public init(arguments: [String]) { self.arguments = arguments }

    /// The nearest `git` process among this process's ancestors (at most four levels up).
    public static func current() -> GitInvocation? {
        var pid = getppid()
        for _ in 0..<4 where pid > 1 {
            if let argv = commandLine(of: pid), let first = argv.first,
                (first as NSString).lastPathComponent == "git"
            {
                return GitInvocation(arguments: Array(argv.dropFirst()))
            }
            guard let parent = parentID(of: pid) else { return nil }
            pid = parent
        }
        return nil
    }

    /// The git subcommand (or alias) and its arguments, after git's own options.
    var subcommand: (name: String, arguments: [String])? {
        var index = 0
        // Options of `git` itself that take their value as the next argument.
        let withValue: Set<String> = ["-c", "-C", "--git-dir", "--work-tree", "--namespace", "--exec-path"]
        while index < arguments.count {
            let argument = arguments[index]
            if withValue.contains(argument) {
                index += 2
            } else if argument.hasPrefix("-") {
                index += 1
            } else {
                return (argument, Array(arguments[(index + 1)...]))
            }
        }
        return nil
    }

    /// True when this is `git commit --amend`, directly or through an alias `aliases` defines
    /// (`alias.NAME` → its value).
    public func isCommitAmend(aliases: (String) -> String? = { _ in nil }) -> Bool {
        guard var (name, rest) = subcommand else { return false }
        if name != "commit", let alias = aliases(name), !alias.hasPrefix("!") {
            let words = alias.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let first = words.first else { return false }
            (name, rest) = (first, Array(words.dropFirst()) + rest)
        }
        guard name == "commit" else { return false }
        var amend = false
        var index = 0
        while index < rest.count {
            let argument = rest[index]
            if argument == "--" { break }
            if argument == "--amend" { amend = true }
            if argument == "--no-amend" { amend = false }
            // A message or other value is never an option, even when it reads "--amend".
            index += Self.takesValue(argument) ? 2 : 1
        }
        return amend
    }

    /// `git commit` options whose value is the next argument ("-m MSG", also "-am MSG").
    private static func takesValue(_ argument: String) -> Bool {
        let long: Set<String> = [
            "--message", "--file", "--reuse-message", "--reedit-message", "--author", "--date", "--template",
            "--cleanup", "--fixup", "--squash", "--trailer", "--pathspec-from-file",
        ]
        if long.contains(argument) { return true }
        guard argument.hasPrefix("-"), !argument.hasPrefix("--"), let last = argument.last else {
            return false
        }
        return "mFCct".contains(last)
    }

    /// True when the git running this hook amends HEAD (aliases read from `repository`'s config).
    public static func isAmendingCommit(in repository: Repository) -> Bool {
        current()?.isCommitAmend { name in try? repository.configString("alias.\(name)") } ?? false
    }

    private static func commandLine(of pid: pid_t) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
            return nil
        }
        return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Field 4 of `/proc/PID/stat`, after the command name in parentheses (which may hold spaces).
    private static func parentID(of pid: pid_t) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
            let text = String(data: data, encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
