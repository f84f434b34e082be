import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one shell command in its own process group, streaming its output, with a timeout.
///
/// The command runs as `/bin/sh -c COMMAND` in `directory`. Its stdout and stderr are merged in
/// order, passed line by line to `onLine` and appended to `log`. On timeout or Ctrl-C the whole
/// process group is sent SIGTERM, then SIGKILL after a grace period, so nothing it started
/// survives.
public struct CommandExecution {
    /// How the command ended.
    public enum Ending: Equatable, Sendable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal other than ours ended it.
        case signalled(Int32)
        /// It ran past the timeout and was killed.
        case timedOut
        /// The user pressed Ctrl-C.
        case interrupted
    }

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

    /// Variables that would point a child `git` at the user's repository or index instead of the
    /// evaluated tree (hooks run with several of them set).
    static let repositoryVariables: Set<String> = [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE", "GIT_QUARANTINE_PATH", "GIT_REFLOG_ACTION",
        "GIT_EDITOR", "GIT_AUTHOR_DATE", "GIT_INTERNAL_SUPER_PREFIX",
    ]

    /// The child's environment: ours without the repository variables, plus `environment`.
    func childEnvironment() -> [String] {
        var variables = ProcessInfo.processInfo.environment.filter {
            !Self.repositoryVariables.contains($0.key)
        }
        variables.merge(environment) { _, new in new }
        return variables.map { "\($0.key)=\($0.value)" }.sorted()
    }

    /// Runs the command to its end and says how it ended.
    public func run(onLine: (String) -> Void) throws -> Ending {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }

        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw StageFailure.system("create a pipe", errno) }
        let (readEnd, writeEnd) = (pipe[0], pipe[1])
        defer { close(readEnd) }

        // Handlers first: a Ctrl-C arriving just after the spawn must still stop the stage.
        Interruption.begin()
        defer { Interruption.end() }
        let pid: pid_t
        do {
            pid = try spawn(output: writeEnd)
        } catch {
            close(writeEnd)
            throw error
        }
        close(writeEnd)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var ending: Ending?
        var killDeadline: ContinuousClock.Instant?
        var waitStatus: Int32?
        var drainDeadline: ContinuousClock.Instant?
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var open = true
        while open || waitStatus == nil {
            if open {
                var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, 100) > 0 {
                    let count = read(readEnd, &buffer, buffer.count)
                    if count > 0 {
                        let chunk = Data(buffer[0..<count])
                        logHandle.write(chunk)
                        pending.append(chunk)
                        while let newline = pending.firstIndex(of: 0x0A) {
                            onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                            pending.removeSubrange(pending.startIndex...newline)
                        }
                    } else if count == 0 || errno != EINTR {
                        open = false
                    }
                }
            } else {
                usleep(20_000)  // output closed; waiting for the shell itself to exit
            }
            if waitStatus == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    waitStatus = status
                    // Anything the shell left running in its group would hold the pipe open.
                    kill(-pid, SIGKILL)
                    drainDeadline = clock.now.advanced(by: .seconds(1))
                }
            }
            if let due = drainDeadline, clock.now >= due { break }
            if ending == nil, waitStatus == nil {
                if Interruption.isRequested {
                    ending = .interrupted
                } else if clock.now >= deadline {
                    ending = .timedOut
                }
                if ending != nil {
                    kill(-pid, SIGTERM)
                    killDeadline = clock.now.advanced(by: gracePeriod)
                }
            } else if let due = killDeadline, clock.now >= due {
                kill(-pid, SIGKILL)
                killDeadline = nil
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        if let ending { return ending }
        let status = waitStatus ?? 0
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    private func spawn(output: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so a timeout can kill everything the command started.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGHUP)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        // posix_spawn has no portable chdir, so a first shell changes directory and execs the
        // command's shell in place (same pid, so still the group leader).
        let arguments = [
            "/bin/sh", "-c", "cd -- \"$1\" && exec /bin/sh -c \"$2\"", "modelgate", directory.path, command,
        ]
        let environment = childEnvironment()
        var pid: pid_t = 0
        let code = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
            }
        }
        guard code == 0 else { throw StageFailure.system("start /bin/sh", code) }
        return pid
    }
}

/// Calls `body` with a NULL-terminated C array of `strings`, valid only during the call.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// Ctrl-C while a stage runs: the handler only records the request; the run loop acts on it.
enum Interruption {
    private static let requested = Atomic<Bool>(false)

    /// Installs the SIGINT/SIGTERM handler for the duration of a stage.
    static func begin() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in Interruption.requested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interruption.requested.store(true, ordering: .relaxed) }
        signal(SIGHUP) { _ in Interruption.requested.store(true, ordering: .relaxed) }
        // A parent may have started us with these signals blocked (the mask survives exec).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Restores the default handlers.
    static func end() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }

    /// True once Ctrl-C was pressed during the current stage.
    static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
