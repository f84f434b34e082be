import Foundation
import Processes
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ChildProcessTests {
    /// `/bin/sh -c script`, reading its output.
    func shell(_ script: String) -> ChildProcess {
        ChildProcess("/bin/sh", ["-c", script])
    }

    @Test func theChildSeesOnlyItsStandardDescriptors() throws {
        // A descriptor of ours that is not close-on-exec, as libraries open them: it must not
        // reach the child all the same.
        let directory = try TemporaryDirectory()
        let leaky = open(directory.appending("leaky").path, O_WRONLY | O_CREAT, 0o644)
        #expect(leaky >= 3)
        defer { close(leaky) }
        for error in [ChildProcess.ErrorDestination.pipe, .output, .discard] {
            var child = shell("ls /proc/$$/fd; true")  // `; true`: the shell stays, ls lists its descriptors
            child.input = Array("x".utf8)
            child.error = error
            let result = try child.collect(limit: 1 << 16)
            #expect(result.ending == .exited(0))
            let listed = String(decoding: result.output, as: UTF8.self).split(separator: "\n").sorted()
            #expect(listed == ["0", "1", "2"], "\(error): \(listed)")
        }
    }

    @Test func theEnvironmentPolicyDropsRepositoryVariables() throws {
        var child = shell("env")
        child.baseEnvironment = [
            "PATH": "/usr/bin:/bin", "GIT_DIR": "/elsewhere/.git", "GIT_INDEX_FILE": "/x/index",
            "GIT_CONFIG_PARAMETERS": "'core.editor'='vi'", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "a.b",
            "GIT_CONFIG_VALUE_0": "c", "GIT_NOTES_REF": "refs/notes/other", "GIT_SSH_COMMAND": "ssh -v",
            "KEEP": "yes",
        ]
        child.environment = ["ADDED": "1", "KEEP": "overridden"]
        let result = try child.collect(limit: 1 << 16)
        let variables = Set(
            String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init))
        #expect(variables.contains("GIT_SSH_COMMAND=ssh -v"))
        #expect(variables.contains("ADDED=1") && variables.contains("KEEP=overridden"))
        let leaked = variables.filter {
            ["GIT_DIR=", "GIT_INDEX_FILE=", "GIT_CONFIG_", "GIT_NOTES_REF="].contains(where: $0.hasPrefix)
        }
        #expect(leaked.isEmpty, "\(leaked)")
    }

    @Test func separatesStreamsAndFeedsInput() throws {
        var child = shell("read -r line; echo \"out:$line\"; echo warn >&2; exit 3")
        child.input = Array("hello\n".utf8)
        let result = try child.collect(limit: 1 << 16)
        #expect(result.ending == .exited(3))
        #expect(String(decoding: result.output, as: UTF8.self) == "out:hello\n")
        #expect(String(decoding: result.error, as: UTF8.self) == "warn\n")
    }

    @Test func aChildThatIgnoresItsInputDoesNotStopUs() throws {
        var child = shell("exit 0")
        child.input = Array(repeating: 0x41, count: 1 << 20)  // more than a pipe holds
        #expect(try child.collect(limit: 16).ending == .exited(0))
    }

    @Test func tooMuchOutputStopsTheChildWithItsGroup() throws {
        let directory = try TemporaryDirectory()
        let pidFile = directory.appending("pid")
        var child = shell("sleep 300 & echo $! > '\(pidFile.path)'; yes")
        child.ownsProcessGroup = true
        #expect(throws: ChildProcessError.outputTooLarge(program: "/bin/sh", stream: .output, limit: 100_000))
        {
            try child.collect(limit: 100_000)
        }
        let pid = pid_t(
            try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(try waitUntilGone(pid))
    }

    @Test func aThrowingHandlerKillsAndReapsTheChild() throws {
        struct Stop: Error {}
        var started: pid_t = 0
        var child = shell("echo $$; sleep 300")
        child.error = .discard
        #expect(throws: Stop.self) {
            try child.run { _, bytes in
                started =
                    pid_t(
                        String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    ) ?? 0
                throw Stop()
            }
        }
        #expect(started > 0)
        // Reaped: the pid is no longer our child.
        var status: Int32 = 0
        #expect(waitpid(started, &status, WNOHANG) == -1 && errno == ECHILD)
    }

    @Test func aMissingProgramOrDirectoryIsACase() throws {
        #expect(
            throws: ChildProcessError.cannotStart(
                program: "no-such-program-modelgate", directory: nil, code: ENOENT)
        ) {
            try ChildProcess("no-such-program-modelgate").run()
        }
        var child = shell("true")
        child.directory = "/nonexistent/modelgate"
        #expect(
            throws: ChildProcessError.cannotStart(
                program: "/bin/sh", directory: "/nonexistent/modelgate", code: ENOENT)
        ) {
            try child.run()
        }
    }

    // The tests below change signal dispositions, which belong to the whole process: each runs
    // in a process of its own (an exit test), so the tests running beside it are not touched.

    @Test func ignoredSignalsAreRestoredForTheChild() async {
        await #expect(processExitsWith: .success) {
            signal(SIGPIPE, SIG_IGN)
            // With SIGPIPE ignored, `yes | head -1` would see EPIPE and print an error instead of dying.
            let result = try ChildProcess("/bin/sh", ["-c", "yes | head -1; echo done"]).collect(
                limit: 1 << 16)
            #expect(String(decoding: result.output, as: UTF8.self) == "y\ndone\n")
            #expect(result.error.isEmpty, "\(String(decoding: result.error, as: UTF8.self))")
        }
    }

    @Test func childrenThatIgnoreTheirInputNeverTouchSIGPIPE() async {
        // Several threads feed children that exit without reading. Were SIGPIPE switched to
        // SIG_IGN around each write, the sampling loop would see it, and one thread's restore
        // could leave another's EPIPE with the default action: the process would die.
        await #expect(processExitsWith: .success) {
            let finished = Atomic<Int>(0)
            for _ in 0..<3 {
                Thread.detachNewThread {
                    for _ in 0..<60 {
                        var child = ChildProcess("/bin/sh", ["-c", "exit 0"])
                        child.input = Array(repeating: 0x41, count: 1 << 20)  // more than a pipe holds
                        _ = try? child.collect(limit: 16)
                    }
                    finished.add(1, ordering: .relaxed)
                }
            }
            var changed = false
            while finished.load(ordering: .relaxed) < 3 {
                var action = sigaction()
                sigaction(SIGPIPE, nil, &action)
                changed = changed || action.__sigaction_handler.sa_handler != nil  // nil: SIG_DFL
            }
            #expect(!changed, "SIGPIPE's disposition changed while children were fed")
        }
    }

    @Test func theInterruptionHandlersPutBackWhatWasThere() async {
        await #expect(processExitsWith: .success) {
            signal(SIGHUP, SIG_IGN)  // as under nohup
            signal(SIGINT) { _ in }  // a handler of the program's own
            var custom = sigaction()
            sigaction(SIGINT, nil, &custom)
            // SIGHUP stays ignored while the child runs: the child asking for one is not stopped.
            var child = ChildProcess("/bin/sh", ["-c", "kill -HUP $PPID; sleep 0.5; echo survived"])
            child.stopsOnInterrupt = true
            let result = try child.collect(limit: 1 << 16)
            #expect(result.ending == .exited(0))
            #expect(String(decoding: result.output, as: UTF8.self) == "survived\n")
            var now = sigaction()
            sigaction(SIGHUP, nil, &now)
            #expect(ChildProcessTests.handler(now) == ChildProcessTests.handler(SIG_IGN))
            sigaction(SIGINT, nil, &now)
            #expect(ChildProcessTests.handler(now) == ChildProcessTests.handler(custom))
            sigaction(SIGTERM, nil, &now)
            #expect(ChildProcessTests.handler(now) == 0)  // SIG_DFL, as it was
        }
    }

    @Test func overlappingRunsKeepTheHandlersUntilTheLastEnds() async {
        // A child whose run ends must not take the handlers from one still running: Ctrl-C
        // then stops the running child instead of ending the process.
        await #expect(processExitsWith: .success) {
            let started = DispatchSemaphore(value: 0)
            let ending = Mutex<ChildProcess.Ending?>(nil)
            Thread.detachNewThread {
                var long = ChildProcess("/bin/sh", ["-c", "echo started; sleep 600"])
                long.stopsOnInterrupt = true
                var signalled = false
                let result = try? long.run { _, _ in
                    if !signalled { started.signal() }
                    signalled = true
                }
                ending.withLock { $0 = result }
            }
            started.wait()
            var short = ChildProcess("/bin/sh", ["-c", "true"])
            short.stopsOnInterrupt = true
            let shortEnding = try short.run()
            #expect(shortEnding == .exited(0))
            kill(getpid(), SIGINT)
            while ending.withLock({ $0 }) == nil { usleep(10_000) }
            #expect(ending.withLock { $0 } == .interrupted)
        }
    }

    /// A signal disposition's handler as a number, to compare (0 for SIG_DFL, 1 for SIG_IGN).
    static func handler(_ action: sigaction) -> Int {
        handler(action.__sigaction_handler.sa_handler)
    }

    /// A signal handler as a number, to compare (0 for SIG_DFL, 1 for SIG_IGN).
    static func handler(_ handler: __sighandler_t?) -> Int {
        handler.map { unsafeBitCast($0, to: Int.self) } ?? 0
    }

    /// True once `pid` is gone (or a zombie), polling for up to 10 s.
    func waitUntilGone(_ pid: pid_t) throws -> Bool {
        for _ in 0..<500 {
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            if stat == nil || stat?.split(separator: " ").dropFirst(2).first == "Z" { return true }
            usleep(20_000)
        }
        return false
    }
}
