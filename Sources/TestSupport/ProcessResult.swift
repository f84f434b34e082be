import Foundation
import Synchronization

/// What a finished child process printed and how it exited.
public struct ProcessResult: Sendable {
    /// Everything written to standard output.
    public let stdout: String
    /// Everything written to standard error.
    public let stderr: String
    /// The exit status (or 128 + signal number when killed by a signal).
    public let status: Int32

    /// Standard output without the trailing newline.
    public var output: String {
        stdout.hasSuffix("\n") ? String(stdout.dropLast()) : stdout
    }
}

/// Runs programs for tests, capturing output; never goes through a shell unless asked to.
public enum ProcessRunner {
    /// Runs `executable` with `arguments` in `directory`, with `environment` added to a clean base.
    ///
    /// The base environment keeps PATH and HOME but drops every `GIT_*` variable, so a test run
    /// from inside a git hook cannot leak its repository into the child.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: URL,
        environment: [String: String] = [:], input: String? = nil
    ) throws -> ProcessResult {
        try start(executable, arguments, in: directory, environment: environment, input: input).wait()
    }

    /// Starts `executable` like `run`, without waiting; call `wait()` on the result.
    public static func start(
        _ executable: String, _ arguments: [String], in directory: URL,
        environment: [String: String] = [:], input: String? = nil
    ) throws -> RunningProcess {
        let process = Process()
        process.executableURL =
            executable.hasPrefix("/")
            ? URL(fileURLWithPath: executable)
            : URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        return try RunningProcess(process, input: input)
    }
}

/// A child process started by `ProcessRunner.start`, whose output is collected as it runs.
public final class RunningProcess {
    private let process: Process
    private let output = CollectedOutput()
    private let readers = DispatchGroup()

    init(_ process: Process, input: String?) throws {
        self.process = process
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = try input.map(Self.standardInput) ?? FileHandle.nullDevice
        try process.run()
        // Read both pipes on their own threads, so a chatty child cannot fill a pipe and block.
        let output = self.output
        readers.enter()
        DispatchQueue.global().async { [readers] in
            let data = outPipe.fileHandleForReading.readDataToEndOfFile()
            output.bytes.withLock { $0.stdout = data }
            readers.leave()
        }
        readers.enter()
        DispatchQueue.global().async { [readers] in
            let data = errPipe.fileHandleForReading.readDataToEndOfFile()
            output.bytes.withLock { $0.stderr = data }
            readers.leave()
        }
    }

    /// A file holding `input`, open for reading and already removed: unlike a pipe, a child
    /// that exits without reading it cannot make a write of ours raise SIGPIPE (which would end
    /// the whole test process), and input of any size is given without waiting for the child.
    private static func standardInput(_ input: String) throws -> FileHandle {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-input-\(UUID().uuidString)")
        try Data(input.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try FileHandle(forReadingFrom: file)
    }

    /// The process id, to signal it (e.g. `kill -9` in tests of interrupted commands).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Waits for the process to exit and returns what it printed.
    public func wait() throws -> ProcessResult {
        readers.wait()
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return output.bytes.withLock {
            ProcessResult(
                stdout: String(decoding: $0.stdout, as: UTF8.self),
                stderr: String(decoding: $0.stderr, as: UTF8.self), status: status)
        }
    }
}

/// What a child wrote, filled in by reader threads.
private final class CollectedOutput: Sendable {
    let bytes = Mutex((stdout: Data(), stderr: Data()))
}
