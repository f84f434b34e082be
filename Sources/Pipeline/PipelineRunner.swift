import Diagnostics
import Foundation
import GitKit

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

        /// Makes an outcome (also used to print a stored record).
        public init(record: RunRecord, reused: Bool, subject: String) {
            self.record = record
            self.reused = reused
            self.subject = subject
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
    public func run(_ source: EvaluationSource, force: Bool = false, observer: RunObserver? = nil) throws -> Outcome {
        let started = Date()
        let tree = try EvaluatedTree(source, in: repository)
        let config = try loadConfig(from: tree)
        let fingerprint = try PipelineFingerprint(config: config, tree: tree, configFile: PipelineConfig.fileName)

        return try store.withLock {
            var record: RunRecord
            let reused: Bool
            if !force, let cached = store.cachedRecord(for: fingerprint.digest) {
                reused = true
                record = cached
                record.stages = cached.stages.map { stage in
                    var stage = stage
                    stage.cached = true
                    stage.durationMilliseconds = 0
                    return stage
                }
                observer?.notice(
                    "inputs unchanged since an earlier run (fingerprint \(fingerprint.digest.prefix(12))); no stage ran")
                try conclude(&record, config: config, tree: tree, fingerprint: fingerprint, started: started)
            } else {
                reused = false
                let scratch = try store.makeScratchDirectory()
                defer { try? FileManager.default.removeItem(at: scratch) }
                let checkout = scratch.appendingPathComponent("tree", isDirectory: true)
                try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
                try tree.materialize(into: checkout, from: repository, extraPaths: Array(fingerprint.inputs.keys))
                record = try execute(config, fingerprint: fingerprint, tree: tree, checkout: checkout, observer: observer)
                try conclude(&record, config: config, tree: tree, fingerprint: fingerprint, started: started)
                if record.verdict == .pass, let artifacts {
                    record.artifact = try artifacts.store(
                        outputs: config.outputPaths, from: checkout, record: record, config: config)
                }
            }
            record.durationMilliseconds = Int(Date().timeIntervalSince(started) * 1000)
            // A reused verdict is already in the cache; only fresh results are added.
            if !reused, record.verdict != .error {
                try store.cache(record)
            }
            if let commit = tree.commit, try !notes.hasEquivalentRecord(record, on: commit) {
                try notes.write(record, on: commit)
            }
            return Outcome(record: record, reused: reused, subject: tree.description)
        }
    }

    /// Stamps what was evaluated onto the record and, unless a stage failed, judges the gates.
    private func conclude(
        _ record: inout RunRecord, config: PipelineConfig, tree: EvaluatedTree, fingerprint: PipelineFingerprint,
        started: Date
    ) throws {
        record.commit = tree.commit?.hex
        record.tree = tree.tree?.hex
        record.source = tree.source.label
        record.fingerprint = fingerprint.digest
        record.inputs = fingerprint.inputs
        record.started = started
        if record.verdict != .error {
            try judge(&record, config: config, tree: tree)
        }
    }

    // MARK: - Steps

    private func loadConfig(from tree: EvaluatedTree) throws -> PipelineConfig {
        guard let data = try tree.contents(of: PipelineConfig.fileName, in: repository) else {
            throw ConfigError(
                "\(tree.description) has no \(PipelineConfig.fileName)", file: PipelineConfig.fileName, at: nil,
                hint: tree.source == .staged
                    ? "run 'modelgate init' and 'git add \(PipelineConfig.fileName)'"
                    : "run 'modelgate init' and commit \(PipelineConfig.fileName)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("\(PipelineConfig.fileName) is not UTF-8 text", file: PipelineConfig.fileName, at: nil, hint: "save it as UTF-8")
        }
        return try ConfigLoader().parse(text)
    }

    private func execute(
        _ config: PipelineConfig, fingerprint: PipelineFingerprint, tree: EvaluatedTree, checkout: URL,
        observer: RunObserver?
    ) throws -> RunRecord {
        var results: [RunRecord.StageResult] = []
        var metrics: [String: Double] = [:]
        var producers: [String: String] = [:]
        var failure: String?
        for (index, entry) in fingerprint.stages.enumerated() {
            let stage = entry.stage
            guard failure == nil else {
                results.append(.init(name: stage.name, status: "skipped", durationMilliseconds: 0, cached: false, fingerprint: entry.digest, metrics: [:]))
                continue
            }
            observer?.stageStarted(stage, index: index + 1, of: fingerprint.stages.count)
            let clock = ContinuousClock()
            let start = clock.now
            var stageMetrics: [String: Double] = [:]
            var status = "pass"
            do {
                let runner = StageRunner(
                    stage: stage, checkout: checkout, subject: tree,
                    log: store.logURL(fingerprint: entry.digest, stage: stage.name), observer: observer)
                stageMetrics = try runner.run()
                for name in stageMetrics.keys.sorted() {
                    if let other = producers[name] {
                        throw StageFailure(
                            "stages '\(other)' and '\(stage.name)' both report the metric '\(name)'",
                            location: PipelineConfig.fileName,
                            hint: "metric names are global; rename one (e.g. nest it: {\"\(stage.name)\": {\"\(name)\": …}})",
                            exitStatus: .badInput)
                    }
                    producers[name] = stage.name
                }
            } catch let error as UserFacingError {
                if error is Interrupted || error is ConfigError { throw error }
                status = "error"
                failure = error.renderedMessage
            }
            metrics.merge(stageMetrics) { first, _ in first }
            let elapsed = clock.now - start
            let result = RunRecord.StageResult(
                name: stage.name, status: status,
                durationMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                cached: false, fingerprint: entry.digest, metrics: stageMetrics)
            results.append(result)
            observer?.stageFinished(stage, result: result)
        }
        return RunRecord(
            commit: nil, tree: nil, fingerprint: fingerprint.digest, verdict: failure == nil ? .pass : .error,
            metrics: metrics, gates: [], stages: results, artifact: nil, tool: "\(Tool.name) \(Tool.version)",
            started: Date(), durationMilliseconds: 0, baseline: nil, source: tree.source.label, inputs: [:],
            error: failure)
    }

    private func judge(_ record: inout RunRecord, config: PipelineConfig, tree: EvaluatedTree) throws {
        let start: ObjectID?
        if let commit = tree.commit {
            start = try repository.commit(commit).parentIDs.first
        } else {
            start = try repository.head()?.id
        }
        let needsBaseline = config.gates.contains(where: \.needsBaseline)
        let baseline = needsBaseline ? try BaselineFinder(repository: repository, notes: notes).find(config.baseline, from: start) : nil
        record.baseline = needsBaseline
            ? RunRecord.Baseline(
                policy: config.baseline.description, commit: baseline?.0.hex,
                comparison: baseline == nil ? "no baseline run found" : "recorded metrics of the baseline run")
            : nil
        record.gates = config.gates.map { GateResult.judge($0, metrics: record.metrics, baseline: baseline?.1.metrics) }
        record.verdict = record.failedGates.isEmpty ? .pass : .fail
    }
}
