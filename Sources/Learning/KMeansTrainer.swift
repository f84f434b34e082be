import Foundation

public struct KMeansTrainer: Trainer {
    public static let kind = "kmeans"
    public init(options: [String: TrainerOption] = [:]) throws {}
    public func train(_ request: TrainingRequest, progress: ProgressReporter?) throws -> TrainingOutcome {
        fatalError()
    }
}
