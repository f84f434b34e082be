import Foundation

/// One model's results on each test example, in a fixed example order: what the significance
/// methods resample or rank. Two `ExampleResults` are paired when they describe the same examples
/// in the same order.
public struct ExampleResults: Sendable, Equatable {
    /// What kind of model produced the results.
    public enum Task: Sendable, Equatable {
        /// `truth` and `predicted` are numbers.
        case regression
        /// `truth` and `predicted` are class ids 0..<classes; `probabilities` is n × classes
        /// (row-major) or empty when the model gives no scores.
        case classification(classes: Int)
        /// `losses` holds each example's squared distance to its centroid.
        case clustering
    }

    /// The task.
    public let task: Task
    /// The true value or class id of each example (empty for clustering).
    public let truth: [Double]
    /// The predicted value or class id of each example (empty for clustering).
    public let predicted: [Double]
    /// Class probabilities, n × classes, or empty.
    public let probabilities: [Double]
    /// Per-example losses for clustering (squared distance to the nearest centroid).
    public let losses: [Double]

    /// Results of a regression or classification model.
    public init(task: Task, truth: [Double], predicted: [Double], probabilities: [Double] = []) {
        self.task = task
        self.truth = truth
        self.predicted = predicted
        self.probabilities = probabilities
        self.losses = []
    }

    /// Results of a clustering model: each example's squared distance to its centroid.
    public init(clusteringLosses: [Double]) {
        task = .clustering
        truth = []
        predicted = []
        probabilities = []
        losses = clusteringLosses
    }

    /// The number of examples.
    public var count: Int { task == .clustering ? losses.count : truth.count }

    /// The number of classes, 0 unless classification.
    var classes: Int {
        if case .classification(let classes) = task { return classes }
        return 0
    }
}
