import Diagnostics
import Foundation
import GitKit
import Learning

/// Runs the pipeline on an evaluated tree, or reuses the verdict of an earlier run with the same inputs.
public final class PipelineRunner {
    /// The outcome of `run`.
    public struct Outcome {
        /// The record (written to notes for a commit).
        public let record: RunRecord
        /// True when no stage ran because a run with the same fingerprint was cached.
        public let reused: Bool
        /// What was evaluated, for messages ("HEAD (3f2a9c1)").
        public let subject: String
        /// For an error verdict: 2 when the stage's input was bad (data, config), else 3.
        public let errorStatus: ExitStatus

        /// Makes an outcome (also used to print a stored record).
        public init(record: RunRecord, reused: Bool, subject: String, errorStatus: ExitStatus = .failure) {
            self.record = record
            self.reused = reused
            self.subject = subject
            self.errorStatus = errorStatus
        }
    }

    let repository: Repository
    let store: RunStore
    let notes: RecordNotes
    let artifacts: ArtifactSink?

    /// Makes a runner for `repository`; passing runs' outputs go to `artifacts` when given.
    public init(repository: Repository, artifacts: ArtifactSink? = nil) {
        self.repository = repository
        self.artifacts = artifacts
        store = RunStore(repository: repository)
        notes = RecordNotes(repository: repository)
    }

    /// Evaluates `source`: reuses a cached verdict unless `force`, else runs every stage in an
    /// isolated checkout. Gates are judged against the configured baseline either way.
    public func run(_ source: EvaluationSource, force: Bool = false, observer: RunObserver? = nil) throws
        -> Outcome
    {
        try store.withLock {
            let started = Date()
            var records = CommitRecords(repository: repository, persist: true)
            let evaluation = try Evaluation(source, in: repository, records: &records)
            let (tree, config, fingerprint) = (evaluation.tree, evaluation.config, evaluation.fingerprint)
            // What the record will list is known now: refuse before any stage runs.
            try Self.checkInputs(of: evaluation)
            let owned = try store.makeScratchDirectory()
            defer { owned.remove() }
            let scratch = owned.url
            var context = RunContext(
                evaluation: evaluation, repository: repository, store: store, scratch: scratch)
            var record: RunRecord
            var errorStatus = ExitStatus.failure
            let reused: Bool
            if !force, let cached = try KnownVerdicts(repository: repository).record(for: fingerprint.digest)
            {
                reused = true
                record = Self.reusing(cached)
                observer?.notice(
                    "inputs unchanged since an earlier run (fingerprint \(fingerprint.digest.prefix(12))); no stage ran"
                )
            } else {
                reused = false
                let checkout = scratch.appendingPathComponent("tree", isDirectory: true)
                try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
                try tree.materialize(
                    into: checkout, from: repository, extraPaths: Array(fingerprint.inputs.keys))
                context.checkout = checkout
                (record, errorStatus) = try execute(
                    fingerprint: fingerprint, context: context, observer: observer)
            }
            try conclude(&record, context: context, started: started)
            var reportFiles: [String] = []
            if !reused, let checkout = context.checkout, let stage = config.reportStage,
                let path = stage.reportPath,
                record.stages.contains(where: { $0.name == stage.name && $0.status == "pass" })
            {
                if let (report, contents) = StageReport.collect(path: path, in: checkout) {
                    try StageReports(store: store).keep(
                        report, contents: contents, fingerprint: record.fingerprint)
                    record.report = report.reference
                    reportFiles = [report.path] + report.images.map(\.path)
                } else {
                    observer?.notice(
                        "stage '\(stage.name)' declares the report '\(path)' but wrote no readable file there (at most 1 MiB); the run has no report"
                    )
                }
            }
            if record.verdict == .pass, !reused, let artifacts, let checkout = context.checkout {
                // Checked with an artifact digest in place, so storing it cannot break a limit.
                var stored = record
                stored.artifact = "sha256:" + String(repeating: "0", count: 64)
                _ = try RecordLimits.requireWritable(stored, subject: tree.description)
                record.artifact = try artifacts.store(
                    outputs: config.outputPaths + reportFiles, from: checkout, record: record, config: config)
            }
            record.durationMilliseconds = Self.milliseconds(since: started)
            // Nothing is cached or noted that a reader would refuse (RecordLimits).
            _ = try RecordLimits.requireWritable(record, subject: tree.description)
            // A reused verdict is already in the cache; only fresh results are added.
            if !reused, record.verdict != .error {
                try store.cache(record)
            }
            if let commit = tree.commit, try !notes.hasEquivalentRecord(record, on: commit) {
                try notes.write(record, on: commit)
            }
            return Outcome(
                record: record, reused: reused, subject: tree.description, errorStatus: errorStatus)
        }
    }

    /// Refuses (`RecordError.overLimit`, exit 2) a run whose record could not list its input
    /// files: too many, a path a record refuses, or a note they alone would make too large. The
    /// location is the stage in `modelgate.yml` whose deps match the most files.
    static func checkInputs(of evaluation: Evaluation) throws {
        let inputs = evaluation.fingerprint.inputs
        guard let problem = RecordLimits.inputsProblem(inputs) else { return }
        let widest = evaluation.fingerprint.stages.max { $0.inputs.files.count < $1.inputs.files.count }
        let position = widest?.stage.position.map { ":\($0.line):\($0.column)" } ?? ""
        throw RecordError.overLimit(
            subject: evaluation.tree.description, problem,
            location: PipelineConfig.fileName + position
                + (widest.map { " (stage \(NameRules.quoted($0.stage.name)))" } ?? ""))
    }

    /// Whole milliseconds since `start`, clamped (a clock set back or far forward cannot trap).
    static func milliseconds(since start: Date) -> Int {
        clampedInt(Date().timeIntervalSince(start) * 1000)
    }

    /// Whole milliseconds of `duration`, clamped.
    static func milliseconds(_ duration: Duration) -> Int {
        clampedInt(duration / .milliseconds(1))
    }

    /// `value` truncated to an Int, clamped to ±1e15 (0 when not finite): never traps.
    static func clampedInt(_ value: Double) -> Int {
        value.isFinite ? Int(min(max(value, -1e15), 1e15)) : 0
    }

    /// A cached record as a reused one: its stages marked cached, keeping the times they took
    /// when they ran, and `cachedFrom` naming that run (when, what, how long), so every page and
    /// message shows the real training time. Reusing a reused record keeps the original run; an
    /// older reused record (its stages all cached, no `cachedFrom`) does not know it.
    static func reusing(_ cached: RunRecord) -> RunRecord {
        var record = cached
        record.stages = cached.stages.map { stage in
            var stage = stage
            stage.cached = true
            return stage
        }
        record.cachedFrom =
            cached.cachedFrom ?? (RunReport.isReused(cached) ? nil : RunRecord.CachedRun(cached))
        return record
    }

    /// Stamps what was evaluated onto `record` and, unless a stage failed, judges the gates of
    /// this source's own config against its own baseline (the cache holds measurements; the
    /// judgement is always made afresh).
    func conclude(_ record: inout RunRecord, context: RunContext, started: Date) throws {
        let tree = context.tree
        record.commit = tree.commit?.hex
        record.tree = tree.tree?.hex
        record.source = tree.source.label
        record.fingerprint = context.evaluation.fingerprint.digest
        record.inputs = context.evaluation.fingerprint.inputs
        record.started = started
        if record.verdict != .error {
            try judge(&record, context: context)
        }
    }

    /// Runs only the stages `selected` accepts on `source`, with no cache and no note, and judges
    /// the gates whose metrics those stages reported (e.g. data checks before a commit).
    public func runStages(
        _ source: EvaluationSource, where selected: (Stage) -> Bool, observer: RunObserver? = nil
    ) throws -> Outcome {
        try store.withLock {
            let started = Date()
            // Nothing is recorded here, so cached verdicts are not adopted as notes either.
            var records = CommitRecords(repository: repository, persist: false)
            let evaluation = try Evaluation(source, in: repository, records: &records)
            let fingerprint = evaluation.fingerprint.keeping { selected($0.stage) }
            let owned = try store.makeScratchDirectory()
            defer { owned.remove() }
            let scratch = owned.url
            var context = RunContext(
                evaluation: evaluation, repository: repository, store: store, scratch: scratch)
            let checkout = scratch.appendingPathComponent("tree", isDirectory: true)
            try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
            try evaluation.tree.materialize(
                into: checkout, from: repository, extraPaths: Array(fingerprint.inputs.keys))
            context.checkout = checkout
            var (record, errorStatus) = try execute(
                fingerprint: fingerprint, context: context, observer: observer)
            record.source = evaluation.tree.source.label
            record.started = started
            if record.verdict != .error {
                let unmeasured = Self.unmeasured(context: context)
                record.gates = evaluation.config.gates.filter {
                    record.metrics[$0.metric] != nil || unmeasured($0.metric)
                }.map {
                    GateResult.judge(
                        $0, metrics: record.metrics, baseline: context.baseline?.1.metrics,
                        unmeasured: unmeasured($0.metric))
                }
                record.verdict = record.failedGates.isEmpty ? .pass : .fail
            }
            record.durationMilliseconds = Self.milliseconds(since: started)
            return Outcome(
                record: record, reused: false, subject: evaluation.tree.description, errorStatus: errorStatus)
        }
    }

    // MARK: - Steps

    private func execute(fingerprint: PipelineFingerprint, context: RunContext, observer: RunObserver?) throws
        -> (RunRecord, ExitStatus)
    {
        var results: [RunRecord.StageResult] = []
        var metrics: [String: Double] = [:]
        var producers: [String: String] = [:]
        var failure: UserFacingError?
        for (index, entry) in fingerprint.stages.enumerated() {
            let stage = entry.stage
            guard failure == nil else {
                results.append(
                    .init(
                        name: stage.name, status: "skipped", durationMilliseconds: 0, cached: false,
                        fingerprint: entry.digest, metrics: [:]))
                continue
            }
            observer?.stageStarted(stage, index: index + 1, of: fingerprint.stages.count)
            let clock = ContinuousClock()
            let start = clock.now
            var stageMetrics: [String: Double] = [:]
            do {
                let runner = StageRunner(
                    stage: stage, context: context, fingerprint: entry.digest,
                    log: store.logURL(fingerprint: entry.digest, stage: stage.name), observer: observer)
                let produced = try runner.run()
                // Built-in stages name metrics after data columns: every stage's metrics must fit
                // a record (names, count, finite values) before any of them is kept.
                if let problem = RecordLimits.metricsProblem(produced) {
                    throw StageFailure(
                        "stage '\(stage.name)' reported metrics that cannot be recorded: \(problem)",
                        location: "stage '\(stage.name)'", hint: problem.hint, exitStatus: .badInput)
                }
                if metrics.count + produced.count > RecordLimits.metrics {
                    throw StageFailure(
                        "the stages reported more than \(RecordLimits.metrics) metrics together (stage '\(stage.name)' adds \(produced.count))",
                        location: "stage '\(stage.name)'",
                        hint: "report fewer metrics; a run record holds at most \(RecordLimits.metrics)",
                        exitStatus: .badInput)
                }
                stageMetrics = produced
                for name in stageMetrics.keys.sorted() {
                    if let other = producers[name] {
                        throw StageFailure(
                            "stages '\(other)' and '\(stage.name)' both report the metric '\(name)'",
                            location: PipelineConfig.fileName,
                            hint:
                                "metric names are global; rename one (e.g. nest it: {\"\(stage.name)\": {\"\(name)\": …}})",
                            exitStatus: .badInput)
                    }
                    producers[name] = stage.name
                }
            } catch let error as UserFacingError {
                if error is Interrupted || error is ConfigError { throw error }
                failure = error
            } catch {
                // A file-system failure inside a stage (disk full, a path that cannot be written)
                // is the stage's error, reported with its name, not an internal error.
                failure = StageFailure(
                    "stage '\(stage.name)' failed: \((error as NSError).localizedDescription)",
                    location: "stage '\(stage.name)'",
                    hint: "check free disk space, permissions and the stage's paths")
            }
            metrics.merge(stageMetrics) { first, _ in first }
            let elapsed = clock.now - start
            let result = RunRecord.StageResult(
                name: stage.name, status: failure == nil ? "pass" : "error",
                durationMilliseconds: Self.milliseconds(elapsed), cached: false,
                fingerprint: entry.digest,
                metrics: stageMetrics)
            results.append(result)
            observer?.stageFinished(stage, result: result)
        }
        var record = RunRecord(
            commit: nil, tree: nil, fingerprint: fingerprint.digest, verdict: failure == nil ? .pass : .error,
            metrics: metrics, gates: [], stages: results, artifact: nil, tool: "\(Tool.name) \(Tool.version)",
            started: Date(), durationMilliseconds: 0, baseline: nil, source: context.tree.source.label,
            inputs: [:],
            error: failure.map { RecordLimits.clipped($0.renderedMessage, toBytes: RecordLimits.errorBytes) })
        record.threads = try? Parallelism.threads()
        return (record, failure?.exitStatus == .badInput ? .badInput : .failure)
    }

    /// Drift metrics cannot be measured without a baseline commit; gates on them then say
    /// `no-baseline` (as change bounds do) rather than fail, or no first commit could ever pass.
    static func unmeasured(context: RunContext) -> (String) -> Bool {
        let measuresDrift = context.config.stages.contains {
            if case .validate(let validate) = $0.kind { return validate.drift } else { return false }
        }
        let noBaseline = context.baseline == nil
        return { metric in measuresDrift && noBaseline && metric.hasPrefix("drift.") }
    }

    private func judge(_ record: inout RunRecord, context: RunContext) throws {
        let config = context.config
        let unmeasured = Self.unmeasured(context: context)
        guard config.gates.contains(where: \.needsBaseline) else {
            record.baseline = nil
            record.gates = config.gates.map {
                GateResult.judge(
                    $0, metrics: record.metrics, baseline: nil, unmeasured: unmeasured($0.metric))
            }
            if config.gates.contains(where: { $0.confidence != nil }) {
                try SignificanceJudge(context: context, baselineRows: nil).judge(
                    &record.gates, record: record)
            }
            record.verdict = record.failedGates.isEmpty ? .pass : .fail
            return
        }
        var baselineMetrics = context.baseline?.1.metrics
        var rescorer: BaselineRescorer?
        var comparison =
            context.baseline == nil ? "no baseline run found" : "recorded metrics of the baseline run"
        if let baseline = context.baseline {
            let comparability = BaselineComparability(repository: repository, commit: baseline.0)
            // Only built-in stages need the baseline's config (trainer, target, training rows):
            // a command-only pipeline reads no extra blob when a cached verdict is judged.
            let hasBuiltin = config.stages.contains {
                if case .builtin = $0.kind { return true } else { return false }
            }
            let baselineConfig = hasBuiltin ? comparability.config() : nil
            if let change = BaselineComparability.taskChange(
                candidate: config, stages: record.stages, baseline: baselineConfig, stages: baseline.1.stages)
            {
                // Another task's numbers are no baseline: change bounds say no-baseline, thresholds apply.
                baselineMetrics = nil
                comparison = "no comparable baseline: the task/target changed (\(change))"
            } else {
                let comparable = BaselineRescorer(
                    context: context, stageFingerprints: context.stageFingerprints,
                    comparability: comparability, baselineConfig: baselineConfig)
                rescorer = comparable
                let rescored = try comparable.rescore(baseline: baseline.1)
                if !rescored.metrics.isEmpty {
                    baselineMetrics?.merge(rescored.metrics) { _, new in new }
                    comparison =
                        "baseline model re-scored on this run's test data (\(rescored.metrics.keys.sorted().joined(separator: ", "))) \(rescored.rowsSummary)"
                } else if rescored.excludedRows > 0 {
                    comparison =
                        "recorded metrics of the baseline run: all \(rescored.excludedRows) test rows were rows the baseline model trained on"
                }
            }
        }
        comparison = RecordLimits.clipped(
            TerminalText.sanitized(comparison), toBytes: RecordLimits.fieldBytes)
        record.baseline = RunRecord.Baseline(
            policy: config.baseline.description, commit: context.baseline?.0.hex, comparison: comparison)
        record.gates = config.gates.map {
            GateResult.judge(
                $0, metrics: record.metrics, baseline: baselineMetrics, unmeasured: unmeasured($0.metric))
        }
        if config.gates.contains(where: { $0.confidence != nil }) {
            try SignificanceJudge(context: context, baselineRows: rescorer).judge(
                &record.gates, record: record)
        }
        record.verdict = record.failedGates.isEmpty ? .pass : .fail
    }
}

/// What the stages of one run share: the evaluated tree, its config, the baseline, scratch space.
struct RunContext {
    let evaluation: Evaluation
    let repository: Repository
    let store: RunStore
    /// A directory removed after the run.
    let scratch: URL
    /// The isolated checkout the stages run in; nil when the verdict came from the cache.
    var checkout: URL?

    var tree: EvaluatedTree { evaluation.tree }
    var config: PipelineConfig { evaluation.config }
    /// The baseline commit and record, when one was needed and found.
    var baseline: (ObjectID, RunRecord)? { evaluation.baseline }
    /// Each stage's fingerprint in this run, by name.
    var stageFingerprints: [String: String] { evaluation.stageFingerprints }

    /// A file of the evaluated tree on disk: in the checkout when there is one, else written to scratch.
    func file(_ path: String) throws -> URL? {
        // Resolved inside the checkout: a link there (committed, or made by a stage) cannot lead out.
        if let checkout {
            return checkout.appendingPathComponent(try ContainedDirectory(root: checkout).resolve(path))
        }
        guard let data = try tree.contents(of: path, in: repository) else { return nil }
        let url = scratch.appendingPathComponent("files/\(path)")
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    /// Built-in stage `stage`'s test rows in this run as a training request (its test file, or its
    /// split's held-out rows); nil when a file it names is not in the evaluated tree.
    func testRequest(for stage: BuiltinStage) throws -> TrainingRequest? {
        let test: TestSource
        if let testPath = stage.testFile {
            guard let url = try file(testPath) else { return nil }
            test = .file(url, name: testPath)
        } else {
            test = .split(fraction: stage.split, seed: stage.seed)
        }
        guard let data = try file(stage.data) else { return nil }
        return TrainingRequest(
            data: data, test: test, target: stage.target, features: stage.features, dataName: stage.data,
            missing: stage.missing)
    }

    /// The file at `path` as it is in the baseline commit, written to scratch; nil without one.
    func baselineFile(_ path: String) throws -> URL? {
        guard let commit = baseline?.0,
            let entry = try repository.treeEntries(commit: commit, matching: [path]).first(where: {
                $0.path == path
            })
        else { return nil }
        let url = scratch.appendingPathComponent("baseline/\(path)")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Streamed: a data file of gigabytes costs a chunk of memory, not its size.
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try repository.streamBlob(entry.id) { chunk in try handle.write(contentsOf: chunk) }
        return url
    }
}

/// Scores the baseline run's built-in models on this run's test rows, so that change bounds
/// compare like with like rather than with numbers measured on other data.
///
/// Results are kept by (candidate stage, baseline stage) fingerprints: a cached verdict is judged
/// the same way as a fresh one without reading the data again.
///
/// Test rows the baseline model was trained on are left out (`TrainingRows`, read from the
/// baseline commit by `BaselineComparability`): a model scored on its own training rows looks
/// better than it is. When the baseline's training rows cannot be read, nothing is left out and
/// the comparison says so.
struct BaselineRescorer {
    let context: RunContext
    /// The candidate's stage fingerprints, by stage name.
    let stageFingerprints: [String: String]
    /// Reads the baseline commit's training rows.
    let comparability: BaselineComparability
    /// The baseline commit's config; nil when it cannot be read.
    let baselineConfig: PipelineConfig?

    /// What re-scoring found, over every built-in stage.
    struct Result {
        /// Metric name → the baseline model's value on the candidate's test rows; empty when no
        /// built-in stage has a stored baseline model.
        var metrics: [String: Double] = [:]
        /// Test rows scored.
        var rows = 0
        /// Test rows left out because the baseline model trained on them.
        var excludedRows = 0
        /// Stages whose baseline training rows could not be read (nothing left out).
        var unknownTraining: [String] = []

        /// "on 41 test rows; 12 rows the baseline trained on left out".
        var rowsSummary: String {
            var text = "on \(rows) test rows"
            if excludedRows > 0 { text += "; \(excludedRows) rows the baseline model trained on left out" }
            if !unknownTraining.isEmpty {
                text +=
                    "; the baseline's training rows of \(unknownTraining.joined(separator: ", ")) are unknown"
            }
            return text
        }
    }

    /// The baseline models' metrics on the candidate's test rows, without the rows they trained on.
    func rescore(baseline: RunRecord) throws -> Result {
        var result = Result()
        for stage in context.config.stages {
            guard case .builtin(let builtin) = stage.kind,
                let candidate = stageFingerprints[stage.name],
                let previous = baseline.stages.first(where: { $0.name == stage.name })
            else { continue }
            let kept = context.store.rescoredURL(candidate: candidate, baseline: previous.fingerprint)
            let scored: Rescored
            if let data = FileManager.default.contents(atPath: kept.path),
                let cached = try? JSONDecoder().decode(Rescored.self, from: data)
            {
                scored = cached
            } else {
                guard
                    let model = try? ModelFile.read(from: context.store.modelURL(for: previous.fingerprint)),
                    let fresh = try score(model, on: builtin, stage: stage.name)
                else { continue }
                try AtomicFile.write(try JSONEncoder().encode(fresh), to: kept)
                scored = fresh
            }
            result.metrics.merge(scored.rescoring.metrics) { _, new in new }
            result.rows += scored.rescoring.rows
            result.excludedRows += scored.rescoring.excludedRows
            if !scored.trainingRowsKnown { result.unknownTraining.append(NameRules.quoted(stage.name)) }
        }
        return result
    }

    /// The rows the baseline's stage `name` trained `model` on; nil when they cannot be read.
    func trainingRows(ofStage name: String, model: ModelFile) -> TrainingRows? {
        guard let before = baselineConfig?.stages.first(where: { $0.name == name }),
            case .builtin(let then) = before.kind
        else { return nil }
        guard let data = try? context.baselineFile(then.data) else { return nil }
        return comparability.trainingRows(of: model, stage: then, data: data)
    }

    /// One stage's re-scoring as kept on disk.
    struct Rescored: Codable {
        var rescoring: Rescoring
        /// False when the baseline's training rows could not be read, so none were left out.
        var trainingRowsKnown: Bool
    }

    /// The model's metrics on the stage's test rows, without the baseline stage's training rows;
    /// nil when the model no longer fits the data's columns.
    private func score(_ model: ModelFile, on stage: BuiltinStage, stage name: String) throws -> Rescored? {
        let trainingRows = self.trainingRows(ofStage: name, model: model)
        guard let request = try context.testRequest(for: stage) else { return nil }
        // A baseline model whose columns no longer fit the data cannot be compared: keep its recorded metrics.
        guard let rescoring = try? model.rescore(testOf: request, excluding: trainingRows) else { return nil }
        return Rescored(rescoring: rescoring, trainingRowsKnown: trainingRows != nil)
    }
}
