import Foundation
import Learning
import TestSupport
import Testing

/// The training distribution a built-in model records for drift (`feature_profile`).
@Suite struct FeatureProfileTests {
    /// 0…999 in column a: edges at the deciles, a tenth of the rows in each bin; a constant column
    /// collapses to one edge; reading twice gives the same profile.
    @Test func decilesAndProportions() throws {
        let directory = try TemporaryDirectory()
        let data = directory.appending("d.csv")
        let rows = (0..<1000).map { "\($0),7,\(2 * $0)" }
        try (["a,c,y"] + rows).joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        let request = TrainingRequest(
            data: data, test: .file(data, name: "d.csv"), target: "y", dataName: "d.csv")
        let outcome = try Trainers.make(kind: "linear-regression", options: [:]).train(request, progress: nil)
        let profile = try FeatureProfile.read(for: outcome.model, request: request)
        #expect(profile.rows == 1000)
        #expect(profile.features.map(\.name) == ["a", "c"])
        #expect(profile.features[0].edges == [99, 199, 299, 399, 499, 599, 699, 799, 899])
        #expect(profile.features[0].proportions == [Double](repeating: 0.1, count: 10))
        #expect(profile.features[1].edges == [7])
        #expect(profile.features[1].proportions == [1, 0])
        #expect(profile.features[0].bin(of: 99) == 0)
        #expect(profile.features[0].bin(of: 99.5) == 1)
        #expect(profile.features[0].bin(of: 1e9) == 9)
        #expect(try FeatureProfile.read(for: outcome.model, request: request) == profile)
    }

    /// A pipeline run stores the profile in the model file of the artifact, over the training rows
    /// only (the split's test rows are left out).
    @Test func aRunRecordsTheProfileInTheModelFile() throws {
        let fixture = try ServingFixture(.kmeans)
        let model = try ModelFile.read(
            from: try fixture.exportArtifact().appendingPathComponent("train.model.json"))
        let profile = try #require(model.featureProfile)
        #expect(profile.features.map(\.name) == ["a", "b"])
        #expect(profile.rows > 200 && profile.rows < 300)
        for feature in profile.features {
            #expect(feature.edges.count == 9)
            #expect(zip(feature.edges, feature.edges.dropFirst()).allSatisfy { $0 < $1 })
            #expect(abs(feature.proportions.reduce(0, +) - 1) < 1e-12)
        }
    }
}
