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

        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()

        // Read both pipes to the end before waiting, so a chatty child cannot fill a pipe and block.
        let errData = Mutex(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let data = errPipe.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return ProcessResult(
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: errData.withLock { String(decoding: $0, as: UTF8.self) }, status: status)
    }
}
