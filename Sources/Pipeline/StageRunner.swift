import Diagnostics
import Foundation

/// Runs one stage in the isolated checkout and returns the metrics it reported.
struct StageRunner {
    let stage: Stage
    /// The exported tree the stage runs in; earlier stages' outputs are there too.
    let checkout: URL
    let subject: EvaluatedTree
    let log: URL
    let observer: RunObserver?

    func run() throws -> [String: Double] {
        switch stage.kind {
        case .command(let command): return try runCommand(command)
        case .builtin(let builtin): return try BuiltinStageRunner(stage: stage, settings: builtin, checkout: checkout).run()
        }
    }

    private var reproduce: String {
        switch subject.source {
        case .revision: return "modelgate run --rev \(subject.commit?.short ?? "HEAD")"
        case .staged: return "modelgate run --staged"
        case .worktree: return "modelgate run --worktree"
        }
    }

    private func runCommand(_ command: CommandStage) throws -> [String: Double] {
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        var environment = command.environment
        environment["MODELGATE_STAGE"] = stage.name
        environment["MODELGATE_SOURCE"] = subject.source.label
        if let commit = subject.commit { environment["MODELGATE_COMMIT"] = commit.hex }
        let execution = CommandExecution(
            command: command.command, directory: checkout, environment: environment, timeout: command.timeout, log: log)
        let ending = try execution.run { line in observer?.stageOutput(stage, line: line) }
        let location = "stage '\(stage.name)' (\(PipelineConfig.fileName):\(stage.position?.description ?? "?"))"
        switch ending {
        case .exited(0):
            break
        case .exited(let status):
            throw StageFailure(
                "stage '\(stage.name)' failed: '\(command.command)' exited with status \(status)", location: location,
                hint: "read its output in \(log.path); reproduce with '\(reproduce)'")
        case .signalled(let signal):
            throw StageFailure(
                "stage '\(stage.name)' was killed by signal \(signal)", location: location,
                hint: "read its output in \(log.path); reproduce with '\(reproduce)'")
        case .timedOut:
            throw StageFailure(
                "stage '\(stage.name)' timed out after \(command.timeout) and was stopped with everything it started",
                location: location, hint: "raise 'timeout:' for this stage, or make it faster; output in \(log.path)")
        case .interrupted:
            throw Interrupted()
        }
        for out in command.outs where !FileManager.default.fileExists(atPath: checkout.appendingPathComponent(out).path) {
            throw StageFailure(
                "stage '\(stage.name)' finished but did not write its output '\(out)'", location: location,
                hint: "write '\(out)' relative to the repository root, or remove it from 'outs'")
        }
        guard let metricsPath = command.metrics else { return [:] }
        guard let data = FileManager.default.contents(atPath: checkout.appendingPathComponent(metricsPath).path) else {
            throw StageFailure(
                "stage '\(stage.name)' finished but wrote no metrics file '\(metricsPath)'", location: location,
                hint: "write a JSON object such as {\"r2\": 0.91} to '\(metricsPath)' (relative to the repository root)")
        }
        do {
            return try MetricsFile.parse(data)
        } catch let problem as MetricsFile.Problem {
            throw StageFailure(
                "the metrics file '\(metricsPath)' of stage '\(stage.name)' cannot be used: \(problem.reason)",
                location: metricsPath, hint: "write a JSON object of numbers, e.g. {\"r2\": 0.91, \"test\": {\"mae\": 1.2}}")
        }
    }
}

/// The user pressed Ctrl-C; nothing is recorded.
public struct Interrupted: UserFacingError {
    public var summary: String { "interrupted; the stage was stopped and nothing was recorded" }
    public var exitStatus: ExitStatus { .failure }
}

/// Runs a built-in trainer stage.
struct BuiltinStageRunner {
    let stage: Stage
    let settings: BuiltinStage
    let checkout: URL

    func run() throws -> [String: Double] {
        throw StageFailure(
            "built-in trainer '\(settings.trainer)' is not available in this build", location: "stage '\(stage.name)'",
            hint: "use a command stage until the built-in trainers land", exitStatus: .badInput)
    }
}
