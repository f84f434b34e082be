import Checksum
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kill -9` of modelgate in the middle of its work: what it started ends, what it left is
/// swept, and what users read is never half-updated.
@Suite struct KilledCommandTests {
    /// A stage that prints in a loop and leaves a silent process behind, until `$MARKS/finish`
    /// exists; then it reports a passing metric.
    static func stageRepository(marks: URL) throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                version: 1
                name: killed
                stages:
                  - name: train
                    cmd: sh train.sh
                    deps: [train.sh]
                    metrics: metrics.json
                    timeout: 10m
                gates:
                  - {metric: r2, min: 0.5}

                """,
                "train.sh": """
                if [ -e "$MARKS/finish" ]; then echo '{"r2": 0.9}' > metrics.json; exit 0; fi
                sleep 600 &
                echo $! > "$MARKS/silent.pid"
                echo $$ > "$MARKS/stage.pid"
                while true; do echo tick; sleep 0.05; done

                """,
            ], message: "a stage that runs until told to finish")
        return repo
    }

    /// A run of `stageRepository` killed with SIGKILL once its stage has started: the
    /// repository, and the silent process the stage left behind.
    func killedRun(marks: URL) throws -> (repo: TemporaryRepository, silent: pid_t) {
        let repo = try Self.stageRepository(marks: marks)
        let run = try ProcessRunner.start(
            try ModelgateBinary.url.path, ["run"], in: repo.url, environment: ["MARKS": marks.path])
        let silent = try waitForPID(in: marks.appendingPathComponent("silent.pid"))
        kill(run.processIdentifier, SIGKILL)
        _ = try run.wait()
        return (repo, silent)
    }

    @Test func aKilledRunLeavesNoStageProcessAndTheNextRunSweepsIt() throws {
        let marks = try TemporaryDirectory(prefix: "modelgate-marks")
        let repo = try Self.stageRepository(marks: marks.url)
        let environment = ["MARKS": marks.url.path]
        let run = try ProcessRunner.start(
            try ModelgateBinary.url.path, ["run"], in: repo.url, environment: environment)
        let stage = try waitForPID(in: marks.appending("stage.pid"))
        let silent = try waitForPID(in: marks.appending("silent.pid"))
        let runs = repo.url.appendingPathComponent(".git/modelgate/runs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: runs.path).count == 1)

        kill(run.processIdentifier, SIGKILL)
        #expect(try run.wait().status == 128 + SIGKILL)
        // The stage goes on printing: with modelgate gone, its output pipe has no reader, so
        // the next write ends it (before, it held the reader itself and blocked forever).
        #expect(waitUntilGone(stage), "the stage \(stage) outlived modelgate")
        // A process that prints nothing is still there, and so is the dead run's checkout...
        #expect(isAlive(silent))
        #expect(try FileManager.default.contentsOfDirectory(atPath: runs.path).count == 1)

        // ... until the next run: it stops the process, removes the checkout, and judges afresh.
        try Data().write(to: marks.appending("finish"))
        let again = try ModelgateBinary.run(["run"], in: repo.url, environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("pass"), "\(again.stdout)")
        #expect(waitUntilGone(silent), "the silent stage process \(silent) survived the next run")
        #expect(try FileManager.default.contentsOfDirectory(atPath: runs.path) == [])
        #expect(
            try repo.git(["notes", "--ref=refs/notes/modelgate", "list"]).split(separator: "\n").count == 1)
    }

    @Test func gcRemovesTheCheckoutOfAKilledRun() throws {
        let marks = try TemporaryDirectory(prefix: "modelgate-marks")
        let (repo, silent) = try killedRun(marks: marks.url)
        let gc = try ModelgateBinary.run(["gc"], in: repo.url)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("removed 1 checkout(s) of killed runs"), "\(gc.stdout)")
        #expect(waitUntilGone(silent))
        let runs = repo.url.appendingPathComponent(".git/modelgate/runs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: runs.path) == [])
    }

    /// A developer who went into a killed run's checkout to look around keeps their shell: the
    /// sweep kills the run's own processes (marked with `MODELGATE_RUN`), not whoever works there.
    @Test func theSweepSparesAShellInTheCheckoutOfAKilledRun() throws {
        let marks = try TemporaryDirectory(prefix: "modelgate-marks")
        let (repo, silent) = try killedRun(marks: marks.url)
        let runs = repo.url.appendingPathComponent(".git/modelgate/runs")
        let checkout = runs.appendingPathComponent(
            try FileManager.default.contentsOfDirectory(atPath: runs.path).first ?? "?"
        ).appendingPathComponent("tree")
        #expect(FileManager.default.fileExists(atPath: checkout.appendingPathComponent("train.sh").path))
        let shell = try ProcessRunner.start("sleep", ["600"], in: checkout)
        defer {
            kill(shell.processIdentifier, SIGKILL)
            _ = try? shell.wait()
        }
        #expect(workingDirectory(of: shell.processIdentifier) == checkout.resolvingSymlinksInPath().path)

        let gc = try ModelgateBinary.run(["gc"], in: repo.url)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("removed 1 checkout(s) of killed runs"), "\(gc.stdout)")
        #expect(waitUntilGone(silent))
        #expect(isAlive(shell.processIdentifier), "the process working in the checkout was killed")
        // The checkout is removed all the same: the process stands in a deleted directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: runs.path) == [])
        #expect(workingDirectory(of: shell.processIdentifier)?.hasSuffix(" (deleted)") == true)
    }

    /// A site rebuild killed after each step shows the old site or the new one, whole; the
    /// next build succeeds and leaves nothing beside the site.
    @Test func aKilledSiteBuildLeavesTheOldSiteOrTheNewWhole() throws {
        let repo = try SiteOutputTests.recordedRepository(commits: 3)
        let output = repo.directory.appending("site")
        #expect(try ModelgateBinary.run(["site", "--out", output.path], in: repo.url).status == 0)
        let old = try hashes(of: output)
        try repo.commit(files: ["data.txt": "yyyyyyy"], message: "round 5")
        #expect(try ModelgateBinary.run(["run"], in: repo.url).status == 0)
        let fresh = repo.directory.appending("fresh")
        #expect(try ModelgateBinary.run(["site", "--out", fresh.path], in: repo.url).status == 0)
        let new = try hashes(of: fresh).filter { !$0.key.hasPrefix(".modelgate") }
        #expect(new != old.filter { !$0.key.hasPrefix(".modelgate") })

        var seenNew = false
        for phase in [
            "rendered and staged", "flushed", "unchanged files linked", "changes placed", "switched",
        ] {
            let build = try ProcessRunner.start(
                try ModelgateBinary.url.path, ["site", "--out", output.path], in: repo.url,
                environment: ["MODELGATE_SITE_STOP_AFTER": phase])
            #expect(waitUntilStopped(build.processIdentifier), "never reached '\(phase)'")
            kill(build.processIdentifier, SIGKILL)
            _ = try build.wait()
            let now = try hashes(of: output)
            let isOld = now == old
            let isNew = now.filter { !$0.key.hasPrefix(".modelgate") } == new
            #expect(isOld != isNew, "killed after '\(phase)': a mix of old and new pages")
            #expect(isOld == (phase != "switched"), "killed after '\(phase)'")
            seenNew = seenNew || isNew
        }
        #expect(seenNew)
        let finished = try ModelgateBinary.run(["site", "--out", output.path], in: repo.url)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(try hashes(of: output).filter { !$0.key.hasPrefix(".modelgate") } == new)
        let beside = try FileManager.default.contentsOfDirectory(atPath: repo.directory.url.path)
            .filter { $0.hasPrefix(".site.") }
        #expect(beside.isEmpty, "\(beside)")
    }

    // MARK: - Helpers

    /// SHA-256 of every file under `folder`, by relative path.
    func hashes(of folder: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        let base = folder.resolvingSymlinksInPath().path
        let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        for case let url as URL in enumerator ?? FileManager.DirectoryEnumerator() {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let path = String(url.resolvingSymlinksInPath().path.dropFirst(base.count + 1))
            let digest = SHA256()
            digest.update(try Data(contentsOf: url))
            result[path] = digest.finalize()
        }
        return result
    }

    /// The pid a script wrote into `file`, waiting up to 60 s for it.
    func waitForPID(in file: URL) throws -> pid_t {
        for _ in 0..<3000 {
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            usleep(20_000)
        }
        throw TestFailure("\(file.lastPathComponent) was never written")
    }

    /// The state letter in `/proc/PID/stat`, nil when the process is gone.
    func state(_ pid: pid_t) -> Substring? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first
    }

    /// Where `pid` works, as `/proc` shows it; nil when it cannot be read.
    func workingDirectory(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
    }

    func isAlive(_ pid: pid_t) -> Bool { state(pid).map { $0 != "Z" } ?? false }

    /// True once `pid` is gone or a zombie, waiting up to 30 s.
    func waitUntilGone(_ pid: pid_t) -> Bool {
        for _ in 0..<1500 {
            if !isAlive(pid) { return true }
            usleep(20_000)
        }
        return false
    }

    /// True once `pid` is stopped (SIGSTOP), waiting up to 60 s.
    func waitUntilStopped(_ pid: pid_t) -> Bool {
        for _ in 0..<3000 {
            if state(pid) == "T" { return true }
            if state(pid) == nil || state(pid) == "Z" { return false }
            usleep(20_000)
        }
        return false
    }
}

/// What a stage command inherits from modelgate: its three standard descriptors and nothing
/// else (no run lock, log, pipe end or pack file), and no variable pointing at the user's
/// repository.
@Suite struct StageIsolationTests {
    @Test func aStageSeesOnlyItsStandardDescriptorsAndACleanEnvironment() throws {
        let marks = try TemporaryDirectory(prefix: "modelgate-marks")
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                version: 1
                name: isolated
                stages:
                  - name: look
                    cmd: '(ls /proc/$$/fd) > "$MARKS/fds"; env > "$MARKS/env"; echo "{\\"r2\\": 1}" > metrics.json'
                    metrics: metrics.json

                """
            ], message: "a stage that looks around")
        let run = try ModelgateBinary.run(
            ["run"], in: repo.url,
            environment: [
                "MARKS": marks.url.path, "GIT_REFLOG_ACTION": "hook", "GIT_NOTES_REF": "refs/notes/x",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let descriptors = try String(contentsOf: marks.appending("fds"), encoding: .utf8).split(
            separator: "\n")
        #expect(descriptors.sorted() == ["0", "1", "2"])
        let environment = try String(contentsOf: marks.appending("env"), encoding: .utf8)
        #expect(!environment.contains("GIT_REFLOG_ACTION=") && !environment.contains("GIT_NOTES_REF="))
        #expect(environment.contains("MODELGATE_STAGE=look"))
    }
}
