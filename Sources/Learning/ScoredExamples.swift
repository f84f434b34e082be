/// A model's result on each test row, in file order (see `ModelFile.scoredExamples`).
public struct ScoredExamples: Codable, Sendable, Equatable {
    /// What the model predicts.
    public enum Kind: Codable, Sendable, Equatable {
        /// Numbers.
        case regression
        /// Class ids 0..<classes (indices into `classNames`).
        case classification(classes: Int)
        /// Cluster membership; `losses` holds squared distances to the nearest centre.
        case clustering
    }

    /// The kind of model.
    public var kind: Kind
    /// True values (class ids for classification); empty for clustering.
    public var truth: [Double] = []
    /// Predicted values (class ids); empty for clustering.
    public var predicted: [Double] = []
    /// Class probabilities, rows × classes, row-major; empty unless classification.
    public var probabilities: [Double] = []
    /// The model's class names in id order; empty unless classification.
    public var classNames: [String] = []
    /// Squared distance of each row to its centre; empty unless clustering.
    public var losses: [Double] = []

    /// The number of rows.
    public var count: Int { kind == .clustering ? losses.count : truth.count }
}
