import Foundation
import Testing

@testable import Learning

@Suite struct LogisticRegressionTests {
    private func request(_ data: String, test: String, target: String) -> TrainingRequest {
        TrainingRequest(
            data: Fixtures.url(data), test: .file(Fixtures.url(test), name: test), target: target,
            dataName: data)
    }

    @Test(arguments: [
        ("default", [String: TrainerOption]()),
        ("strong_penalty", ["C": .number(0.05)]),
        ("standardized", ["standardize": .bool(true)]),
    ])
    func binaryMatchesScikitLearn(name: String, options: [String: TrainerOption]) throws {
        let expected = try Fixtures.reference().object("binary").object(name)
        let outcome = try Trainers.make(kind: "logistic-regression", options: options)
            .train(request("binary.csv", test: "binary_test.csv", target: "label"), progress: nil)
        let model = outcome.model
        #expect(model.classes == ["0", "1"])
        let coefficients = try expected.matrix("coefficients")
        #expect(zip(model.coefficients[0], coefficients[0]).allSatisfy { abs($0 - $1) <= 1e-4 })
        #expect(abs(model.intercept[0] - (try expected.numbers("intercept"))[0]) <= 1e-4)
        #expect(try #require(outcome.convergence).converged)
        let predictions = try predictedClasses(model, "binary_test.csv")
        #expect(predictions == (try expected.strings("predictions")))
        // Metrics of slightly different probabilities (coefficients agree to ~1e-8); the metric
        // functions themselves are checked to 1e-9 on identical predictions in MetricsTests.
        expectMetrics(outcome.metrics, try expected.metrics(), tolerance: 1e-8)
        let matrix = try #require(outcome.confusionMatrix)
        #expect(matrix.counts.flatMap { $0 }.reduce(0, +) == 150)
    }

    @Test func multinomialMatchesScikitLearn() throws {
        let expected = try Fixtures.reference().object("multiclass")
        let outcome = try LogisticRegressionTrainer()
            .train(request("multiclass.csv", test: "multiclass_test.csv", target: "species"), progress: nil)
        let model = outcome.model
        #expect(model.classes == (try expected.strings("classes")))
        let coefficients = try expected.matrix("coefficients")
        for (mine, theirs) in zip(model.coefficients, coefficients) {
            #expect(zip(mine, theirs).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(mine) vs \(theirs)")
        }
        #expect(zip(model.intercept, try expected.numbers("intercept")).allSatisfy { abs($0 - $1) <= 1e-4 })
        #expect(try predictedClasses(model, "multiclass_test.csv") == (try expected.strings("predictions")))
        expectMetrics(outcome.metrics, try expected.metrics(), tolerance: 1e-6)
    }

    @Test(arguments: [2, 5])
    func parallelRangesGiveTheSequentialModel(threads: Int) throws {
        let request = TrainingRequest(
            data: Fixtures.url("multiclass.csv"), test: .split(fraction: 0.3, seed: 9), target: "species",
            dataName: "multiclass.csv")
        var trainer = try LogisticRegressionTrainer()
        trainer.threads = 1
        let sequential = try trainer.train(request, progress: nil)
        trainer.threads = threads
        trainer.chunkBytes = 512
        let parallel = try trainer.train(request, progress: nil)
        #expect(parallel.model.classes == sequential.model.classes)
        #expect(parallel.testRows == sequential.testRows)
        for (a, b) in zip(parallel.model.coefficients, sequential.model.coefficients) {
            #expect(relativeError(a, b) <= 1e-9)
        }
        expectMetrics(parallel.metrics, sequential.metrics, tolerance: 1e-9)
        #expect(parallel.confusionMatrix == sequential.confusionMatrix)
    }

    @Test func singleClassIsAnError() throws {
        let scratch = try Scratch()
        let data = try scratch.file("one.csv", "x,y\n1,yes\n2,yes\n3,yes\n")
        #expect {
            _ = try LogisticRegressionTrainer().train(
                TrainingRequest(
                    data: data, test: .file(data, name: "one.csv"), target: "y", dataName: "one.csv"),
                progress: nil)
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .singleClass && error?.summary.contains("single class ('yes')") == true
                && error?.exitStatus == .badInput
        }
    }

    @Test func unseenTestClassIsAnError() throws {
        let scratch = try Scratch()
        let data = try scratch.file("train.csv", "x,y\n1,a\n2,b\n3,a\n")
        let test = try scratch.file("test.csv", "x,y\n1,a\n2,c\n")
        #expect {
            _ = try LogisticRegressionTrainer().train(
                TrainingRequest(
                    data: data, test: .file(test, name: "test.csv"), target: "y", dataName: "train.csv"),
                progress: nil)
        } throws: { ($0 as? DataError)?.location == "test.csv:3:3" }
    }

    /// A target with more than 1,000 classes (an id, a number) is refused at the first row of
    /// class 1,001, before the per-class work that grows as its square.
    @Test func moreThanAThousandClassesIsAnError() throws {
        let scratch = try Scratch()
        let rows = (0...LabelTable.maxClasses).map { "1,c\($0)\n" }.joined()
        let data = try scratch.file("ids.csv", "x,y\n" + rows)
        #expect {
            _ = try LogisticRegressionTrainer().train(
                TrainingRequest(
                    data: data, test: .file(data, name: "ids.csv"), target: "y", dataName: "ids.csv"),
                progress: nil)
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .tooManyClasses && error?.location == "ids.csv:1002:3"
                && error?.summary == "the target column 'y' has more than 1000 classes; at most 1000 are read"
                && error?.exitStatus == .badInput
        }
        // A thousand classes are read, each row's label found by hashing past the first few.
        var table = LabelTable()
        for round in 0..<2 {
            for index in 0..<LabelTable.maxClasses {
                let id = Array("c\(index)".utf8).withUnsafeBufferPointer { table.id(of: $0) }
                #expect(id == index, "round \(round)")
            }
        }
        #expect(table.labels.count == LabelTable.maxClasses)
    }

    /// Newton's method keeps a dense Hessian of parameters²: a fit over 10,000 parameters is
    /// refused before it is allocated.
    @Test func tooManyParametersIsAnError() throws {
        let scratch = try Scratch()
        let header = (0..<100).map { "f\($0)" }.joined(separator: ",") + ",y\n"
        let rows = (0...100).map { row in
            (0..<100).map { String(($0 * 7 + row) % 13) }.joined(separator: ",") + ",c\(row)\n"
        }.joined()
        let data = try scratch.file("wide.csv", header + rows)
        #expect {
            _ = try LogisticRegressionTrainer().train(
                TrainingRequest(
                    data: data, test: .file(data, name: "wide.csv"), target: "y", dataName: "wide.csv"),
                progress: nil)
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .tooManyParameters
                && error?.summary.hasPrefix(
                    "logistic regression of 'y' would fit 10201 parameters (101 classes, 100 features)")
                    == true
        }
    }
}

/// The model's predicted class for every row of a fixture, via the streaming predictor.
func predictedClasses(_ model: ModelFile, _ file: String) throws -> [String] {
    var labels: [String] = []
    try Prediction.stream(model: model, csv: CSVReader(url: Fixtures.url(file), name: file)) { row in
        labels.append(row.label ?? "")
    }
    return labels
}

@Suite struct KMeansTests {
    @Test func matchesScikitLearnFromTheSameCentres() throws {
        let expected = try Fixtures.reference().object("kmeans")
        var trainer = try KMeansTrainer(options: ["n_clusters": .number(4)])
        trainer.initialCentres = try expected.matrix("initial_centres")
        let outcome = try trainer.train(
            TrainingRequest(
                data: Fixtures.url("blobs.csv"), test: .file(Fixtures.url("blobs.csv"), name: "blobs.csv"),
                target: nil,
                dataName: "blobs.csv"),
            progress: nil)
        let inertia = try expected.number("inertia")
        #expect(abs(outcome.metrics["train_inertia"]! - inertia) / inertia <= 1e-6)
        #expect(abs(outcome.metrics["inertia"]! - inertia) / inertia <= 1e-6)
        #expect(abs(outcome.metrics["silhouette"]! - (try expected.number("silhouette"))) <= 1e-9)
        for (mine, theirs) in zip(outcome.model.coefficients, try expected.matrix("centres")) {
            #expect(relativeError(mine, theirs) <= 1e-9)
        }
    }

    @Test func plusPlusFindsTheBlobsAndIsDeterministic() throws {
        let expected = try Fixtures.reference().object("kmeans")
        let trainer = try KMeansTrainer(options: [
            "n_clusters": .number(4), "n_init": .number(3), "random_state": .number(42),
        ])
        let request = TrainingRequest(
            data: Fixtures.url("blobs.csv"), test: .split(fraction: 0.2, seed: 1), target: nil,
            dataName: "blobs.csv")
        let first = try trainer.train(request, progress: nil)
        let second = try trainer.train(request, progress: nil)
        #expect(first.model == second.model)
        // Well separated blobs: k-means++ reaches the same optimum as scikit-learn (up to order).
        let ours = first.model.coefficients.sorted { $0[0] < $1[0] }
        let theirs = try expected.matrix("centres").sorted { $0[0] < $1[0] }
        for (mine, reference) in zip(ours, theirs) { #expect(relativeError(mine, reference, floor: 1) < 0.2) }
        #expect(first.metrics["silhouette"]! > 0.7)
    }

    /// The silhouette computed on several threads adds the same per-point scores in the same
    /// order as on one: the same bits, also with a singleton cluster (whose point scores nothing).
    @Test func silhouetteIsTheSameBitsOnAnyThreadCount() {
        var generator = SplitMixGenerator(seed: 7)
        let n = 301
        let width = 3
        let points = (0..<(n * width)).map { _ in generator.nextUnit() * 10 - 5 }
        var labels = (0..<n).map { _ in Int(generator.next() % 4) }
        labels[n - 1] = 4  // a cluster of one
        let serial = Metrics.silhouette(points: points, width: width, labels: labels, clusterCount: 5)
        for threads in [2, 3, 7] {
            let parallel = Metrics.silhouette(
                points: points, width: width, labels: labels, clusterCount: 5, threads: threads)
            #expect(parallel.bitPattern == serial.bitPattern, "\(threads) threads")
        }
        #expect(serial > -1 && serial < 1)
    }

    @Test func moreClustersThanRowsIsAnError() throws {
        let scratch = try Scratch()
        let data = try scratch.file("few.csv", "a,b\n1,2\n3,4\n5,6\n")
        #expect {
            _ = try KMeansTrainer(options: ["n_clusters": .number(5)]).train(
                TrainingRequest(
                    data: data, test: .file(data, name: "few.csv"), target: nil, dataName: "few.csv"),
                progress: nil)
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .tooFewRows
                && error?.summary.contains("n_clusters is 5 but 'few.csv' has 3 training rows")
                    == true
        }
    }
}

@Suite struct MetricsTests {
    private func ints(_ object: [String: Any], _ key: String) throws -> [Int] {
        try #require(object[key] as? [Int])
    }

    @Test(arguments: ["metrics_binary", "metrics_multiclass"])
    func classificationMetricsMatchScikitLearn(name: String) throws {
        let fixture = try Fixtures.reference().object(name)
        let truth = try ints(fixture, "truth")
        let probabilities = try fixture.matrix("probabilities")
        let metrics = Metrics.classification(
            truth: truth, predictions: try ints(fixture, "predictions"),
            probabilities: probabilities.flatMap { $0 },
            classCount: probabilities[0].count)
        let expected = try fixture.metrics()
        #expect(Set(metrics.keys) == Set(expected.keys))
        expectMetrics(metrics, expected, tolerance: 1e-9)
    }

    @Test func regressionMetricsMatchScikitLearn() throws {
        let fixture = try Fixtures.reference().object("metrics_regression")
        let metrics = Metrics.regression(
            truth: try fixture.numbers("truth"), predictions: try fixture.numbers("predictions"))
        expectMetrics(metrics, try fixture.metrics(), tolerance: 1e-9)
    }

    @Test func rocAUCCountsTiesAsHalf() {
        #expect(Metrics.rocAUC(positive: [false, true], scores: [0.5, 0.5]) == 0.5)
        #expect(Metrics.rocAUC(positive: [false, true, true], scores: [0.1, 0.2, 0.1]) == 0.75)
        #expect(Metrics.rocAUC(positive: [true, true], scores: [0.1, 0.2]).isNaN)
    }
}
