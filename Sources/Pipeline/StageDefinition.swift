import Learning

/// A stage exactly as written in `modelgate.yml`; its canonical JSON enters the stage's fingerprint.
public struct StageDefinition: Codable, Sendable, Equatable {
    /// The stage's unique name.
    public var name: String
    /// Built-in trainer kind, for built-in stages.
    public var builtin: String?
    /// Shell command, for command stages.
    public var cmd: String?
    /// Dependency globs (command stages).
    public var deps: [String]?
    /// Parameters file (command stages).
    public var params: String?
    /// Output files (command stages).
    public var outs: [String]?
    /// Metrics JSON file (command stages).
    public var metrics: String?
    /// Timeout such as "10m", "90s", "1h", or a number of seconds.
    public var timeout: TrainerOption?
    /// Extra environment variables (command stages).
    public var env: [String: String]?
    /// Training CSV (built-in stages).
    public var data: String?
    /// Target column (built-in stages).
    public var target: String?
    /// Feature columns (built-in stages).
    public var features: [String]?
    /// Test CSV (built-in stages).
    public var test: String?
    /// Held-out fraction when there is no test file (built-in stages).
    public var split: Double?
    /// Seed of the split (built-in stages).
    public var seed: Int?
    /// Model file path (built-in stages).
    public var model: String?
    // Trainer options, under scikit-learn's parameter names.
    /// Ridge penalty.
    public var alpha: TrainerOption?
    /// Inverse regularisation strength (logistic regression).
    public var c: TrainerOption?
    /// Iteration limit.
    public var maxIter: TrainerOption?
    /// Convergence tolerance.
    public var tol: TrainerOption?
    /// Number of clusters (k-means).
    public var nClusters: TrainerOption?
    /// Number of k-means restarts.
    public var nInit: TrainerOption?
    /// Random seed for the trainer.
    public var randomState: TrainerOption?
    /// Whether to fit an intercept.
    public var fitIntercept: TrainerOption?
    /// Standardise features before fitting.
    public var standardize: TrainerOption?
    /// Missing values in a built-in stage's data: "error" (default) or "drop-row".
    public var missing: String?
    /// Columns the data must have (validate stages).
    public var columns: [String]?
    /// Declared kinds of column values, "number" or "text" (validate stages).
    public var types: [String: String]?
    /// Allowed [low, high] ranges per numeric column (validate stages).
    public var ranges: [String: [Double]]?
    /// The fewest rows acceptable (validate stages).
    public var minRows: Int?
    /// Measure drift against the same file in the baseline commit (validate stages).
    public var drift: Bool?
    /// The built-in stage whose model to optimise (optimize stages).
    public var from: String?
    /// float16 or int8 (optimize stages).
    public var dtype: String?
    /// The largest metric change quantisation may cause (optimize stages).
    public var maxChange: Double?
    /// A command stage's per-example results file (`id,y_true,y_pred[,score]`), for gates with a
    /// confidence level.
    public var predictions: String?
    /// The Markdown report the command writes (CML-style, images next to it), shown on the site.
    public var report: String?
    /// "ci": the stage never runs in a hook; its verdict comes from CI (any stage kind).
    public var runsOn: String?

    /// The definition as it enters the fingerprint: where a stage runs does not change its result,
    /// so `runs_on` is left out and adding it keeps every recorded verdict.
    var fingerprinted: StageDefinition {
        var copy = self
        copy.runsOn = nil
        return copy
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, builtin, cmd, deps, params, outs, metrics, timeout, env
        case data, target, features, test, split, seed, model
        case alpha
        case c = "C"
        case maxIter = "max_iter"
        case tol
        case nClusters = "n_clusters"
        case nInit = "n_init"
        case randomState = "random_state"
        case fitIntercept = "fit_intercept"
        case standardize
        case missing, columns, types, ranges
        case minRows = "min_rows"
        case drift, from, dtype
        case maxChange = "max_change"
        case predictions, report
        case runsOn = "runs_on"
    }

    /// The keys each kind of stage accepts (besides `name`).
    static func allowedKeys(for kind: StageKindName) -> Set<CodingKeys> {
        switch kind {
        case .command: return [.cmd, .deps, .params, .outs, .metrics, .timeout, .env, .predictions, .report]
        case .trainer:
            return Set(
                [.builtin, .data, .target, .features, .test, .split, .seed, .model, .missing] + optionKeys)
        case .validate: return [.builtin, .data, .columns, .types, .ranges, .minRows, .drift, .missing]
        case .optimize: return [.builtin, .from, .dtype, .maxChange, .test, .model]
        }
    }

    /// The keys that are trainer options.
    static let optionKeys: [CodingKeys] = [
        .alpha, .c, .maxIter, .tol, .nClusters, .nInit, .randomState, .fitIntercept, .standardize,
    ]

    /// Trainer options that are set, by name.
    var options: [String: TrainerOption] {
        let values: [(CodingKeys, TrainerOption?)] = [
            (.alpha, alpha), (.c, c), (.maxIter, maxIter), (.tol, tol), (.nClusters, nClusters),
            (.nInit, nInit), (.randomState, randomState), (.fitIntercept, fitIntercept),
            (.standardize, standardize),
        ]
        var options: [String: TrainerOption] = [:]
        for (key, value) in values {
            if let value { options[key.rawValue] = value }
        }
        return options
    }
}

/// The kinds of stage, for checking which keys apply.
enum StageKindName: String {
    case command, trainer, validate, optimize
}

/// The file as decoded, before validation.
struct RawConfig: Codable {
    var version: Int?
    var name: String?
    var stages: [StageDefinition]?
    var gates: [RawGate]?
    var baseline: String?
    var hooks: RawHooks?
    var significance: RawSignificance?
    var trust: RawTrust?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, name, stages, gates, baseline, hooks, significance, trust
    }
}

/// `significance:` as written.
struct RawSignificance: Codable {
    var resamples: Int?
    var onInconclusive: String?
    var correction: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case resamples
        case onInconclusive = "on_inconclusive"
        case correction
    }
}

/// One entry of `gates:` as written.
struct RawGate: Codable {
    var metric: String
    var min: Double?
    var max: Double?
    var maxDrop: Double?
    var maxRise: Double?
    var relative: Bool?
    var confidence: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case metric, min, max
        case maxDrop = "max_drop"
        case maxRise = "max_rise"
        case relative, confidence
    }
}

/// `trust:` as written.
struct RawTrust: Codable {
    var signers: String?
    var require: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case signers, require
    }
}

/// `hooks:` as written.
struct RawHooks: Codable {
    var preCommit: String?
    var prePush: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case preCommit = "pre-commit"
        case prePush = "pre-push"
    }
}
