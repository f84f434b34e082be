import Foundation
import Processes

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one stage command in its own process group, streaming its output, with a timeout.
///
/// The command runs as `/bin/sh -c COMMAND` in `directory`, started by `ChildProcess` (which
/// closes every descriptor of ours in it and applies `ChildEnvironment`). Its stdout and stderr
/// are merged in order, passed line by line to `onLine` (a line bounded by `OutputLines`) and
/// appended to `log`, which is opened close-on-exec. On timeout or Ctrl-C the whole process
/// group is sent SIGTERM, then SIGKILL after a grace period, so nothing it started survives.
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
        var lines = OutputLines()
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
                lines.append(bytes, to: onLine)
            }
        } catch let error as ChildProcessError {
            throw StageFailure(
                error.summary, location: directory.path,
                hint: "check that /bin/sh exists and that the stage's folder can be entered")
        }
        lines.finish(to: onLine)
        return ending
    }
}

/// Cuts a stage's output into the lines shown to the user, as it arrives in chunks.
///
/// Each byte is looked at once (a chunk is scanned from where the previous one stopped, never
/// from the start of the unfinished line), and a line passed on holds at most `limit` bytes: a
/// longer one is passed on in pieces of `limit` bytes, so a stage that prints a gigabyte without
/// a newline costs one bounded buffer, not its output's size. A character whose UTF-8 bytes a
/// piece's edge splits shows as U+FFFD; the stage's log keeps its bytes as they came.
package struct OutputLines {
    /// The most bytes of one line passed on at once: 64 KiB.
    package static let defaultLimit = 1 << 16

    private let limit: Int
    private var pending: [UInt8] = []

    /// Lines of at most `limit` bytes (at least 1).
    package init(limit: Int = defaultLimit) {
        self.limit = max(1, limit)
    }

    /// Passes each line `bytes` completes (without its newline), and each full piece of a
    /// longer one, to `emit`; keeps the rest for the next chunk.
    package mutating func append(_ chunk: UnsafeRawBufferPointer, to emit: (String) -> Void) {
        let bytes = chunk.assumingMemoryBound(to: UInt8.self)
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            let room = limit - pending.count
            // One byte past the room: a newline right after a full line ends that line.
            let window = room < bytes.count - start ? room + 1 : bytes.count - start
            let newline = memchr(base + start, 0x0A, window).map { UnsafeRawPointer(base).distance(to: $0) }
            let end = newline ?? start + min(window, room)
            pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if let newline {
                flush(to: emit)
                start = newline + 1
            } else {
                if window > room { flush(to: emit) }  // a full piece, and more of the line to come
                start = end
            }
        }
    }

    /// Passes on what is left of an unfinished last line.
    package mutating func finish(to emit: (String) -> Void) {
        if !pending.isEmpty { flush(to: emit) }
    }

    private mutating func flush(to emit: (String) -> Void) {
        emit(String(decoding: pending, as: UTF8.self))
        pending.removeAll(keepingCapacity: true)
    }

    /// The lines of `output` fed in chunks of `chunkSize` bytes: the fuzzing entry point.
    package static func lines(of output: [UInt8], limit: Int = defaultLimit, chunkSize: Int = 1 << 16)
        -> [String]
    {
        var splitter = OutputLines(limit: limit)
        var lines: [String] = []
        var start = 0
        let size = max(1, chunkSize)
        while start < output.count {
            let end = start + min(size, output.count - start)
            output[start..<end].withUnsafeBytes { splitter.append($0, to: { lines.append($0) }) }
            start = end
        }
        splitter.finish(to: { lines.append($0) })
        return lines
    }
}
