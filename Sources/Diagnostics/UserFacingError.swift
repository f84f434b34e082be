/// An error whose text is written for the person at the terminal: what happened, where, how to fix it.
///
/// Library modules throw these; the command-line tool prints them and exits with `exitStatus`.
/// Any other error reaching the top is our bug and is reported as an internal error.
public protocol UserFacingError: Error, CustomStringConvertible {
    /// What went wrong, in the user's words, on one line.
    var summary: String { get }
    /// Where: a `file:line:column`, a path relative to the repository, a rev, a stage; nil when nowhere.
    var location: String? { get }
    /// How to fix it, or the command to run next; nil when there is nothing useful to say.
    var hint: String? { get }
    /// The exit code this error maps to.
    var exitStatus: ExitStatus { get }
}

extension UserFacingError {
    /// Where: `file:line:column`, a path, or nil.
    public var location: String? { nil }
    /// How to fix it, or nil.
    public var hint: String? { nil }
    /// The exit code this error maps to.
    public var exitStatus: ExitStatus { .badInput }

    /// The multi-line message printed on stderr.
    public var description: String { renderedMessage }

    /// `error: summary`, then `  where:` and `  fix:` lines when known.
    public var renderedMessage: String {
        var lines = ["error: \(summary)"]
        if let location { lines.append("  where: \(location)") }
        if let hint { lines.append("  fix:   \(hint)") }
        return lines.joined(separator: "\n")
    }
}
