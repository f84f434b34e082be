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

    private func isZombie(_ pid: pid_t) -> Bool {
        let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        return stat?.split(separator: " ").dropFirst(2).first == "Z"
    }
}
