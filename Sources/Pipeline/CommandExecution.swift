import Foundation
import Processes

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one stage command in its own process group, streaming its output, with a timeout.
///
/// The command runs as `/bin/sh -c COMMAND` in `directory`, started by `ChildProcess` (which
/// closes every descriptor of ours in it and applies `ChildEnvironment`). Its stdout and stderr
/// are merged in order, passed line by line to `onLine` and appended to `log`, which is opened
/// close-on-exec. On timeout or Ctrl-C the whole process group is sent SIGTERM, then SIGKILL
/// after a grace period, so nothing it started survives.
public struct CommandExecution {
    /// How the command ended.
    public typealias Ending = ChildProcess.Ending

    let command: String
    let directory: URL
    let environment: [String: String]
    let timeout: Duration
    let log: URL
    /// Time between SIGTERM and SIGKILL.
    var gracePeriod: Duration = .seconds(2)

    /// `command` for `/bin/sh -c` in `directory`, with `environment` added to ours (minus the
    /// variables that point git at a repository), stopped after `timeout`; output also goes to `log`.
    public init(command: String, directory: URL, environment: [String: String], timeout: Duration, log: URL) {
        self.command = command
        self.directory = directory
        self.environment = environment
        self.timeout = timeout
        self.log = log
    }

    /// The child process this execution starts.
    var child: ChildProcess {
        var child = ChildProcess("/bin/sh", ["-c", command])
        child.directory = directory.path
        child.environment = environment
        child.output = .pipe
        child.error = .output
        child.stopsOnInterrupt = true
        child.timeout = timeout
        child.gracePeriod = gracePeriod
        return child
    }

    /// Runs the command to its end and says how it ended.
    public func run(onLine: (String) -> Void) throws -> Ending {
        let logDescriptor = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logDescriptor >= 0 else { throw StageFailure.system("create the log \(log.path)", errno) }
        defer { close(logDescriptor) }
        var pending: [UInt8] = []
        let ending: Ending
        do {
            ending = try child.run { _, bytes in
                // The log is best effort: a full disk must not stop the stage.
                var written = 0
                while written < bytes.count {
                    let count = Glibc.write(
                        logDescriptor, bytes.baseAddress! + written, bytes.count - written)
                    if count <= 0, errno != EINTR { break }
                    written += max(0, count)
                }
                pending.append(contentsOf: bytes)
                var start = 0
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    onLine(String(decoding: pending[start..<newline], as: UTF8.self))
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
        } catch let error as ChildProcessError {
            throw StageFailure(
                error.summary, location: directory.path,
                hint: "check that /bin/sh exists and that the stage's folder can be entered")
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        return ending
    }
}
