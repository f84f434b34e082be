import Foundation
import Learning
import Yams

/// Turns a decoded `RawConfig` into a `PipelineConfig`, checking what types alone cannot.
struct ConfigValidator {
    let file: String
    let catalog: BuiltinCatalog
    let root: Node

    func validate(_ raw: RawConfig) throws -> PipelineConfig {
        let version = raw.version ?? 1
        guard version == 1 else {
            throw error(
                "unsupported config version \(version)", at: root["version"],
                hint: "this modelgate reads 'version: 1'")
        }
        guard let definitions = raw.stages, !definitions.isEmpty else {
            throw error(
                "no stages: the pipeline has nothing to run", at: root["stages"] ?? root,
                hint:
                    "add a stage, e.g. 'stages: [{name: train, builtin: linear-regression, data: data/train.csv, target: y}]'"
            )
        }
        // Every stage and gate becomes an entry of each run record: a pipeline that records
        // could not hold is refused here, before anything runs.
        if definitions.count > RecordLimits.stages {
            throw ConfigError(
                .recordLimit(.tooManyStages(definitions.count)), file: file, at: root["stages"]?.position)
        }
        var stages: [Stage] = []
        for (index, definition) in definitions.enumerated() {
            let node = root["stages"]?.sequence?[index]
            if let earlier = stages.first(where: { $0.name == definition.name }) {
                throw error(
                    "two stages are named '\(definition.name)'", at: node?["name"],
                    hint: "rename one; the first is at \(file):\(earlier.position?.description ?? "?")")
            }
            stages.append(try stage(definition, node: node, earlier: stages))
        }
        var gates = try (raw.gates ?? []).enumerated().map { index, gate in
            try self.gate(gate, node: root["gates"]?.sequence?[index])
        }
        // An optimize stage's bound on metric change is a gate like any other, so a too-lossy
        // quantisation fails the verdict (exit 1) and shows in the gate table.
        for stage in stages {
            if case .optimize(let optimize) = stage.kind, let bound = optimize.maxChange {
                gates.append(
                    Gate(
                        metric: OptimizeStage.maxChangeMetric, kind: .max, limit: bound, relative: false,
                        position: stage.position))
            }
        }
        if gates.count > RecordLimits.gates {
            throw ConfigError(
                .recordLimit(.tooManyGates(gates.count)), file: file, at: (root["gates"] ?? root).position)
        }
        try checkGateMetrics(gates, stages: stages)
        var config = PipelineConfig(
            version: version,
            name: try name(raw.name),
            stages: stages, gates: gates,
            baseline: try baseline(raw.baseline),
            hooks: try hooks(raw.hooks),
            trust: try trust(raw.trust))
        config.significance = try significance(raw.significance)
        return config
    }

    /// `significance:`: resamples 100…1,000,000, on_inconclusive pass|fail, correction holm|bh|none.
    private func significance(_ raw: RawSignificance?) throws -> SignificancePolicy {
        let defaults = SignificancePolicy.default
        guard let raw else { return defaults }
        let node = root["significance"]
        let resamples = raw.resamples ?? defaults.resamples
        guard SignificancePolicy.resampleRange.contains(resamples) else {
            throw error(
                "significance.resamples is \(resamples); it must be between 100 and 1,000,000",
                at: node?["resamples"],
                hint:
                    "10000 gives intervals stable to about 1 % of their width; write e.g. 'resamples: 10000'")
        }
        var onInconclusive = defaults.onInconclusive
        if let text = raw.onInconclusive {
            guard let value = SignificancePolicy.OnInconclusive(rawValue: text) else {
                throw error(
                    "significance.on_inconclusive is '\(text)'", at: node?["on_inconclusive"],
                    hint: "write 'on_inconclusive: pass' (warn and pass) or 'on_inconclusive: fail'")
            }
            onInconclusive = value
        }
        let correction = raw.correction ?? defaults.correction
        guard ["holm", "bh", "none"].contains(correction) else {
            throw error(
                "significance.correction is '\(correction)'", at: node?["correction"],
                hint: "write 'correction: holm' (family-wise), 'bh' (false discovery rate) or 'none'")
        }
        return SignificancePolicy(
            resamples: resamples, onInconclusive: onInconclusive, correction: correction)
    }

    // MARK: - Pieces

    private func name(_ name: String?) throws -> String {
        guard let name else { return "model" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(allowed.contains) else {
            throw error(
                "model name '\(name)' cannot be used in tag names", at: root["name"],
                hint: "use letters, digits, '-', '_' and '.', e.g. 'name: housing'")
        }
        return name
    }

    private func stage(_ definition: StageDefinition, node: Node?, earlier: [Stage]) throws -> Stage {
        let position = node?.position
        if let problem = NameRules.problem(in: definition.name, for: .stage) {
            throw ConfigError(
                .unsafeName(.stage, name: definition.name, problem), file: file, at: node?["name"]?.position)
        }
        try checkPaths(of: definition, node: node)
        if let runsOn = definition.runsOn, runsOn != "ci" {
            throw error(
                "stage '\(definition.name)' has runs_on '\(runsOn)'", at: node?["runs_on"],
                hint:
                    "the only value is 'runs_on: ci' (never run in a hook); remove the key to run it anywhere"
            )
        }
        let kind: Stage.Kind
        switch (definition.cmd, definition.builtin) {
        case (.some, .some):
            throw error(
                "stage '\(definition.name)' has both 'cmd' and 'builtin'", at: node?["builtin"],
                hint: "a stage runs either a command or a built-in trainer; split it into two stages")
        case (.none, .none):
            throw error(
                "stage '\(definition.name)' has neither 'cmd' nor 'builtin'", at: node,
                hint: "add 'cmd: python train.py' or 'builtin: linear-regression'")
        case (.some(let command), .none):
            try onlyAllowedKeys(of: .command, definition, node: node)
            if definition.report != nil, let other = earlier.first(where: { $0.reportPath != nil }) {
                throw error(
                    "stages '\(other.name)' and '\(definition.name)' both declare a report",
                    at: node?["report"],
                    hint: "a run has one report: keep 'report:' on one stage and link the other file from it")
            }
            kind = .command(
                CommandStage(
                    command: command, deps: definition.deps ?? [], params: definition.params,
                    outs: definition.outs ?? [], metrics: definition.metrics,
                    timeout: try timeout(definition.timeout, node: node?["timeout"]),
                    environment: definition.env ?? [:], predictions: definition.predictions,
                    report: definition.report))
        case (.none, "validate"):
            try onlyAllowedKeys(of: .validate, definition, node: node)
            kind = .validate(try validate(definition, node: node))
        case (.none, "optimize"):
            try onlyAllowedKeys(of: .optimize, definition, node: node)
            kind = .optimize(try optimize(definition, node: node, earlier: earlier))
        case (.none, .some(let trainer)):
            guard catalog.metricsByTrainer[trainer] != nil else {
                let kinds = catalog.trainers + ["validate", "optimize"]
                let suggestion = closestMatch(to: trainer, in: kinds)
                throw error(
                    "unknown built-in trainer '\(trainer)'", at: node?["builtin"],
                    hint: (suggestion.map { "did you mean '\($0)'? " } ?? "")
                        + "available: \(kinds.joined(separator: ", "))")
            }
            try onlyAllowedKeys(of: .trainer, definition, node: node)
            kind = .builtin(try builtin(trainer, definition, node: node))
        }
        return Stage(name: definition.name, kind: kind, definition: definition, position: position)
    }

    private func builtin(_ trainer: String, _ definition: StageDefinition, node: Node?) throws -> BuiltinStage
    {
        let data = try required(
            definition.data, "data", of: definition, node: node, example: "data: data/train.csv")
        if catalog.needsTarget(trainer), definition.target == nil {
            throw error(
                "built-in stage '\(definition.name)' has no 'target'", at: node,
                hint: "name the column to predict, e.g. 'target: price'")
        }
        if definition.test != nil, definition.split != nil {
            throw error(
                "stage '\(definition.name)' has both 'test' and 'split'", at: node?["split"],
                hint: "use a separate test file or a held-out fraction, not both")
        }
        let split = definition.split ?? 0.2
        guard split > 0, split < 1 else {
            throw error(
                "split \(split) is not a fraction between 0 and 1", at: node?["split"],
                hint: "e.g. 'split: 0.2' holds out a fifth of the rows")
        }
        return BuiltinStage(
            trainer: trainer, data: data, target: definition.target, features: definition.features,
            testFile: definition.test, split: split, seed: UInt64(max(0, definition.seed ?? 0)),
            model: definition.model ?? "\(definition.name).model.json", options: definition.options,
            missing: try missing(definition, node: node))
    }

    private func validate(_ definition: StageDefinition, node: Node?) throws -> ValidateStage {
        let data = try required(
            definition.data, "data", of: definition, node: node, example: "data: data/train.csv")
        var types: [String: DataExpectations.ColumnType] = [:]
        for (column, text) in definition.types ?? [:] {
            guard let type = DataExpectations.ColumnType(rawValue: text) else {
                throw error(
                    "type '\(text)' of column '\(column)' is neither 'number' nor 'text'",
                    at: node?["types"]?[column],
                    hint: "write 'number' or 'text'")
            }
            types[column] = type
        }
        var ranges: [String: ClosedRange<Double>] = [:]
        for (column, bounds) in definition.ranges ?? [:] {
            guard bounds.count == 2, bounds[0] <= bounds[1] else {
                throw error(
                    "range of column '\(column)' is not [low, high]", at: node?["ranges"]?[column],
                    hint: "e.g. '\(column): [0, 100]'")
            }
            ranges[column] = bounds[0]...bounds[1]
        }
        return ValidateStage(
            data: data,
            expectations: DataExpectations(
                columns: definition.columns, types: types, ranges: ranges, minimumRows: definition.minRows),
            drift: definition.drift ?? false)
    }

    private func optimize(_ definition: StageDefinition, node: Node?, earlier: [Stage]) throws
        -> OptimizeStage
    {
        let trainerStages = earlier.filter {
            if case .builtin = $0.kind { return true } else { return false }
        }
        let fromName = definition.from ?? trainerStages.last?.name
        guard let fromName, let source = earlier.first(where: { $0.name == fromName }),
            case .builtin(let trained) = source.kind
        else {
            throw error(
                definition.from.map {
                    "stage '\(definition.name)' optimises '\($0)', which is not an earlier built-in trainer stage"
                }
                    ?? "stage '\(definition.name)' has no earlier built-in trainer stage to optimise",
                at: node?["from"] ?? node,
                hint: "put the optimize stage after a built-in trainer stage, and name it with 'from:'")
        }
        let typeName = definition.dtype ?? "float16"
        guard let type = QuantizationType(rawValue: typeName) else {
            throw error(
                "dtype '\(typeName)' is not supported", at: node?["dtype"],
                hint: "use one of: \(QuantizationType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let test = definition.test ?? trained.testFile
        guard test != nil else {
            throw error(
                "stage '\(definition.name)' needs a test CSV to re-evaluate the quantised model",
                at: node,
                hint: "'\(fromName)' holds out a split; give this stage 'test: data/test.csv'")
        }
        if let bound = definition.maxChange, !(bound >= 0) {
            throw error(
                "max_change must be a positive number", at: node?["max_change"],
                hint: "e.g. 'max_change: 0.01'")
        }
        return OptimizeStage(
            from: fromName, sourceModel: trained.model, type: type, testFile: test,
            model: definition.model ?? "\(definition.name).model.json", maxChange: definition.maxChange)
    }

    /// Refuses any path-valued key of the stage that is absolute, has a `..` or `.git`
    /// component, or a control character, at the position of the offending value.
    private func checkPaths(of definition: StageDefinition, node: Node?) throws {
        let single: [(String, String?)] = [
            ("params", definition.params), ("metrics", definition.metrics), ("data", definition.data),
            ("test", definition.test), ("model", definition.model), ("predictions", definition.predictions),
            ("report", definition.report),
        ]
        var paths = single.compactMap { key, value in value.map { (key, $0, node?[key]) } }
        for key in ["deps", "outs"] {
            let values = key == "deps" ? definition.deps : definition.outs
            for (index, value) in (values ?? []).enumerated() {
                paths.append(("\(key)[\(index)]", value, node?[key]?.sequence?[index]))
            }
        }
        for (key, path, valueNode) in paths {
            guard let problem = RepositoryPath.problem(in: path) else { continue }
            throw ConfigError(
                .unsafePath(stage: definition.name, key: key, path: path, problem), file: file,
                at: valueNode?.position ?? node?.position)
        }
    }

    private func required(
        _ value: String?, _ key: String, of definition: StageDefinition, node: Node?, example: String
    ) throws -> String {
        guard let value else {
            throw error(
                "built-in stage '\(definition.name)' has no '\(key)'", at: node,
                hint: "add it, e.g. '\(example)'")
        }
        return value
    }

    private func missing(_ definition: StageDefinition, node: Node?) throws -> MissingValuePolicy {
        guard let text = definition.missing else { return .error }
        guard let policy = MissingValuePolicy(rawValue: text) else {
            throw error(
                "missing: '\(text)' is not a policy", at: node?["missing"],
                hint: "use 'error' (default) or 'drop-row'")
        }
        return policy
    }

    /// Rejects keys set on a stage that its kind does not use, naming the kind.
    private func onlyAllowedKeys(of kind: StageKindName, _ definition: StageDefinition, node: Node?) throws {
        let allowed = StageDefinition.allowedKeys(for: kind)
        for (key, _) in node?.mapping ?? [:] {
            guard let name = key.string, name != "name", name != "runs_on",
                let codingKey = StageDefinition.CodingKeys(rawValue: name),
                !allowed.contains(codingKey)
            else { continue }
            let description: String
            switch kind {
            case .command: description = "this stage runs 'cmd'"
            case .trainer: description = "this stage runs the built-in trainer '\(definition.builtin ?? "")'"
            case .validate: description = "this is a validate stage"
            case .optimize: description = "this is an optimize stage"
            }
            throw error(
                "'\(name)' does not apply to stage '\(definition.name)'", at: key,
                hint:
                    "remove it: \(description); it accepts \(allowed.map(\.rawValue).sorted().joined(separator: ", "))"
            )
        }
    }

    private func timeout(_ value: TrainerOption?, node: Node?) throws -> Duration {
        guard let value else { return .seconds(3600) }
        if let duration = Duration(configText: value.description), duration > .zero {
            return duration
        }
        throw error(
            "timeout '\(value)' is not a duration", at: node,
            hint:
                "write a number with a unit, at most a week: '90s', '10m', '2h' (a bare number means seconds)"
        )
    }

    private func gate(_ gate: RawGate, node: Node?) throws -> Gate {
        if let problem = NameRules.problem(in: gate.metric, for: .gate) {
            throw ConfigError(
                .unsafeName(.gate, name: gate.metric, problem), file: file,
                at: (node?["metric"] ?? node)?.position)
        }
        let bounds: [(Gate.Kind, Double?)] = [
            (.min, gate.min), (.max, gate.max), (.maxDrop, gate.maxDrop), (.maxRise, gate.maxRise),
        ]
        let set = bounds.compactMap { kind, value in value.map { (kind, $0) } }
        guard set.count == 1, let (kind, limit) = set.first else {
            throw error(
                set.isEmpty
                    ? "gate on '\(gate.metric)' has no limit"
                    : "gate on '\(gate.metric)' has \(set.count) limits; a gate has exactly one",
                at: node,
                hint:
                    "use one of min, max, max_drop, max_rise per gate, e.g. '- {metric: \(gate.metric), min: 0.9}'"
            )
        }
        guard limit.isFinite else {
            throw error("gate limit on '\(gate.metric)' is not a finite number", at: node, hint: nil)
        }
        let isChangeBound = kind == .maxDrop || kind == .maxRise
        if gate.relative != nil, !isChangeBound {
            throw error(
                "'relative' applies only to max_drop and max_rise", at: node?["relative"],
                hint: "remove 'relative' from this \(kind.rawValue) gate")
        }
        if isChangeBound, limit < 0 {
            throw error(
                "\(kind.rawValue) on '\(gate.metric)' is negative", at: node?[kind.rawValue],
                hint: "a change bound is a size; write it as a positive number")
        }
        if let confidence = gate.confidence, !(confidence > 0.5 && confidence < 1) {
            throw error(
                "confidence on '\(gate.metric)' is \(confidence); it must be between 0.5 and 1 (exclusive)",
                at: node?["confidence"],
                hint: "write the two-sided confidence level as a fraction, e.g. 'confidence: 0.95'")
        }
        return Gate(
            metric: gate.metric, kind: kind, limit: limit, relative: gate.relative ?? false,
            position: node?.position, confidence: gate.confidence)
    }

    private func checkGateMetrics(_ gates: [Gate], stages: [Stage]) throws {
        // A command stage with a metrics file may report any name; only without one can we tell
        // before running that a gate names a metric nothing produces.
        var known: [String] = []
        var prefixes: [String] = []
        for stage in stages {
            switch stage.kind {
            case .command(let command):
                if command.metrics != nil { return }
            case .builtin(let builtin):
                known += catalog.metricsByTrainer[builtin.trainer] ?? []
            case .validate:
                known.append("rows")
                prefixes += ["missing.", "out_of_range.", "drift.psi.", "drift.ks."]
            case .optimize(let optimize):
                known += OptimizeStage.sizeMetrics + [OptimizeStage.maxChangeMetric]
                let source = stages.first { $0.name == optimize.from }
                if case .builtin(let trained) = source?.kind {
                    known += (catalog.metricsByTrainer[trained.trainer] ?? []).map {
                        "\(OptimizeStage.metricPrefix)\($0)"
                    }
                }
            }
        }
        for gate in gates
        where !known.contains(gate.metric) && !prefixes.contains(where: gate.metric.hasPrefix) {
            let suggestion = closestMatch(to: gate.metric, in: known)
            throw ConfigError(
                "gate on '\(gate.metric)', but no stage produces that metric", file: file, at: gate.position,
                hint: (suggestion.map { "did you mean '\($0)'? " } ?? "")
                    + (known.isEmpty
                        ? "add 'metrics: metrics.json' to a command stage"
                        : "the stages produce: \((known + prefixes.map { $0 + "<column>" }).joined(separator: ", "))")
            )
        }
    }

    private func baseline(_ text: String?) throws -> BaselinePolicy {
        switch text {
        case nil, "ancestor": return .ancestor
        case "release": return .release
        case let text? where text.hasPrefix("branch:") && text.count > 7:
            return .branch(String(text.dropFirst(7)))
        case let text?:
            throw error(
                "unknown baseline '\(text)'", at: root["baseline"],
                hint: "use 'ancestor' (default), 'release' or 'branch:NAME'")
        }
    }

    private func trust(_ raw: RawTrust?) throws -> TrustPolicy? {
        guard let raw else { return nil }
        let node = root["trust"]
        guard let signers = raw.signers else {
            throw error(
                "'trust' has no 'signers'", at: node,
                hint: "name an allowed_signers file, e.g. 'signers: .modelgate/allowed_signers'")
        }
        if let problem = RepositoryPath.problem(in: signers) {
            throw error(
                "trust.signers '\(signers)' is not a path inside the repository (\(problem))",
                at: node?["signers"], hint: "use a path relative to the repository root")
        }
        var policy = TrustPolicy(signers: signers)
        for (index, entry) in (raw.require ?? []).enumerated() {
            let entryNode = node?["require"]?.sequence?[index]
            if entry == "release" {
                policy.release = true
            } else if entry.hasPrefix("push:"), entry.count > 5 {
                policy.pushBranches.append(String(entry.dropFirst(5)))
            } else {
                throw error(
                    "trust.require has '\(entry)'", at: entryNode,
                    hint: "each entry is 'release' or 'push:BRANCH' (globs allowed, e.g. 'push:release/*')")
            }
        }
        return policy
    }

    private func hooks(_ raw: RawHooks?) throws -> HookPolicy {
        let preCommit = try choice(raw?.preCommit, default: HookPolicy.PreCommit.train, key: "pre-commit")
        let prePush = try choice(raw?.prePush, default: HookPolicy.PrePush.require, key: "pre-push")
        return HookPolicy(preCommit: preCommit, prePush: prePush)
    }

    private func choice<T: RawRepresentable & CaseIterable>(_ text: String?, default value: T, key: String)
        throws -> T
    where T.RawValue == String {
        guard let text else { return value }
        if let parsed = T(rawValue: text) { return parsed }
        let options = T.allCases.map(\.rawValue)
        throw error(
            "hooks.\(key) is '\(text)'", at: root["hooks"]?[key],
            hint: "use one of: \(options.joined(separator: ", "))")
    }

    private func error(_ summary: String, at node: Node?, hint: String?) -> ConfigError {
        ConfigError(summary, file: file, at: node?.position, hint: hint)
    }
}

extension Duration {
    /// The longest timeout accepted: a week.
    static let longestTimeout = 7 * 24 * 3600.0

    /// Parses "90", "90s", "10m", "2h", "1h30m"; nil for anything else, including values that are
    /// not finite or longer than a week.
    init?(configText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            guard seconds.isFinite, seconds >= 0, seconds <= Self.longestTimeout else { return nil }
            self = .milliseconds(Int64(seconds * 1000))
            return
        }
        var total = 0.0
        var number = ""
        for character in trimmed {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
            number = ""
        }
        guard number.isEmpty, total > 0, total.isFinite, total <= Self.longestTimeout else { return nil }
        self = .milliseconds(Int64(total * 1000))
    }
}
