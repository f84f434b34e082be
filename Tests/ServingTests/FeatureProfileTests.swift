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

    /// A file over 16 MiB is sampled by segments: a bounded number of rows (not every row, which
    /// training already read), from the whole file (the deciles of a column that grows along the
    /// file are those of the whole range, not of its head), the same on every read.
    @Test func aLargeFileIsSampledBySegmentsAcrossTheWholeFile() throws {
        let directory = try TemporaryDirectory()
        let data = directory.appending("big.csv")
        let rowCount = 700_000
        var text = "a,b,y\n"
        text.reserveCapacity(rowCount * 32)
        for index in 0..<rowCount {
            text += "\(index),\(index % 7).123456789,\(2 * index).5\n"
        }
        try text.write(to: data, atomically: true, encoding: .utf8)
        #expect(text.utf8.count > 16 << 20)
        let request = TrainingRequest(
            data: data, test: .file(data, name: "big.csv"), target: "y", dataName: "big.csv")
        let outcome = try Trainers.make(kind: "linear-regression", options: [:]).train(request, progress: nil)
        let profile = try FeatureProfile.read(for: outcome.model, request: request)
        // 64 segments of 100,000 / 64 rows each (a reservoir over every row would keep 100,000).
        #expect(profile.rows == 64 * (100_000 / 64))
        let edges = profile.features[0].edges
        #expect(edges.count == 9)
        for (decile, edge) in edges.enumerated() {
            let expected = Double(rowCount) * Double(decile + 1) / 10
            #expect(abs(edge - expected) < Double(rowCount) / 40, "decile \(decile + 1): \(edge)")
        }
        #expect(try FeatureProfile.read(for: outcome.model, request: request) == profile)
    }
}
