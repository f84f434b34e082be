import Foundation
import Learning
import Statistics

/// Judges the gates that carry a `confidence` level on per-example results, after the plain
/// judgement: a gate then passes only when its interval lies on the good side of the limit, fails
/// only when it lies on the bad side, and is inconclusive in between (`significance.on_inconclusive`
/// decides what that does to the verdict).
///
/// **Mechanism.** For each built-in stage it scores the candidate's stored model on the stage's
/// test rows, and the baseline run's stored model on the *same* rows in the same order, so the
/// comparison is paired; both are kept in the run store by stage fingerprint (never in the note),
/// so a cached verdict is judged again without reading the data. A metric without per-example
/// results (a command stage, silhouette) keeps its plain judgement. Resampling is seeded from the
/// run's fingerprint and the gate's position.
///
/// **Guarantee.** A config without `confidence` never reaches this type: nothing is scored, read
/// or resampled, and the record is byte for byte what it was. With it, the same inputs give the
/// same intervals on any machine and any core count.
struct SignificanceJudge {
    let context: RunContext
    /// The comparable baseline's training rows (like with like: rows the baseline model trained
    /// on are left out for both models); nil without a comparable baseline.
    let baselineRows: BaselineRescorer?

    /// Replaces the plain judgement of every gate with a confidence in `gates` (parallel to
    /// `config.gates`).
    func judge(_ gates: inout [GateResult], record: RunRecord) throws {
        let config = context.config
        let policy = config.significance
        let seed = Self.seed(record.fingerprint)
        var judged: [(index: Int, result: GateSignificance.Result, confidence: Double)] = []
        var examples: [String: (ExampleResults, ExampleResults?)] = [:]
        for (index, gate) in config.gates.enumerated() {
            guard let confidence = gate.confidence, index < gates.count else { continue }
            gates[index].confidence = confidence
            guard let stageName = record.stages.first(where: { $0.metrics[gate.metric] != nil })?.name,
                gates[index].status != .missing, gates[index].status != .noBaseline
            else { continue }
            let candidate: ExampleResults
            var base: (ExampleResults, paired: Bool)?
            if let command = commandPredictions(stage: stageName) {
                guard
                    let loaded = try predictionResults(
                        stage: stageName, path: command, metric: gate.metric,
                        reported: record.metrics[gate.metric])
                else { continue }
                (candidate, base) = loaded
            } else {
                if examples[stageName] == nil, let loaded = self.examples(stage: stageName) {
                    examples[stageName] = loaded
                }
                guard let loaded = examples[stageName] else { continue }
                candidate = loaded.0
                base = loaded.1.map { ($0, true) }
            }
            var baseline: GateSignificance.Baseline?
            if gate.needsBaseline {
                if let base {
                    baseline = .results(base.0, paired: base.paired)
                } else if let value = gates[index].baseline {
                    baseline = .value(value)
                }
            }
            let question = GateSignificance.Question(
                metric: gate.metric, bound: GateSignificance.Bound(rawValue: gate.kind.rawValue) ?? .min,
                limit: gate.limit, relative: gate.relative, confidence: confidence)
            guard
                let result = GateSignificance.judge(
                    question, candidate: candidate, baseline: baseline, resamples: policy.resamples,
                    seed: seed &+ UInt64(index))
            else { continue }
            judged.append((index, result, confidence))
        }
        let correction = MultipleTesting.Method(rawValue: policy.correction) ?? .holm
        let corrected = GateSignificance.correct(
            judged.map(\.result), confidences: judged.map(\.confidence), method: correction)
        let adjusted = MultipleTesting.adjust(judged.map(\.result.pValue), method: correction)
        for ((index, _, _), (result, pValue)) in zip(judged, zip(corrected, adjusted)) {
            let plain = gates[index]
            let passes =
                result.outcome == .pass || (result.outcome == .inconclusive && policy.onInconclusive == .pass)
            var gate = GateResult(
                metric: plain.metric, kind: plain.kind, limit: plain.limit, relative: plain.relative,
                value: plain.value, baseline: plain.baseline, passed: passes, status: passes ? .pass : .fail)
            gate.confidence = plain.confidence
            gate.interval = [result.interval.lower, result.interval.upper]
            gate.pValue = min(1, max(0, pValue))
            gate.method = result.method
            gate.paired = result.paired
            gate.n = result.count
            gate.outcome = result.outcome.rawValue
            gate.mde = result.minimumDetectableEffect.isFinite ? result.minimumDetectableEffect : nil
            gates[index] = gate
        }
    }

    /// The `predictions:` path of a command stage, or nil.
    private func commandPredictions(stage name: String) -> String? {
        guard let stage = context.config.stages.first(where: { $0.name == name }),
            case .command(let command) = stage.kind
        else { return nil }
        return command.predictions
    }

    /// A command stage's predictions as results for `metric`, checked against the value the stage
    /// reported; the baseline run's predictions (kept in the run store) when they exist.
    private func predictionResults(stage name: String, path: String, metric: String, reported: Double?) throws
        -> (ExampleResults, (ExampleResults, paired: Bool)?)?
    {
        guard let fingerprint = context.stageFingerprints[name],
            let candidate = try predictions(path: path, fingerprint: fingerprint)
        else { return nil }
        let previous = context.baseline?.1.stages.first(where: { $0.name == name })?.fingerprint
        let baseline = previous.flatMap { storedPredictions(fingerprint: $0) }
        guard
            let (results, base) = try PredictionsJoin.results(
                metric: metric, candidate: candidate, name: path, baseline: baseline)
        else { return nil }
        if let reported, let computed = MetricBootstrap.value(of: metric, on: results),
            abs(computed - reported) > 5e-4 * max(1, abs(reported))
        {
            throw DataError(
                .predictionsMismatch,
                "the rows of '\(path)' give \(metric) \(RunReport.format(computed)), but stage '\(name)' reported \(RunReport.format(reported))",
                location: path,
                hint: "write the predictions of the same rows and model the stage's metrics describe")
        }
        return (results, base)
    }

    /// The candidate's predictions: read from the checkout after a fresh run (and kept in the run
    /// store), or the kept copy for a cached verdict.
    private func predictions(path: String, fingerprint: String) throws -> PredictionsFile? {
        guard let checkout = context.checkout else { return storedPredictions(fingerprint: fingerprint) }
        let url = checkout.appendingPathComponent(try ContainedDirectory(root: checkout).resolve(path))
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataError(
                .cannotOpen, "the stage did not write its predictions file '\(path)'", location: path,
                hint: "write id,y_true,y_pred rows to '\(path)', or remove 'predictions:' from the stage")
        }
        let file = try PredictionsFile.read(url: url, name: path)
        if let data = try? JSONEncoder().encode(file) {
            try? AtomicFile.write(data, to: context.store.examplesURL(key: "predictions-\(fingerprint)"))
        }
        return file
    }

    /// Predictions kept in the run store for a stage fingerprint, when whole.
    private func storedPredictions(fingerprint: String) -> PredictionsFile? {
        let url = context.store.examplesURL(key: "predictions-\(fingerprint)")
        guard let data = FileManager.default.contents(atPath: url.path),
            let file = try? JSONDecoder().decode(PredictionsFile.self, from: data), file.isConsistent
        else { return nil }
        return file
    }

    /// The first 64 bits of the run's fingerprint (hex), or 0.
    static func seed(_ fingerprint: String) -> UInt64 {
        UInt64(fingerprint.prefix(16), radix: 16) ?? 0
    }

    /// The candidate's and (when there is a baseline model) the baseline's per-example results
    /// on the stage's test rows; nil for a command stage or when the model is not in the store.
    private func examples(stage name: String) -> (ExampleResults, ExampleResults?)? {
        guard let stage = context.config.stages.first(where: { $0.name == name }),
            case .builtin(let builtin) = stage.kind,
            let fingerprint = context.stageFingerprints[name]
        else { return nil }
        // With a comparable baseline model, both models are scored on the candidate's test rows
        // less the rows the baseline trained on, so the pairs are the same rows. Both results are
        // kept by (candidate, baseline) fingerprints; the baseline's training rows are read only
        // when one of them is not kept yet.
        let previous = baselineRows.flatMap { _ in context.baseline?.1.stages.first { $0.name == name } }
        let pair = previous.map { "-\($0.fingerprint.prefix(16))" } ?? ""
        let candidateKey = previous == nil ? fingerprint : "\(fingerprint)-paired\(pair)"
        let baselineKey = "\(fingerprint)\(pair)"
        var candidate = kept(candidateKey)
        var base = previous == nil ? nil : kept(baselineKey)
        if candidate == nil || (previous != nil && base == nil) {
            let baselineModel = previous.flatMap {
                try? ModelFile.read(from: context.store.modelURL(for: $0.fingerprint))
            }
            let excluded = baselineModel.flatMap { baselineRows?.trainingRows(ofStage: name, model: $0) }
            if candidate == nil,
                let model = try? ModelFile.read(from: context.store.modelURL(for: fingerprint))
            {
                candidate = scored(model: model, on: builtin, excluding: excluded, keptAs: candidateKey)
            }
            if base == nil, let baselineModel {
                base = scored(model: baselineModel, on: builtin, excluding: excluded, keptAs: baselineKey)
            }
        }
        guard let candidate else { return nil }
        guard let converted = Self.convert(candidate) else { return nil }
        return (converted, base.flatMap { Self.convert($0, alignedTo: candidate) })
    }

    /// `model`'s per-example results on the stage's test rows less `excluding`, kept as `key`.
    private func scored(
        model: ModelFile, on stage: BuiltinStage, excluding: TrainingRows?, keptAs key: String
    )
        -> ScoredExamples?
    {
        let kept = context.store.examplesURL(key: key)
        guard let request = try? context.testRequest(for: stage),
            let examples = try? model.scoredExamples(testOf: request, excluding: excluding)
        else { return nil }
        if let data = try? JSONEncoder().encode(examples) { try? AtomicFile.write(data, to: kept) }
        return examples
    }

    /// Per-example results kept in the run store as `key`, or nil.
    private func kept(_ key: String) -> ScoredExamples? {
        let url = context.store.examplesURL(key: key)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? JSONDecoder().decode(ScoredExamples.self, from: data)
    }

    /// Statistics' view of scored rows; a baseline's class ids are renumbered into the
    /// candidate's class order (nil when its classes differ, so it cannot be paired).
    static func convert(_ examples: ScoredExamples, alignedTo candidate: ScoredExamples? = nil)
        -> ExampleResults?
    {
        switch examples.kind {
        case .regression:
            return ExampleResults(task: .regression, truth: examples.truth, predicted: examples.predicted)
        case .clustering:
            return ExampleResults(clusteringLosses: examples.losses)
        case .classification(let classes):
            // The store is ours, but a damaged file must not trap: ids are checked before use.
            let isClass = { (value: Double) in
                value >= 0 && value < Double(classes) && value == value.rounded()
            }
            guard classes == examples.classNames.count, examples.truth.count == examples.predicted.count,
                examples.truth.allSatisfy(isClass), examples.predicted.allSatisfy(isClass)
            else { return nil }
            var truth = examples.truth
            var predicted = examples.predicted
            var probabilities = examples.probabilities
            if let candidate, candidate.classNames != examples.classNames {
                // Baseline class k is candidate class map[k].
                let map = examples.classNames.map { candidate.classNames.firstIndex(of: $0) }
                guard examples.classNames.count == candidate.classNames.count, map.allSatisfy({ $0 != nil }),
                    probabilities.count == examples.count * classes
                else { return nil }
                let target = map.compactMap { $0 }
                truth = truth.map { Double(target[Int($0)]) }
                predicted = predicted.map { Double(target[Int($0)]) }
                var reordered = probabilities
                for row in 0..<examples.count {
                    for k in 0..<classes {
                        reordered[row * classes + target[k]] = probabilities[row * classes + k]
                    }
                }
                probabilities = reordered
            }
            return ExampleResults(
                task: .classification(classes: classes), truth: truth, predicted: predicted,
                probabilities: probabilities)
        }
    }
}

extension RunStore {
    /// Where per-example results of a stage's test rows are kept (a candidate model's by its
    /// stage fingerprint; a baseline model's by candidate and baseline fingerprints).
    func examplesURL(key: String) -> URL {
        root.appendingPathComponent("examples/\(key.prefix(2))/\(key).json")
    }
}
