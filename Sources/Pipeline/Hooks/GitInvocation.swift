import Foundation

/// The `git` command that runs a hook, read from `/proc`: git tells a pre-commit hook nothing
/// about the commit it is making, but whether it amends HEAD changes the parent-to-be.
///
/// The hook's process (or the shell git started it with) descends from the `git` process; its
/// command line says `commit --amend` (options parsed as git does: abbreviations, values that
/// look like options). When the command line cannot be read, the commit is taken as a plain
/// one, which is what modelgate did before it looked (the pushed tip is judged against its real
/// parent anyway).
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

    /// The git subcommand and its arguments, after git's own options.
    var subcommand: (name: String, arguments: [String])? {
        var index = 0
        // Options of `git` itself that take their value as the next argument.
        let withValue: Set<String> = [
            "-c", "-C", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env",
            "--attr-source",
        ]
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

    /// True when this is `git commit --amend`. An alias (`git ca`) needs no special case: git
    /// runs it as a child `git commit --amend …`, the nearest git process to the hook.
    public func isCommitAmend() -> Bool {
        guard let (name, rest) = subcommand, name == "commit" else { return false }
        var amend = false
        var index = 0
        while index < rest.count {
            let argument = rest[index]
            index += 1
            if argument == "--" { break }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                // "--message=…" carries its value; an unknown or ambiguous name git refuses itself.
                guard !body.contains("="), let option = Self.commitOption(String(body)) else { continue }
                if option == "amend" { amend = true }
                if option == "no-amend" { amend = false }
                // A message (or other value) is never an option, even when it reads "--amend".
                if Self.commitOptionsWithValue.contains(option) { index += 1 }
            } else if argument.hasPrefix("-"), argument.count > 1 {
                // Short options clustered ("-am MSG", "-mMSG"): the first one taking a value takes
                // the rest of the cluster, or the next argument when it ends the cluster.
                let letters = Array(argument.dropFirst())
                if let position = letters.firstIndex(where: { "mFCct".contains($0) }),
                    position == letters.count - 1
                {
                    index += 1
                }
            }
        }
        return amend
    }

    /// `git commit`'s long options (git 2.39), to resolve abbreviations as git does.
    private static let commitOptions: Set<String> = [
        "quiet", "verbose", "file", "author", "date", "message", "reedit-message", "reuse-message", "fixup",
        "squash", "reset-author", "trailer", "signoff", "no-signoff", "template", "edit", "no-edit",
        "cleanup",
        "status", "no-status", "gpg-sign", "no-gpg-sign", "all", "include", "interactive", "patch", "only",
        "verify", "no-verify", "dry-run", "short", "branch", "ahead-behind", "no-ahead-behind", "porcelain",
        "long", "null", "amend", "no-amend", "post-rewrite", "no-post-rewrite", "untracked-files",
        "pathspec-from-file", "pathspec-file-nul", "allow-empty", "allow-empty-message", "no-verbose",
        "no-quiet",
    ]

    /// Those whose value, when not attached with "=", is the next argument.
    private static let commitOptionsWithValue: Set<String> = [
        "file", "author", "date", "message", "reedit-message", "reuse-message", "fixup", "squash", "trailer",
        "template", "cleanup", "pathspec-from-file",
    ]

    /// `name` or the one option it abbreviates ("am" → "amend"); nil when unknown or ambiguous.
    private static func commitOption(_ name: String) -> String? {
        if commitOptions.contains(name) { return name }
        let candidates = commitOptions.filter { $0.hasPrefix(name) }
        return candidates.count == 1 ? candidates.first : nil
    }

    /// True when the git running this hook amends HEAD.
    public static func isAmendingCommit() -> Bool { current()?.isCommitAmend() ?? false }

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
