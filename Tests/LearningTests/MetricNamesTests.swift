import Foundation
import Testing

@testable import Learning

/// Each trainer's declared metric names (what gates may name) are exactly what its runs record.
@Suite struct MetricNamesTests {
    @Test(arguments: [
        ("linear-regression", "regression.csv", "regression_test.csv", "y" as String?),
        ("logistic-regression", "binary.csv", "binary_test.csv", "label"),
        ("logistic-regression", "multiclass.csv", "multiclass_test.csv", "species"),
        ("kmeans", "blobs.csv", "blobs.csv", nil),
    ])
    func recordedMetricsAreTheDeclaredOnes(kind: String, data: String, test: String, target: String?) throws {
        let request = TrainingRequest(
            data: Fixtures.url(data), test: .file(Fixtures.url(test), name: test), target: target,
            dataName: data)
        let options: [String: TrainerOption] = kind == "kmeans" ? ["n_clusters": .number(3)] : [:]
        let outcome = try Trainers.make(kind: kind, options: options).train(request, progress: nil)
        #expect(Set(outcome.metrics.keys) == Set(try #require(Trainers.metricNames[kind])))
    }
}
