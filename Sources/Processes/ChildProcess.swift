import CLinux
import Diagnostics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One program modelgate runs: started, fed, read, stopped and reaped by its `run` call.
///
/// Every child process of modelgate (stage commands, credential helpers, `git`) is started
/// here, so one mechanism carries these guarantees:
///
/// - **Nothing of ours leaks into it.** It starts with `posix_spawnp`, whose file actions give
///   it standard input (`/dev/null` or a pipe of `input`), standard output and error (pipes we
///   read, `/dev/null`, or ours), then close every other descriptor (`closefrom(3)`) before exec,
///   whatever flags a descriptor carries: a lock, a log, a pack file libgit2 opened, the far end
///   of its own pipes. The pipes are created close-on-exec (`pipe2(O_CLOEXEC)`), so a child
///   another thread starts meanwhile does not inherit them either. Its signal mask is empty and
///   every signal has its default action, whatever we ignore or block.
/// - **One environment policy**: ours (or `baseEnvironment`) minus `ChildEnvironment`'s
///   repository variables, plus `environment`.
/// - **One owner.** `run` returns only after the child has been reaped, however it ended: a
///   timeout, Ctrl-C, an output handler that throws, output over a limit. A child that
///   `ownsProcessGroup` leads a new process group: a timeout or (with `stopsOnInterrupt`)
///   Ctrl-C, SIGTERM or SIGHUP sends SIGTERM to the whole group, then SIGKILL after
///   `gracePeriod`; when the child itself exits, whatever it left running in its group is
///   killed, so nothing it started holds its output open or outlives it.
/// - **No SIGPIPE for us.** A child that exits without reading all of `input` ends the
///   writing with EPIPE, never modelgate with SIGPIPE, and without changing SIGPIPE's
///   process-wide disposition (see `writeWithoutBrokenPipeSignal`), so concurrent runs on
///   other threads cannot undo it for each other.
/// - **Bounded memory**: output is handed to the caller in chunks of at most `chunkSize`
///   bytes as it arrives; `collect(limit:)` stops a child that prints more than it allows.
///
/// If modelgate itself is killed (SIGKILL), the read ends of the child's pipes close with it,
/// so a child that goes on writing gets SIGPIPE (default action: it ends) instead of blocking
/// forever; stage processes that print nothing are stopped by the next run's sweep
/// (`RunStore`).
public struct ChildProcess {
    /// Where the child's standard output goes.
    public enum Destination: Sendable {
        /// Our own standard output (the user sees it).
        case inherit
        /// `/dev/null`.
        case discard
        /// A pipe whose bytes `run` hands to its handler.
        case pipe
    }

    /// Where the child's standard error goes.
    public enum ErrorDestination: Sendable {
        /// Our own standard error.
        case inherit
        /// `/dev/null`.
        case discard
        /// A pipe of its own, handed to the handler as `.error`.
        case pipe
        /// Wherever standard output goes, interleaved in the order written.
        case output
    }

    /// Which of the child's streams a chunk came from.
    public enum Stream: Sendable, Equatable {
        /// Standard output (and standard error sent to it).
        case output
        /// Standard error.
        case error
    }

    /// How the child ended.
    public enum Ending: Equatable, Sendable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal other than ours ended it.
        case signalled(Int32)
        /// It ran past `timeout` and was stopped.
        case timedOut
        /// Ctrl-C (or SIGTERM, SIGHUP) stopped it.
        case interrupted
    }

    /// What `collect(limit:)` gathered.
    public struct Collected: Sendable {
        /// How the child ended.
        public var ending: Ending
        /// Its standard output.
        public var output: [UInt8]
        /// Its standard error.
        public var error: [UInt8]
    }

    /// The program: a path, or a name looked up on our `PATH`.
    public var executable: String
    /// Its arguments (without the program name).
    public var arguments: [String]
    /// The directory it starts in; nil for ours.
    public var directory: String?
    /// The environment the policy starts from.
    public var baseEnvironment = ProcessInfo.processInfo.environment
    /// Variables added after the policy removed the repository variables.
    public var environment: [String: String] = [:]
    /// Bytes written to its standard input, which is then closed; nil for `/dev/null`.
    public var input: [UInt8]?
    /// Where its standard output goes.
    public var output = Destination.pipe
    /// Where its standard error goes.
    public var error = ErrorDestination.pipe
    /// Whether it leads a process group of its own (which a timeout or Ctrl-C then stops).
    public var ownsProcessGroup = false
    /// Whether Ctrl-C, SIGTERM and SIGHUP stop it (and its group) instead of us; implies
    /// `ownsProcessGroup`.
    public var stopsOnInterrupt = false
    /// How long it may run; nil for as long as it takes.
    public var timeout: Duration?
    /// Time between SIGTERM and SIGKILL when it is stopped.
    public var gracePeriod: Duration = .seconds(2)
    /// The most bytes handed to the handler at once.
    public var chunkSize = 1 << 16

    /// `executable` with `arguments`; set the other properties before `run`.
    public init(_ executable: String, _ arguments: [String] = []) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The environment the child gets (sorted, `NAME=value`).
    public var effectiveEnvironment: [String] {
        ChildEnvironment.make(base: baseEnvironment, adding: environment).map { "\($0.key)=\($0.value)" }
            .sorted()
    }

    private var leadsGroup: Bool { ownsProcessGroup || stopsOnInterrupt }

    /// Runs the child to its end, handing what it prints on piped streams to `handler` as it
    /// arrives. If `handler` throws, the child (and its group) is killed and reaped, and the
    /// error rethrown.
    public func run(_ handler: (Stream, UnsafeRawBufferPointer) throws -> Void = { _, _ in }) throws
        -> Ending
    {
        if stopsOnInterrupt {
            // Handlers first: a Ctrl-C arriving just after the spawn must still stop the child.
            Interruption.begin()
        }
        defer { if stopsOnInterrupt { Interruption.end() } }
        if output == .inherit || error == .inherit {
            fflush(nil)  // what we printed comes before what the child prints
        }
        var pipes = Pipes()
        let pid: pid_t
        do {
            pid = try spawn(&pipes)
        } catch {
            pipes.closeAll()
            throw error
        }
        pipes.closeChildEnds()
        var supervisor = ChildSupervisor(process: self, pid: pid, pipes: pipes)
        defer { supervisor.pipes.closeAll() }
        do {
            return try supervisor.run(handler)
        } catch {
            supervisor.abandon()
            throw error
        }
    }

    /// Runs the child to its end and returns its output; a child that prints more than `limit`
    /// bytes on either stream is killed (with its group) and `ChildProcessError.outputTooLarge`
    /// thrown.
    public func collect(limit: Int) throws -> Collected {
        var output: [UInt8] = []
        var error: [UInt8] = []
        let ending = try run { stream, bytes in
            let count = (stream == .output ? output.count : error.count) + bytes.count
            guard count <= limit else {
                throw ChildProcessError.outputTooLarge(program: executable, stream: stream, limit: limit)
            }
            if stream == .output { output.append(contentsOf: bytes) } else { error.append(contentsOf: bytes) }
        }
        return Collected(ending: ending, output: output, error: error)
    }

    // MARK: - Starting

    private func spawn(_ pipes: inout Pipes) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            pipes.input = try PipeEnds.make()
            posix_spawn_file_actions_adddup2(&actions, pipes.input!.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        switch output {
        case .inherit: break
        case .discard: posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        case .pipe:
            pipes.output = try PipeEnds.make()
            posix_spawn_file_actions_adddup2(&actions, pipes.output!.write, 1)
        }
        switch error {
        case .inherit: break
        case .discard: posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        case .output: posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .pipe:
            pipes.error = try PipeEnds.make()
            posix_spawn_file_actions_adddup2(&actions, pipes.error!.write, 2)
        }
        // After the dup2s, which made 0, 1 and 2: nothing else of ours reaches the program.
        var code = clinux_spawn_add_closefrom(&actions, 3)
        guard code == 0 else { throw ChildProcessError.system("prepare to start \(executable)", code) }
        if let directory {
            code = clinux_spawn_add_chdir(&actions, directory)
            guard code == 0 else { throw ChildProcessError.system("prepare to start \(executable)", code) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if leadsGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)  // default actions for all: SIGPIPE must end a writer whose reader is gone
        posix_spawnattr_setsigdefault(&attributes, &signals)

        var pid: pid_t = 0
        code = withCStrings([executable] + arguments) { argv in
            withCStrings(effectiveEnvironment) { envp in
                posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
            }
        }
        guard code == 0 else {
            throw ChildProcessError.cannotStart(program: executable, directory: directory, code: code)
        }
        return pid
    }
}

/// Why a child could not be run, or was stopped.
public enum ChildProcessError: UserFacingError, Equatable {
    /// `posix_spawnp` failed (no such program, not executable, no such directory…).
    case cannotStart(program: String, directory: String?, code: Int32)
    /// A system call around the child failed.
    case system(String, Int32)
    /// The child printed more than the caller allows on `stream`; it was killed.
    case outputTooLarge(program: String, stream: ChildProcess.Stream, limit: Int)

    /// What went wrong, on one line.
    public var summary: String {
        switch self {
        case .cannotStart(let program, let directory, let code):
            return "could not start \(program)\(directory.map { " in \($0)" } ?? ""): "
                + String(cString: strerror(code))
        case .system(let operation, let code):
            return "could not \(operation): \(String(cString: strerror(code)))"
        case .outputTooLarge(let program, let stream, let limit):
            return
                "\(program) printed more than \(limit) bytes on \(stream == .output ? "stdout" : "stderr") and was stopped"
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .cannotStart: return "check that the program is installed and on PATH"
        case .system: return "check open-file and process limits"
        case .outputTooLarge: return nil
        }
    }

    /// Always an error (3): something around a child process failed.
    public var exitStatus: ExitStatus { .failure }
}

// MARK: - Pipes

/// One pipe; both ends close-on-exec and numbered 3 or above (a child's 0, 1 and 2 are made by
/// dup2, which must not be a no-op on a descriptor that is already 0, 1 or 2).
struct PipeEnds {
    var read: Int32
    var write: Int32

    static func make() throws -> PipeEnds {
        var ends: [Int32] = [-1, -1]
        guard clinux_pipe_cloexec(&ends) == 0 else { throw ChildProcessError.system("create a pipe", errno) }
        for index in 0..<2 where ends[index] < 3 {
            let moved = fcntl(ends[index], F_DUPFD_CLOEXEC, 3)
            close(ends[index])
            ends[index] = moved
        }
        guard ends[0] >= 0, ends[1] >= 0 else {
            let code = errno
            for end in ends where end >= 0 { close(end) }
            throw ChildProcessError.system("create a pipe", code)
        }
        return PipeEnds(read: ends[0], write: ends[1])
    }
}

/// The descriptors of one run: our ends stay open until read to the end (or abandoned).
struct Pipes {
    var input: PipeEnds?
    var output: PipeEnds?
    var error: PipeEnds?

    /// Closes the ends the child got (it has its own copies now).
    mutating func closeChildEnds() {
        if let read = input?.read { close(read) }
        if let write = output?.write { close(write) }
        if let write = error?.write { close(write) }
        input?.read = -1
        output?.write = -1
        error?.write = -1
    }

    mutating func closeAll() {
        for end in [input?.read, input?.write, output?.read, output?.write, error?.read, error?.write] {
            if let end, end >= 0 { close(end) }
        }
        input = nil
        output = nil
        error = nil
    }
}

// MARK: - Running

/// The loop that feeds, reads and watches one spawned child until it is reaped.
private struct ChildSupervisor {
    let process: ChildProcess
    let pid: pid_t
    var pipes: Pipes
    private var status: Int32?
    private var pendingInput: ArraySlice<UInt8>

    init(process: ChildProcess, pid: pid_t, pipes: Pipes) {
        self.process = process
        self.pid = pid
        self.pipes = pipes
        pendingInput = process.input?[...] ?? []
        if let write = pipes.input?.write {
            _ = fcntl(write, F_SETFL, fcntl(write, F_GETFL) | O_NONBLOCK)
        }
    }

    /// Signals the child, or its whole group when it leads one.
    private func send(_ signal: Int32) {
        _ = process.ownsProcessGroup || process.stopsOnInterrupt ? kill(-pid, signal) : kill(pid, signal)
    }

    mutating func run(_ handler: (ChildProcess.Stream, UnsafeRawBufferPointer) throws -> Void) throws
        -> ChildProcess.Ending
    {
        let clock = ContinuousClock()
        let deadline = process.timeout.map { clock.now.advanced(by: $0) }
        var ending: ChildProcess.Ending?
        var killDeadline: ContinuousClock.Instant?
        var drainDeadline: ContinuousClock.Instant?
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, process.chunkSize), alignment: 1)
        defer { buffer.deallocate() }
        if pendingInput.isEmpty { closeInput() }

        while status == nil || pipes.output != nil || pipes.error != nil {
            let readers = [pipes.output?.read, pipes.error?.read]
            if readers.allSatisfy({ $0 == nil }) && pipes.input == nil {
                if deadline == nil, !process.stopsOnInterrupt {
                    status = try blockingWait()  // nothing to read, nothing to watch
                    break
                }
                usleep(10_000)
            } else {
                try transfer(buffer: buffer, handler)
            }
            if status == nil, let exited = try reapIfExited() {
                status = exited
                closeInput()
                // Whatever it left running in its group would hold its output open.
                if process.ownsProcessGroup || process.stopsOnInterrupt { kill(-pid, SIGKILL) }
                drainDeadline = clock.now.advanced(by: .seconds(1))
            }
            if let due = drainDeadline, clock.now >= due {
                closeReaders()  // a grandchild outside its group still holds the pipe: stop reading
            }
            if ending == nil, status == nil {
                if process.stopsOnInterrupt, Interruption.isRequested {
                    ending = .interrupted
                } else if let deadline, clock.now >= deadline {
                    ending = .timedOut
                }
                if ending != nil {
                    send(SIGTERM)
                    killDeadline = clock.now.advanced(by: process.gracePeriod)
                }
            } else if let due = killDeadline, clock.now >= due, status == nil {
                send(SIGKILL)
                killDeadline = nil
            }
        }
        if let ending { return ending }
        let code = status ?? 0
        let signal = code & 0x7f
        return signal == 0 ? .exited((code >> 8) & 0xff) : .signalled(signal)
    }

    /// Waits up to 100 ms for the pipes, then writes and reads what they allow.
    private mutating func transfer(
        buffer: UnsafeMutableRawBufferPointer,
        _ handler: (ChildProcess.Stream, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var descriptors: [pollfd] = []
        if let write = pipes.input?.write {
            descriptors.append(pollfd(fd: write, events: Int16(POLLOUT), revents: 0))
        }
        for read in [pipes.output?.read, pipes.error?.read] {
            if let read { descriptors.append(pollfd(fd: read, events: Int16(POLLIN), revents: 0)) }
        }
        let ready = poll(&descriptors, nfds_t(descriptors.count), 100)
        if ready < 0 {
            guard errno == EINTR else {
                throw ChildProcessError.system("wait for \(process.executable)", errno)
            }
            return
        }
        for descriptor in descriptors where descriptor.revents != 0 {
            if descriptor.fd == pipes.input?.write {
                writeInput()
            } else {
                let stream: ChildProcess.Stream = descriptor.fd == pipes.output?.read ? .output : .error
                let count = read(descriptor.fd, buffer.baseAddress, buffer.count)
                if count > 0 {
                    try handler(stream, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    closeReader(stream)
                }
            }
        }
    }

    /// Writes what the pipe takes of the input; closes it when all is written or the child
    /// stopped reading.
    private mutating func writeInput() {
        guard let write = pipes.input?.write else { return }
        let count = pendingInput.withUnsafeBytes { writeWithoutBrokenPipeSignal(write, $0) }
        if count > 0 {
            pendingInput = pendingInput.dropFirst(count)
            if pendingInput.isEmpty { closeInput() }
        } else if count < 0, errno != EINTR, errno != EAGAIN {
            closeInput()
        }
    }

    private mutating func closeInput() {
        if let write = pipes.input?.write, write >= 0 { close(write) }
        pipes.input = nil
    }

    private mutating func closeReader(_ stream: ChildProcess.Stream) {
        if stream == .output {
            if let read = pipes.output?.read { close(read) }
            pipes.output = nil
        } else {
            if let read = pipes.error?.read { close(read) }
            pipes.error = nil
        }
    }

    private mutating func closeReaders() {
        closeReader(.output)
        closeReader(.error)
    }

    /// The child's wait status if it has exited, without blocking.
    private func reapIfExited() throws -> Int32? {
        var code: Int32 = 0
        while true {
            let result = waitpid(pid, &code, WNOHANG)
            if result == pid { return code }
            if result == 0 { return nil }
            guard errno == EINTR else {
                throw ChildProcessError.system("wait for \(process.executable)", errno)
            }
        }
    }

    private func blockingWait() throws -> Int32 {
        var code: Int32 = 0
        while waitpid(pid, &code, 0) != pid {
            guard errno == EINTR else {
                throw ChildProcessError.system("wait for \(process.executable)", errno)
            }
        }
        return code
    }

    /// After a handler threw: kill the child (and its group) and reap it.
    mutating func abandon() {
        closeInput()
        closeReaders()
        guard status == nil else { return }
        send(SIGKILL)
        _ = try? blockingWait()
    }
}

/// `write(2)` that reports a pipe whose reader is gone as EPIPE, without SIGPIPE.
///
/// A child that exits without reading its input makes our write fail with EPIPE, and the
/// kernel also sends SIGPIPE, whose default action would end modelgate. That signal goes to
/// the thread that wrote, so it is blocked in this thread for the call and, when the write
/// raised it, taken off the thread's pending signals (`sigtimedwait` with a zero timeout)
/// before the mask is restored; one already pending before the call is left for its owner.
/// The process-wide disposition is never touched: writes on other threads, and modelgate's
/// own output to a closed pipe (`modelgate log | head -1`), keep SIGPIPE's default action,
/// and no start-up code is needed in modelgate or in a test process.
func writeWithoutBrokenPipeSignal(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    var brokenPipe = sigset_t()
    sigemptyset(&brokenPipe)
    sigaddset(&brokenPipe, SIGPIPE)
    var mask = sigset_t()
    pthread_sigmask(SIG_BLOCK, &brokenPipe, &mask)
    defer { pthread_sigmask(SIG_SETMASK, &mask, nil) }
    var pending = sigset_t()
    sigpending(&pending)
    let wasPending = sigismember(&pending, SIGPIPE) == 1
    let count = write(descriptor, bytes.baseAddress, bytes.count)
    let code = errno
    if count < 0, code == EPIPE, !wasPending {
        var now = timespec()
        while sigtimedwait(&brokenPipe, nil, &now) < 0, errno == EINTR {}
    }
    errno = code
    return count
}

/// Calls `body` with a NULL-terminated C array of `strings`, valid only during the call.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
