/// The built-in trainers a config may name, and the metric names each produces.
public struct BuiltinCatalog: Sendable {
    /// Trainer kind → the metrics its runs report.
    public let metricsByTrainer: [String: [String]]

    /// Makes a catalog.
    public init(metricsByTrainer: [String: [String]]) {
        self.metricsByTrainer = metricsByTrainer
    }

    /// Trainer kinds, sorted.
    public var trainers: [String] { metricsByTrainer.keys.sorted() }

    /// Whether `kind` needs a `target:` column.
    public func needsTarget(_ kind: String) -> Bool { kind != "kmeans" }

    /// The trainers modelgate ships, with scikit-learn's metric names.
    public static let standard = BuiltinCatalog(metricsByTrainer: [
        "linear-regression": ["r2", "mse", "rmse", "mae"],
        "logistic-regression": [
            "accuracy", "precision", "recall", "f1", "f1_weighted", "roc_auc", "log_loss",
        ],
        "kmeans": ["inertia", "silhouette"],
    ])
}
