import Foundation
import TestSupport
import Testing

@testable import Pipeline

@Suite struct CommandExecutionTests {
    func execution(_ command: String, in directory: TemporaryDirectory, timeout: Duration = .seconds(30))
        -> CommandExecution
    {
        CommandExecution(
            command: command, directory: directory.url, environment: ["STAGE_VAR": "x y"], timeout: timeout,
            log: directory.appending("stage.log"))
    }

    @Test func streamsLinesInOrderAndLogsThem() throws {
        let directory = try TemporaryDirectory()
        var lines: [String] = []
        let ending = try execution("echo one; echo two >&2; printf 'three'; exit 4", in: directory).run {
            lines.append($0)
        }
        #expect(ending == .exited(4))
        #expect(lines == ["one", "two", "three"])
        #expect(
            try String(contentsOf: directory.appending("stage.log"), encoding: .utf8) == "one\ntwo\nthree")
    }

    @Test func runsInTheDirectoryWithACleanGitEnvironment() throws {
        let directory = try TemporaryDirectory()
        setenv("GIT_INDEX_FILE", "/nonexistent/index", 1)
        defer { unsetenv("GIT_INDEX_FILE") }
        var lines: [String] = []
        let ending = try execution("pwd; echo \"[${GIT_INDEX_FILE-unset}] [$STAGE_VAR]\"", in: directory).run
        {
            lines.append($0)
        }
        #expect(ending == .exited(0))
        #expect(lines == [directory.url.path, "[unset] [x y]"])
    }

    @Test func theStageSeesOnlyItsStandardDescriptors() throws {
        let directory = try TemporaryDirectory()
        var lines: [String] = []
        // `; true` keeps the shell, so ls lists the shell's descriptors, not its own.
        let ending = try execution("ls /proc/$$/fd; true", in: directory).run { lines.append($0) }
        #expect(ending == .exited(0))
        #expect(lines.sorted() == ["0", "1", "2"])
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let directory = try TemporaryDirectory()
        let pidFile = directory.appending("child.pid")
        let clock = ContinuousClock()
        let start = clock.now
        let ending = try execution(
            "sleep 300 & echo $! > '\(pidFile.path)'; wait", in: directory, timeout: .milliseconds(500)
        ).run { _ in }
        #expect(ending == .timedOut)
        #expect(clock.now - start < .seconds(10))
        let childPID = pid_t(
            try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        // Give the kernel a moment to reap; the grandchild must be gone.
        var alive = true
        for _ in 0..<50 where alive {
            alive = kill(childPID, 0) == 0 && !isZombie(childPID)
            if alive { usleep(20_000) }
        }
        #expect(!alive)
    }

    @Test func aBackgroundChildDoesNotHoldTheStageOpen() throws {
        let directory = try TemporaryDirectory()
        let clock = ContinuousClock()
        let start = clock.now
        let ending = try execution("sleep 300 & echo started", in: directory).run { _ in }
        #expect(ending == .exited(0))
        #expect(clock.now - start < .seconds(10))
    }

    @Test func aMissingCommandIsExit127() throws {
        let directory = try TemporaryDirectory()
        var lines: [String] = []
        let ending = try execution("no-such-command-modelgate", in: directory).run { lines.append($0) }
        #expect(ending == .exited(127))
        #expect(lines.joined().contains("not found"))
    }

    @Test(arguments: 1...9)
    func linesLongerThanTheLimitArePassedOnInPieces(chunkSize: Int) {
        let output = Array("ab\nabcdefghij\n\nabcd\nxyz".utf8)
        #expect(
            OutputLines.lines(of: output, limit: 4, chunkSize: chunkSize) == [
                "ab", "abcd", "efgh", "ij", "", "abcd", "xyz",
            ])
    }

    @Test func extremeLimitsAndChunkSizesDoNotTrap() {
        let output = Array("ab\ncd".utf8)
        #expect(OutputLines.lines(of: output, limit: .max, chunkSize: .max) == ["ab", "cd"])
        #expect(OutputLines.lines(of: output, limit: .min, chunkSize: .min) == ["a", "b", "c", "d"])
    }

    @Test func aStagePrintingWithoutNewlinesKeepsMemoryBounded() async {
        // In a process of its own, so that its peak memory is this stage's alone.
        await #expect(processExitsWith: .success) {
            let directory = try TemporaryDirectory()
            let size = 100_000_000
            let before = try CommandExecutionTests.peakMemory()
            var (count, longest) = (0, 0)
            let ending = try CommandExecution(
                command: "head -c \(size) /dev/zero | tr '\\0' x", directory: directory.url, environment: [:],
                timeout: .seconds(600), log: directory.appending("stage.log")
            ).run { line in
                count += line.utf8.count
                longest = max(longest, line.utf8.count)
            }
            let growth = try CommandExecutionTests.peakMemory() - before
            #expect(ending == .exited(0))
            #expect(count == size && longest == OutputLines.defaultLimit)
            #expect(
                try FileManager.default.attributesOfItem(atPath: directory.appending("stage.log").path)[.size]
                    as? Int == size)
            #expect(growth < 16 << 20, "peak memory grew by \(growth >> 20) MiB")
        }
    }

    /// This process's peak resident memory in bytes (`VmHWM` in `/proc/self/status`).
    static func peakMemory() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("no VmHWM in /proc/self/status") }
        return kibibytes << 10
    }

    private func isZombie(_ pid: pid_t) -> Bool {
        let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        return stat?.split(separator: " ").dropFirst(2).first == "Z"
    }
}
