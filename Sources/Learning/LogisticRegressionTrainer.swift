import Foundation

public struct LogisticRegressionTrainer: Trainer {
    public static let kind = "logistic-regression"
    public init(options: [String: TrainerOption] = [:]) throws {}
    public func train(_ request: TrainingRequest, progress: ProgressReporter?) throws -> TrainingOutcome {
        fatalError()
    }
}
