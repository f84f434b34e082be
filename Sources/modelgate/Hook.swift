import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `modelgate hook NAME [ARGS]`: the check a hook shim runs.
struct Hook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Run a hook's check; the shims installed by 'modelgate install' call this.",
        discussion: Help.discussion(
            """
            pre-commit judges the staged files (the index git is committing, GIT_INDEX_FILE included)
            when a staged path is one the pipeline depends on, and exits 0 at once otherwise.
            pre-push REMOTE URL reads git's ref lines on stdin and requires a passing verdict for
            every pushed tip that carries new commits. post-commit makes the verdict pre-commit
            reached the new commit's run record (it never fails a commit). MODELGATE_SKIP=1 skips each.

            """))

    @Argument(help: "pre-commit, post-commit or pre-push.") var name: String
    @Argument(parsing: .captureForPassthrough, help: "What git passes the hook.") var arguments: [String] = []

    func run() throws {
        guard HookShims.template(for: name) != nil else {
            throw ValidationError(
                "modelgate has no '\(name)' hook; choose \(HookShims.names.joined(separator: " or "))")
        }
        let environment = ProcessInfo.processInfo.environment
        if let skip = environment["MODELGATE_SKIP"], ["1", "true", "yes"].contains(skip.lowercased()) {
            Terminal.printError("modelgate: \(name) check skipped (MODELGATE_SKIP=\(skip))")
            return
        }
        let style = Style.forStandardError()
        do {
            if name == "pre-commit" {
                try preCommit(style: style)
            } else if name == "post-commit" {
                try postCommit(style: style)
            } else {
                try prePush(style: style)
            }
        } catch let error as UserFacingError {
            Terminal.printError(style.red(error.renderedMessage))
            Terminal.printError(HookReport.skipLine(name))
            throw ExitCode(error.exitStatus.rawValue)
        }
    }

    private func preCommit(style: Style) throws {
        // GitKit takes GIT_INDEX_FILE (git's temporary index for `commit -a` / `commit PATH`)
        // when it names a file in the git directory, as git's hooks always get.
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let progress = HookProgress(style: style)
        let result: PreCommitCheck.Result
        let check = PreCommitCheck(
            repository: repository, artifacts: ArtifactStore(repository: repository),
            amending: GitInvocation.isAmendingCommit())
        do {
            result = try check.run(observer: progress)
            progress.stop()
        } catch {
            progress.stop()
            throw error
        }
        switch result {
        case .allowed(let line):
            if let line { Terminal.printError(line) }
        case .evaluated(let outcome, let changed):
            let record = outcome.record
            let cached = outcome.reused ? " (\(RunReport.timing(record)))" : ""
            switch record.verdict {
            case .pass:
                Terminal.printError(
                    style.green("modelgate: pass")
                        + " on the staged files\(cached): \(HookReport.passSummary(record))")
            case .fail, .error:
                let headline =
                    record.verdict == .fail
                    ? "\(record.failedGates.count) gate(s) failed on the staged files\(cached): \(HookReport.failedMetrics(record))"
                    : "a stage failed on the staged files"
                Terminal.printError(style.red("modelgate: commit refused: ") + headline)
                for line in HookReport.refusalDetails(
                    record, changed: changed, reproduce: check.reproduce(changed: changed), hook: name)
                {
                    Terminal.printError(line)
                }
                throw ExitCode(
                    record.verdict == .fail ? ExitStatus.refused.rawValue : outcome.errorStatus.rawValue)
            }
        case .validated(let stages, let error, let gates, let changed):
            let failed = gates.filter { $0.status == .fail || $0.status == .missing }
            if error != nil || !failed.isEmpty {
                Terminal.printError(
                    style.red("modelgate: commit refused: ") + "data checks failed on the staged files")
                if !failed.isEmpty { Terminal.printError(HookReport.failedGateTable(failed)) }
                for line in (error ?? "").split(separator: "\n") { Terminal.printError("  " + line) }
                if !changed.isEmpty { Terminal.printError("  changed: \(HookReport.list(changed))") }
                Terminal.printError("  reproduce: \(check.reproduce(changed: changed))")
                Terminal.printError(HookReport.skipLine(name))
                throw ExitCode(ExitStatus.refused.rawValue)
            }
            Terminal.printError(
                style.green("modelgate: pass")
                    + " data checks (\(stages.map(\.name).joined(separator: ", "))) on the staged files")
        }
    }

    /// Records the verdict pre-commit reached on the new commit; a problem is a warning (the
    /// commit is made already, and the next run finds the verdict by its inputs anyway).
    private func postCommit(style: Style) throws {
        do {
            let repository = try Repository(discoveringFrom: .currentDirectory())
            if let record = try PostCommitRecord(repository: repository).attach(
                amending: GitInvocation.isAmendingCommit())
            {
                let commit = record.commit.map { String($0.prefix(7)) } ?? "HEAD"
                Terminal.printError(
                    style.dim("modelgate: recorded the \(record.verdict.rawValue) verdict on \(commit)"))
            }
        } catch let error as UserFacingError {
            Terminal.printError(
                "modelgate: warning: the verdict was not recorded on the new commit (\(error.summary)); 'modelgate run' records it"
            )
        }
    }

    private func prePush(style: Style) throws {
        let remote = arguments.first ?? "origin"
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let refs = try PrePushCheck.parse(input)
        guard !refs.isEmpty else { return }
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let progress = HookProgress(style: style)
        let results: [PrePushCheck.TipResult]
        do {
            results = try PrePushCheck(
                repository: repository, remote: remote, artifacts: ArtifactStore(repository: repository)
            ).run(refs, observer: progress)
            progress.stop()
        } catch {
            progress.stop()
            throw error
        }
        var worst = ExitStatus.success
        for tip in results {
            if let untrusted = tip.untrusted {
                Terminal.printError(
                    style.red("modelgate: push refused: ")
                        + "\(Self.describe(tip.refs)) at \(tip.commit.short) needs a trusted verdict (trust.require): \(untrusted)"
                )
                Terminal.printError("  check: modelgate verify \(tip.commit.short)")
                Terminal.printError("  skip once: git push --no-verify")
                worst = .refused
                continue
            }
            guard let outcome = tip.outcome else {
                // Deletions and refs the remote already has need no word; a missing config or an
                // `off` policy does.
                if let reason = tip.skipped, !PrePushCheck.routineSkips.contains(reason) {
                    Terminal.printError(
                        "modelgate: \(Self.describe(tip.refs)) \(tip.commit.short): not checked (\(reason))")
                }
                continue
            }
            let record = outcome.record
            let origin =
                tip.origin == "signed"
                ? "verdict signed by \(tip.signer ?? "?"), verified"
                : tip.origin == "note"
                    ? "recorded verdict"
                    : tip.origin == "cache" ? RunReport.timing(record) : "ran the pipeline"
            if record.verdict == .pass {
                Terminal.printError(
                    style.green("modelgate: pass")
                        + " \(Self.describe(tip.refs)) \(tip.commit.short) (\(origin)): \(HookReport.passSummary(record))"
                )
                continue
            }
            let headline =
                record.verdict == .fail
                ? "\(Self.describe(tip.refs)) at \(tip.commit.short) failed \(record.failedGates.count) gate(s) (\(origin)): \(HookReport.failedMetrics(record))"
                : "\(Self.describe(tip.refs)) at \(tip.commit.short): a stage failed"
            Terminal.printError(style.red("modelgate: push refused: ") + headline)
            for line in HookReport.refusalDetails(
                record, changed: tip.changed, reproduce: "modelgate run --rev \(tip.commit.short)", hook: name
            ) {
                Terminal.printError(line)
            }
            let status: ExitStatus = record.verdict == .fail ? .refused : outcome.errorStatus
            if worst == .success || status == .refused { worst = status }
        }
        if worst != .success { throw ExitCode(worst.rawValue) }
    }

    /// "branch main", "tag v1", "branches main, dev".
    static func describe(_ refs: [String]) -> String {
        refs.map { ref in
            if ref.hasPrefix("refs/heads/") { return "branch " + ref.dropFirst("refs/heads/".count) }
            if ref.hasPrefix("refs/tags/") { return "tag " + ref.dropFirst("refs/tags/".count) }
            return ref
        }.joined(separator: ", ")
    }
}

/// Colours for stderr: only on a terminal, never with NO_COLOR set.
struct Style {
    let isTerminal: Bool
    let colours: Bool

    static func forStandardError(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Style
    {
        let terminal = isatty(STDERR_FILENO) == 1
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty
        return Style(isTerminal: terminal, colours: terminal && !noColour && environment["TERM"] != "dumb")
    }

    /// `text` in SGR colour `code` when colours are on; the text is sanitised when written.
    func paint(_ text: String, _ code: String) -> TerminalLine {
        TerminalLine(text, colour: colours ? code : nil)
    }
    func red(_ text: String) -> TerminalLine { paint(text, "1;31") }
    func green(_ text: String) -> TerminalLine { paint(text, "32") }
    func dim(_ text: String) -> TerminalLine { paint(text, "2") }
}

/// Live stage progress on stderr: a spinner with elapsed time and the stage's last output line on
/// a terminal, plain lines otherwise.
final class HookProgress: RunObserver {
    private let style: Style
    private let spinner: Spinner?

    init(style: Style) {
        self.style = style
        spinner = style.isTerminal ? Spinner(colours: style.colours) : nil
    }

    func stageStarted(_ stage: Pipeline.Stage, index: Int, of count: Int) {
        if let spinner {
            spinner.begin("modelgate [\(index)/\(count)] \(stage.name)")
        } else {
            Terminal.printError("modelgate: [\(index)/\(count)] \(stage.name) …")
        }
    }

    func stageOutput(_ stage: Pipeline.Stage, line: String) {
        let line = ProgressPrinter.shown(line)
        if let spinner {
            spinner.output(line)
        } else {
            Terminal.printError("  \(stage.name) | \(line)")
        }
    }

    func stageFinished(_ stage: Pipeline.Stage, result: RunRecord.StageResult) {
        let seconds = String(format: "%.1f s", Double(result.durationMilliseconds) / 1000)
        let mark = result.status == "pass" ? style.green("✓") : style.red("✗")
        if let spinner {
            spinner.end("modelgate: " + mark + " \(stage.name) \(ProgressPrinter.ended(result)) (\(seconds))")
        } else {
            Terminal.printError("modelgate: \(stage.name) \(ProgressPrinter.ended(result)) (\(seconds))")
        }
    }

    func notice(_ message: String) {
        if let spinner {
            spinner.end(TerminalLine("modelgate: \(message)"))
        } else {
            Terminal.printError("modelgate: \(message)")
        }
    }

    /// Stops the spinner's thread (the hook is about to print its verdict).
    func stop() { spinner?.stop() }
}

/// Redraws one status line ten times a second from its own thread.
private final class Spinner: Sendable {
    private struct State {
        var label: String?
        var start = ContinuousClock.now
        var lastLine = ""
        var frame = 0
        var stopped = false
    }

    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    private let state = Mutex(State())
    private let colours: Bool

    init(colours: Bool) {
        self.colours = colours
        Thread.detachNewThread { [self] in
            while tick() { usleep(100_000) }
        }
    }

    func begin(_ label: String) {
        state.withLock {
            $0.label = TerminalText.sanitized(label)
            $0.start = ContinuousClock.now
            $0.lastLine = ""
            Spinner.draw(&$0, colours: colours)
        }
    }

    func output(_ line: String) {
        state.withLock { $0.lastLine = TerminalText.sanitized(line) }
    }

    /// Replaces the status line with `line`, kept on screen.
    func end(_ line: TerminalLine) {
        state.withLock {
            $0.label = nil
            Spinner.write("\r\u{1B}[K" + line.rendered + "\n")
        }
    }

    func stop() {
        state.withLock {
            if $0.label != nil { Spinner.write("\r\u{1B}[K") }
            $0.label = nil
            $0.stopped = true
        }
    }

    /// Draws a frame; false once stopped.
    private func tick() -> Bool {
        state.withLock {
            guard !$0.stopped else { return false }
            Spinner.draw(&$0, colours: colours)
            return true
        }
    }

    private static func draw(_ state: inout State, colours: Bool) {
        guard let label = state.label else { return }
        state.frame += 1
        let elapsed = ContinuousClock.now - state.start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var text = "\(frames[state.frame % frames.count]) \(label) \(String(format: "%.1fs", seconds))"
        if !state.lastLine.isEmpty { text += "  " + state.lastLine }
        let width = max(20, terminalWidth() - 1)
        if text.count > width { text = String(text.prefix(width - 1)) + "…" }
        write("\r\u{1B}[K" + text)
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
