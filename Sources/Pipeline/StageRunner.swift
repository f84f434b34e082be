import Diagnostics
import FileSafety
import Foundation
import Learning

/// Runs one stage in the isolated checkout and returns the metrics it reported.
///
/// Every file a stage's settings name is read and written through `ContainedDirectory`, so a
/// symbolic link (committed, or made by an earlier stage) cannot lead a read or a write outside
/// the checkout; such a link is a `ConfigError` (exit 2, nothing recorded). Outputs are checked
/// before the command runs and again after, before anything copies them into the artifact.
struct StageRunner {
    let stage: Stage
    let context: RunContext
    /// The stage's own fingerprint (built-in models are kept under it).
    let fingerprint: String
    let log: URL
    let observer: RunObserver?

    private var checkout: URL { context.checkout! }
    private var files: ContainedDirectory { ContainedDirectory(root: checkout) }
    private var subject: EvaluatedTree { context.tree }

    func run() throws -> [String: Double] {
        switch stage.kind {
        case .command(let command): return try runCommand(command)
        case .builtin(let builtin): return try train(builtin)
        case .validate(let validate): return try check(validate)
        case .optimize(let optimize): return try quantize(optimize)
        }
    }

    private var reproduce: String {
        switch subject.source {
        case .revision: return "modelgate run --rev \(subject.commit?.short ?? "HEAD")"
        case .staged: return "modelgate run --staged"
        case .amend: return "modelgate run --staged --amend"
        case .worktree: return "modelgate run --worktree"
        }
    }

    private func runCommand(_ command: CommandStage) throws -> [String: Double] {
        // A committed link at an output's place is refused before the command runs.
        for out in command.outs { _ = try files.resolve(out) }
        try FileManager.default.createDirectory(
            at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        var environment = command.environment
        environment["MODELGATE_STAGE"] = stage.name
        // The checkout lives under the user's .git: without a ceiling, a stage's own `git` would
        // walk up into the user's repository (and could write to it).
        environment["GIT_CEILING_DIRECTORIES"] = checkout.deletingLastPathComponent().path
        environment["MODELGATE_SOURCE"] = subject.source.label
        environment[RunStore.runVariable] = context.scratch.lastPathComponent
        if let commit = subject.commit { environment["MODELGATE_COMMIT"] = commit.hex }
        let execution = CommandExecution(
            command: command.command, directory: checkout, environment: environment, timeout: command.timeout,
            log: log)
        let ending = try execution.run { line in observer?.stageOutput(stage, line: line) }
        let location =
            "stage '\(stage.name)' (\(PipelineConfig.fileName):\(stage.position?.description ?? "?"))"
        switch ending {
        case .exited(0):
            break
        case .exited(let status):
            throw StageFailure(
                "stage '\(stage.name)' failed: '\(command.command)' exited with status \(status)",
                location: location,
                hint: "read its output in \(log.path); reproduce with '\(reproduce)'")
        case .signalled(let signal):
            throw StageFailure(
                "stage '\(stage.name)' was killed by signal \(signal)", location: location,
                hint: "read its output in \(log.path); reproduce with '\(reproduce)'")
        case .timedOut:
            throw StageFailure(
                "stage '\(stage.name)' timed out after \(command.timeout) and was stopped with its process group",
                location: location,
                hint: "raise 'timeout:' for this stage, or make it faster; output in \(log.path)")
        case .interrupted:
            throw Interrupted()
        }
        for out in command.outs {
            switch try files.kind(of: out) {
            case .missing:
                throw StageFailure(
                    "stage '\(stage.name)' finished but did not write its output '\(out)'",
                    location: location,
                    hint: "write '\(out)' relative to the repository root, or remove it from 'outs'")
            case .folder: try files.checkLinks(under: out)
            case .file, .other, .link: break
            }
        }
        guard let metricsPath = command.metrics else { return [:] }
        guard let metricsFile = try files.open(metricsPath), metricsFile.kind == .file else {
            throw StageFailure(
                "stage '\(stage.name)' finished but wrote no metrics file '\(metricsPath)'",
                location: location,
                hint:
                    "write a JSON object such as {\"r2\": 0.91} to '\(metricsPath)' (relative to the repository root)"
            )
        }
        do {
            return try MetricsFile.read(metricsFile)
        } catch let problem as MetricsFile.Problem {
            throw StageFailure(
                "the metrics file '\(metricsPath)' of stage '\(stage.name)' cannot be used: \(problem.reason)",
                location: metricsPath,
                hint: "write a JSON object of numbers, e.g. {\"r2\": 0.91, \"test\": {\"mae\": 1.2}}")
        }
    }
}

/// The user pressed Ctrl-C; nothing is recorded.
public struct Interrupted: UserFacingError {
    /// What went wrong, on one line.
    public var summary: String { "interrupted; the stage was stopped and nothing was recorded" }
    /// The exit code this error maps to.
    public var exitStatus: ExitStatus { .failure }
}

extension StageRunner {
    /// Trains a built-in model, writes its file into the checkout and keeps a copy by fingerprint.
    private func train(_ settings: BuiltinStage) throws -> [String: Double] {
        let trainer = try Trainers.make(kind: settings.trainer, options: settings.options)
        let data = try input(settings.data)
        let testFile = try settings.testFile.map { (file: try input($0), name: $0) }
        let test: TestSource =
            testFile.map { .file($0.file.url, name: $0.name) }
            ?? .split(fraction: settings.split, seed: settings.seed)
        let request = TrainingRequest(
            data: data.url, test: test, target: settings.target,
            features: settings.features, dataName: settings.data, missing: settings.missing)
        let progress = observer?.progressReporter(for: stage)
        let outcome: TrainingOutcome
        do {
            outcome = try withExtendedLifetime((data, testFile?.file)) {
                try trainer.train(request, progress: progress)
            }
            progress?.finish()
        } catch {
            progress?.finish()
            throw error
        }
        for warning in outcome.warnings { observer?.stageOutput(stage, line: "warning: \(warning)") }
        observer?.stageOutput(
            stage,
            line: "\(settings.trainer): \(outcome.trainingRows) training rows, \(outcome.testRows) test rows")
        var model = outcome.model
        // The one place a built-in model gets its training distribution (served for drift).
        model.featureProfile = try withExtendedLifetime(data) {
            try FeatureProfile.read(for: model, request: request)
        }
        model.dataBlobs = try dataBlobs([settings.data] + (settings.testFile.map { [$0] } ?? []))
        try writeModel(model, to: settings.model)
        return outcome.metrics
    }

    /// Checks the data; problems fail the stage, measurements become metrics.
    private func check(_ settings: ValidateStage) throws -> [String: Double] {
        var expectations = settings.expectations
        if settings.drift {
            if let baseline = try context.baselineFile(settings.data) {
                expectations.baseline = baseline
                expectations.baselineName = "\(settings.data)@\(context.baseline!.0.short)"
            } else {
                observer?.stageOutput(
                    stage, line: "no baseline commit with \(settings.data): drift not measured")
            }
        }
        let data = try input(settings.data)
        let report = try withExtendedLifetime(data) {
            try DataCheck.validate(data: data.url, name: settings.data, expectations: expectations)
        }
        for problem in report.problems.prefix(20) {
            observer?.stageOutput(stage, line: "\(problem.location ?? settings.data): \(problem.summary)")
        }
        if let first = report.problems.first {
            throw StageFailure(
                "data check '\(stage.name)' found \(report.problems.count) problem(s) in \(settings.data): \(first.summary)",
                location: first.location ?? settings.data,
                hint:
                    "fix the data, or relax the expectations of stage '\(stage.name)' in \(PipelineConfig.fileName)",
                exitStatus: .badInput)
        }
        return report.metrics
    }

    /// Quantises an earlier stage's model and re-evaluates it on the test file.
    private func quantize(_ settings: OptimizeStage) throws -> [String: Double] {
        let sourceFile = try input(settings.sourceModel)
        let source = try withExtendedLifetime(sourceFile) {
            try ModelFile.read(from: sourceFile.url, name: settings.sourceModel)
        }
        let result = Learning.quantize(source, to: settings.type)
        var metrics: [String: Double] = [
            "size_bytes.before": Double(result.sizeBytesBefore),
            "size_bytes.after": Double(result.sizeBytesAfter),
        ]
        var largestChange = 0.0
        if let testPath = settings.testFile {
            let test = try input(testPath)
            let (before, after) = try withExtendedLifetime(test) {
                (
                    try source.score(csv: test.url, name: testPath),
                    try result.model.score(csv: test.url, name: testPath)
                )
            }
            for (name, value) in after {
                metrics[OptimizeStage.metricPrefix + name] = value
                if let old = before[name] { largestChange = max(largestChange, abs(value - old)) }
            }
        }
        metrics[OptimizeStage.maxChangeMetric] = largestChange
        observer?.stageOutput(
            stage,
            line:
                "\(settings.type.rawValue): \(result.sizeBytesBefore) -> \(result.sizeBytesAfter) bytes, largest metric change \(RunReport.format(largestChange))"
        )
        try writeModel(result.model, to: settings.model)
        return metrics
    }

    /// Writes the model into the checkout (never through a link leading out of it) and keeps a
    /// copy under the stage's fingerprint.
    private func writeModel(_ model: ModelFile, to path: String) throws {
        // Encoded as `ModelFile.write` does; that writes by path, this through the checkout's descriptors.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(model)
        try files.write(data, to: path)
        try AtomicFile.write(data, to: context.store.modelURL(for: fingerprint))
    }

    /// The checkout's regular file at `path`, opened without leaving the checkout.
    private func input(_ path: String) throws -> OpenedFile {
        guard let file = try files.open(path), file.kind == .file else {
            throw DataError(
                .cannotOpen, "cannot open '\(path)': no such file", location: path,
                hint: "check the path; it is relative to the repository root")
        }
        return file
    }

    /// The largest metrics file read: a JSON object of numbers is a few kilobytes.

    private func dataBlobs(_ paths: [String]) throws -> [String: String] {
        var blobs: [String: String] = [:]
        for path in paths { blobs[path] = try subject.id(of: path)?.hex }
        return blobs
    }
}
