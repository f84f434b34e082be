/// The exit-code contract every command keeps (see README, "Exit codes").
///
/// Scripts branch on these numbers, so they never change meaning.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success, a passing verdict, or nothing to do.
    case success = 0
    /// A quality gate failed, or a release was refused.
    case refused = 1
    /// Bad input: configuration, data, or arguments the domain rejects.
    case badInput = 2
    /// A stage crashed or timed out; a git, I/O or registry failure.
    case failure = 3
    /// The command line could not be parsed.
    case usage = 64

    /// One line per code, as printed in `--help` and the README.
    public static let contract = """
        EXIT CODES:
          0   success, verdict pass, or nothing to do
          1   verdict fail: a gate failed, or a release was refused
          2   bad input: configuration, data or arguments rejected
          3   error: a stage crashed or timed out; git, I/O or registry failure
          64  usage error: the command line could not be parsed
        """
}
