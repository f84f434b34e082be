import Learning

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

    /// The trainers modelgate ships, with the metric names each records (scikit-learn's), as
    /// the trainers themselves declare them.
    public static let standard = BuiltinCatalog(metricsByTrainer: Trainers.metricNames)
}
