import Foundation
import Learning

/// A validated `modelgate.yml`: the model's name, its ordered stages, gates, baseline and hook policy.
public struct PipelineConfig: Codable, Sendable, Equatable {
    /// The config file's path relative to the repository root (for messages).
    public static let fileName = "modelgate.yml"

    /// Schema version; only 1 exists.
    public let version: Int
    /// The model's name, used in tags and the site's title.
    public let name: String
    /// Stages in the order they run; names are unique.
    public let stages: [Stage]
    /// Quality gates, checked after all stages ran.
    public let gates: [Gate]
    /// Which earlier run the change bounds compare against.
    public let baseline: BaselinePolicy
    /// What each hook does.
    public let hooks: HookPolicy
    /// How gates with a `confidence` are judged (`significance:`).
    public var significance = SignificancePolicy.default
    /// Where only trusted, signed verdicts count (`trust:`); nil when the key is absent.
    public var trust: TrustPolicy? = nil
}

/// `significance:`: how gates with a `confidence` level are judged.
public struct SignificancePolicy: Codable, Sendable, Equatable {
    /// What an inconclusive gate does to the verdict.
    public enum OnInconclusive: String, Codable, Sendable, CaseIterable {
        /// The gate passes (the run prints a warning).
        case pass
        /// The gate fails.
        case fail
    }

    /// Bootstrap resamples per gate (100…1,000,000).
    public let resamples: Int
    /// pass (the default) or fail.
    public let onInconclusive: OnInconclusive
    /// holm (the default), bh or none, across the run's gates with a confidence.
    public let correction: String

    /// The accepted range of `resamples`.
    public static let resampleRange = 100...1_000_000

    /// 10,000 resamples, inconclusive passes, Holm's correction.
    public static let `default` = SignificancePolicy(
        resamples: 10_000, onInconclusive: .pass, correction: "holm")

    /// A policy from its three settings.
    public init(resamples: Int, onInconclusive: OnInconclusive, correction: String) {
        self.resamples = resamples
        self.onInconclusive = onInconclusive
        self.correction = correction
    }
}

/// One named step of the pipeline: a built-in trainer or a shell command.
public struct Stage: Codable, Sendable, Equatable {
    /// Unique name, e.g. "train".
    public let name: String
    /// What the stage runs.
    public let kind: Kind
    /// The stage exactly as configured; its canonical JSON is part of the fingerprint.
    public let definition: StageDefinition
    /// Where the stage starts in modelgate.yml.
    public let position: SourcePosition?

    /// What a stage runs.
    public enum Kind: Codable, Sendable, Equatable {
        /// `cmd:` run by `/bin/sh -c` in the evaluated tree.
        case command(CommandStage)
        /// `builtin:` one of modelgate's own trainers.
        case builtin(BuiltinStage)
        /// `builtin: validate`: data checks whose results are metrics.
        case validate(ValidateStage)
        /// `builtin: optimize`: quantise an earlier built-in stage's model and re-evaluate it.
        case optimize(OptimizeStage)
    }

    /// The repository paths or globs whose content determines this stage's result.
    public var dependencyPatterns: [String] {
        switch kind {
        case .command(let command): return command.deps + (command.params.map { [$0] } ?? [])
        case .builtin(let builtin): return [builtin.data] + (builtin.testFile.map { [$0] } ?? [])
        case .validate(let validate): return [validate.data]
        case .optimize(let optimize): return optimize.testFile.map { [$0] } ?? []
        }
    }

    /// Every path this stage names: dependency globs, parameters, outputs, metrics, data, test
    /// file and model files, as written.
    public var configuredPaths: [String] {
        switch kind {
        case .command(let command):
            return command.deps + [command.params, command.metrics].compactMap { $0 } + command.outs
        case .builtin(let builtin): return [builtin.data, builtin.testFile, builtin.model].compactMap { $0 }
        case .validate(let validate): return [validate.data]
        case .optimize(let optimize):
            return [optimize.sourceModel, optimize.testFile, optimize.model].compactMap { $0 }
        }
    }

    /// The Markdown report this stage writes (`report:`), for command stages.
    public var reportPath: String? {
        if case .command(let command) = kind { return command.report }
        return nil
    }

    /// True for `runs_on: ci`: hooks never run it; its verdict comes from CI.
    public var runsOnCI: Bool { definition.runsOn == "ci" }

    /// The model file this stage writes, for built-in trainer and optimize stages.
    public var modelPath: String? {
        switch kind {
        case .builtin(let builtin): return builtin.model
        case .optimize(let optimize): return optimize.model
        case .command, .validate: return nil
        }
    }
}

/// A command stage's settings.
public struct CommandStage: Codable, Sendable, Equatable {
    /// The shell command, run with `/bin/sh -c` at the root of the evaluated tree.
    public let command: String
    /// Globs of the files the command reads.
    public let deps: [String]
    /// A YAML or JSON parameters file; its values take part in the fingerprint.
    public let params: String?
    /// Files the command writes that make up the model artifact.
    public let outs: [String]
    /// A JSON object of metrics the command writes; nested keys become dotted names.
    public let metrics: String?
    /// Killed (with its whole process group) after this long.
    public let timeout: Duration
    /// Extra environment variables.
    public let environment: [String: String]
    /// The per-example results file the command writes (`predictions:`), or nil.
    public var predictions: String? = nil
    /// The Markdown report the command writes (`report:`), or nil.
    public var report: String? = nil
}

extension PipelineConfig {
    /// The stage that declares the run's report, if one does.
    public var reportStage: Stage? { stages.first { $0.reportPath != nil } }
}

/// A built-in trainer stage's settings.
public struct BuiltinStage: Codable, Sendable, Equatable {
    /// The trainer, e.g. "linear-regression".
    public let trainer: String
    /// The training CSV, relative to the repository root.
    public let data: String
    /// The column to predict; nil for clustering.
    public let target: String?
    /// The feature columns; nil means every other numeric column.
    public let features: [String]?
    /// A separate test CSV, when given.
    public let testFile: String?
    /// Otherwise the fraction of rows held out for testing (seeded, deterministic).
    public let split: Double
    /// The seed of the split.
    public let seed: UInt64
    /// Where the model file is written, relative to the evaluated tree.
    public let model: String
    /// Trainer options under scikit-learn's names (alpha, C, max_iter, …).
    public let options: [String: TrainerOption]
    /// What to do with missing values.
    public let missing: MissingValuePolicy
}

/// A validate stage's settings: expectations of one CSV file.
public struct ValidateStage: Codable, Sendable, Equatable {
    /// The CSV to check.
    public let data: String
    /// What the data must satisfy.
    public let expectations: DataExpectations
    /// Whether to measure drift against the same file in the baseline commit.
    public let drift: Bool
}

/// An optimize stage's settings.
public struct OptimizeStage: Codable, Sendable, Equatable {
    /// The earlier built-in stage whose model is quantised.
    public let from: String
    /// The model file that stage writes.
    public let sourceModel: String
    /// float16 or int8.
    public let type: QuantizationType
    /// The CSV the quantised model is re-evaluated on.
    public let testFile: String?
    /// Where the quantised model is written.
    public let model: String
    /// The largest change of any metric allowed; becomes a gate on `quantization.max_metric_change`.
    public let maxChange: Double?

    /// The re-evaluated metrics are reported under this prefix (`optimized.r2`).
    public static let metricPrefix = "optimized."
    /// The largest absolute change of any re-evaluated metric.
    public static let maxChangeMetric = "quantization.max_metric_change"
    /// Model file sizes before and after quantisation.
    public static let sizeMetrics = ["size_bytes.before", "size_bytes.after"]
}

/// A quality gate on one metric.
public struct Gate: Codable, Sendable, Equatable {
    /// How the limit applies.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// value >= limit
        case min
        /// value <= limit
        case max
        /// baseline - value <= limit (or relative to the baseline)
        case maxDrop = "max_drop"
        /// value - baseline <= limit (or relative to the baseline)
        case maxRise = "max_rise"
    }

    /// The metric's flat name, e.g. "r2" or "test.accuracy".
    public let metric: String
    /// Threshold or change bound.
    public let kind: Kind
    /// The number the gate compares with.
    public let limit: Double
    /// For change bounds: the limit is a fraction of the baseline's value.
    public let relative: Bool
    /// Where the gate is written in modelgate.yml.
    public let position: SourcePosition?
    /// The two-sided confidence level in (0.5, 1) when the gate is judged on its interval; nil
    /// for a plain gate (the value alone).
    public var confidence: Double? = nil

    /// True for gates that need a baseline.
    public var needsBaseline: Bool { kind == .maxDrop || kind == .maxRise }
}

/// Which earlier run change bounds compare against.
public enum BaselinePolicy: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The nearest first-parent ancestor with a passing record (the default).
    case ancestor
    /// The latest release tag reachable from the evaluated commit.
    case release
    /// The tip of a branch, e.g. `branch:main`.
    case branch(String)

    /// The value as text.
    public var description: String {
        switch self {
        case .ancestor: return "ancestor"
        case .release: return "release"
        case .branch(let name): return "branch:\(name)"
        }
    }
}

/// What the hooks do.
public struct HookPolicy: Codable, Sendable, Equatable {
    /// pre-commit: `train` (run the pipeline), `validate` (data checks only) or `off`.
    public enum PreCommit: String, Codable, Sendable, CaseIterable { case train, validate, off }
    /// pre-push: `require` a passing verdict for every pushed tip, or `off`.
    public enum PrePush: String, Codable, Sendable, CaseIterable { case require, off }

    /// The pre-commit policy.
    public let preCommit: PreCommit
    /// The pre-push policy.
    public let prePush: PrePush

    /// Makes a policy.
    public init(preCommit: PreCommit, prePush: PrePush) {
        self.preCommit = preCommit
        self.prePush = prePush
    }

    /// train + require.
    public static let `default` = HookPolicy(preCommit: .train, prePush: .require)
}
