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
    public var timeout: ConfigScalar?
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
    public var alpha: ConfigScalar?
    /// Inverse regularisation strength (logistic regression).
    public var C: ConfigScalar?
    /// Iteration limit.
    public var max_iter: ConfigScalar?
    /// Convergence tolerance.
    public var tol: ConfigScalar?
    /// Number of clusters (k-means).
    public var n_clusters: ConfigScalar?
    /// Number of k-means restarts.
    public var n_init: ConfigScalar?
    /// Random seed for the trainer.
    public var random_state: ConfigScalar?
    /// Whether to fit an intercept.
    public var fit_intercept: ConfigScalar?
    /// Standardise features before fitting.
    public var standardize: ConfigScalar?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, builtin, cmd, deps, params, outs, metrics, timeout, env
        case data, target, features, test, split, seed, model
        case alpha, C, max_iter, tol, n_clusters, n_init, random_state, fit_intercept, standardize
    }

    /// The keys that are trainer options.
    static let optionKeys: [CodingKeys] = [
        .alpha, .C, .max_iter, .tol, .n_clusters, .n_init, .random_state, .fit_intercept, .standardize,
    ]

    /// Trainer options that are set, by name.
    var options: [String: ConfigScalar] {
        let values: [(CodingKeys, ConfigScalar?)] = [
            (.alpha, alpha), (.C, C), (.max_iter, max_iter), (.tol, tol), (.n_clusters, n_clusters),
            (.n_init, n_init), (.random_state, random_state), (.fit_intercept, fit_intercept),
            (.standardize, standardize),
        ]
        var options: [String: ConfigScalar] = [:]
        for (key, value) in values {
            if let value { options[key.rawValue] = value }
        }
        return options
    }
}

/// The file as decoded, before validation.
struct RawConfig: Codable {
    var version: Int?
    var name: String?
    var stages: [StageDefinition]?
    var gates: [RawGate]?
    var baseline: String?
    var hooks: RawHooks?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, name, stages, gates, baseline, hooks
    }
}

/// One entry of `gates:` as written.
struct RawGate: Codable {
    var metric: String
    var min: Double?
    var max: Double?
    var max_drop: Double?
    var max_rise: Double?
    var relative: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case metric, min, max, max_drop, max_rise, relative
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
