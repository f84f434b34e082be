import Foundation
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
                hint: "add a stage, e.g. 'stages: [{name: train, builtin: linear-regression, data: data/train.csv, target: y}]'")
        }
        var stages: [Stage] = []
        for (index, definition) in definitions.enumerated() {
            let node = root["stages"]?.sequence?[index]
            if let earlier = stages.first(where: { $0.name == definition.name }) {
                throw error(
                    "two stages are named '\(definition.name)'", at: node?["name"],
                    hint: "rename one; the first is at \(file):\(earlier.position?.description ?? "?")")
            }
            stages.append(try stage(definition, node: node))
        }
        let gates = try (raw.gates ?? []).enumerated().map { index, gate in
            try self.gate(gate, node: root["gates"]?.sequence?[index])
        }
        try checkGateMetrics(gates, stages: stages)
        return PipelineConfig(
            version: version,
            name: try name(raw.name),
            stages: stages, gates: gates,
            baseline: try baseline(raw.baseline),
            hooks: try hooks(raw.hooks))
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

    private func stage(_ definition: StageDefinition, node: Node?) throws -> Stage {
        let position = node?.position
        guard !definition.name.isEmpty else {
            throw error("a stage has an empty name", at: node?["name"], hint: "e.g. 'name: train'")
        }
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
            try rejectKeys(
                [.data, .target, .features, .test, .split, .seed, .model] + StageDefinition.optionKeys,
                of: definition, node: node, because: "it belongs to built-in stages; this stage runs 'cmd'")
            return Stage(
                name: definition.name,
                kind: .command(
                    CommandStage(
                        command: command, deps: definition.deps ?? [], params: definition.params,
                        outs: definition.outs ?? [], metrics: definition.metrics,
                        timeout: try timeout(definition.timeout, node: node?["timeout"]),
                        environment: definition.env ?? [:])),
                definition: definition, position: position)
        case (.none, .some(let trainer)):
            return Stage(
                name: definition.name, kind: .builtin(try builtin(trainer, definition, node: node)),
                definition: definition, position: position)
        }
    }

    private func builtin(_ trainer: String, _ definition: StageDefinition, node: Node?) throws -> BuiltinStage {
        guard catalog.metricsByTrainer[trainer] != nil else {
            let suggestion = closestMatch(to: trainer, in: catalog.trainers)
            let available = catalog.trainers.isEmpty ? "none in this build" : catalog.trainers.joined(separator: ", ")
            throw error(
                "unknown built-in trainer '\(trainer)'", at: node?["builtin"],
                hint: (suggestion.map { "did you mean '\($0)'? " } ?? "") + "available: \(available)")
        }
        try rejectKeys(
            [.cmd, .deps, .params, .outs, .metrics, .env], of: definition, node: node,
            because: "it belongs to command stages; this stage runs the built-in '\(trainer)'")
        guard let data = definition.data else {
            throw error(
                "built-in stage '\(definition.name)' has no 'data'", at: node,
                hint: "name the training CSV, e.g. 'data: data/train.csv'")
        }
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
            model: definition.model ?? "\(definition.name).model.json", options: definition.options)
    }

    private func rejectKeys(
        _ keys: [StageDefinition.CodingKeys], of definition: StageDefinition, node: Node?, because reason: String
    ) throws {
        for key in keys where node?[key.rawValue] != nil {
            throw error(
                "'\(key.rawValue)' does not apply to stage '\(definition.name)'",
                at: node?.mapping?.first(where: { $0.key.string == key.rawValue })?.key,
                hint: "remove it: \(reason)")
        }
    }

    private func timeout(_ value: ConfigScalar?, node: Node?) throws -> Duration {
        guard let value else { return .seconds(3600) }
        if let duration = Duration(configText: value.description), duration > .zero {
            return duration
        }
        throw error(
            "timeout '\(value)' is not a duration", at: node,
            hint: "write a number with a unit: '90s', '10m', '2h' (a bare number means seconds)")
    }

    private func gate(_ gate: RawGate, node: Node?) throws -> Gate {
        let bounds: [(Gate.Kind, Double?)] = [
            (.min, gate.min), (.max, gate.max), (.maxDrop, gate.max_drop), (.maxRise, gate.max_rise),
        ]
        let set = bounds.compactMap { kind, value in value.map { (kind, $0) } }
        guard set.count == 1, let (kind, limit) = set.first else {
            throw error(
                set.isEmpty
                    ? "gate on '\(gate.metric)' has no limit"
                    : "gate on '\(gate.metric)' has \(set.count) limits; a gate has exactly one",
                at: node,
                hint: "use one of min, max, max_drop, max_rise per gate, e.g. '- {metric: \(gate.metric), min: 0.9}'")
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
        return Gate(
            metric: gate.metric, kind: kind, limit: limit, relative: gate.relative ?? false,
            position: node?.position)
    }

    private func checkGateMetrics(_ gates: [Gate], stages: [Stage]) throws {
        // A command stage with a metrics file may report any name; only without one can we tell
        // before running that a gate names a metric nothing produces.
        let open = stages.contains { stage in
            if case .command(let command) = stage.kind { return command.metrics != nil }
            return false
        }
        guard !open else { return }
        let known = stages.flatMap { stage -> [String] in
            if case .builtin(let builtin) = stage.kind { return catalog.metricsByTrainer[builtin.trainer] ?? [] }
            return []
        }
        for gate in gates where !known.contains(gate.metric) {
            let suggestion = closestMatch(to: gate.metric, in: known)
            throw ConfigError(
                "gate on '\(gate.metric)', but no stage produces that metric", file: file, at: gate.position,
                hint: (suggestion.map { "did you mean '\($0)'? " } ?? "")
                    + (known.isEmpty
                        ? "add 'metrics: metrics.json' to a command stage"
                        : "the stages produce: \(known.joined(separator: ", "))"))
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

    private func hooks(_ raw: RawHooks?) throws -> HookPolicy {
        let preCommit = try choice(raw?.preCommit, default: HookPolicy.PreCommit.train, key: "pre-commit")
        let prePush = try choice(raw?.prePush, default: HookPolicy.PrePush.require, key: "pre-push")
        return HookPolicy(preCommit: preCommit, prePush: prePush)
    }

    private func choice<T: RawRepresentable & CaseIterable>(_ text: String?, default value: T, key: String) throws -> T
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
    /// Parses "90", "90s", "10m", "2h", "1h30m".
    init?(configText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
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
        guard number.isEmpty, total > 0 else { return nil }
        self = .milliseconds(Int64(total * 1000))
    }
}
