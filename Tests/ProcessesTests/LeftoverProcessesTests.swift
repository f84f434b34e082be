import Foundation
import Processes
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct LeftoverProcessesTests {
    @Test func onlyProcessesMarkedWithTheRunAreKilled() throws {
        let run = try TemporaryDirectory(prefix: "modelgate-run")
        let marker = "MODELGATE_RUN=\(UUID().uuidString)"
        let variable = String(marker.prefix { $0 != "=" })
        let value = String(marker.drop { $0 != "=" }.dropFirst())
        // A stage's process: marked, working anywhere.
        let stage = try ProcessRunner.start(
            "sleep", ["600"], in: URL(fileURLWithPath: "/"), environment: [variable: value])
        // A developer's shell inside the run's checkout, and a process of another run.
        let visitor = try ProcessRunner.start("sleep", ["600"], in: run.url)
        let other = try ProcessRunner.start(
            "sleep", ["600"], in: run.url, environment: [variable: value + "-other"])
        defer {
            for process in [visitor, other] { kill(process.processIdentifier, SIGKILL) }
            _ = try? visitor.wait()
            _ = try? other.wait()
        }
        try waitUntilStarted(stage.processIdentifier, marker: marker)

        #expect(LeftoverProcesses.kill(marked: marker) == 1)
        #expect(try stage.wait().status == 128 + SIGKILL)
        #expect(kill(visitor.processIdentifier, 0) == 0)
        #expect(kill(other.processIdentifier, 0) == 0)
    }

    /// Waits until `pid` runs its program with `marker` in its environment (until then, it may
    /// still be the test's fork on its way to exec).
    func waitUntilStarted(_ pid: pid_t, marker: String) throws {
        for _ in 0..<500 {
            let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
            if environment.split(separator: 0).contains(Data(marker.utf8)) { return }
            usleep(20_000)
        }
        throw TestFailure("process \(pid) never showed \(marker)")
    }
}
