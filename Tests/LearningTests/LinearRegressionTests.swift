import Foundation
import Testing

@testable import Learning

@Suite struct LinearRegressionTests {
    private func request(test: TestSource? = nil, data: String = "regression.csv", target: String = "y")
        -> TrainingRequest
    {
        TrainingRequest(
            data: Fixtures.url(data),
            test: test ?? .file(Fixtures.url("regression_test.csv"), name: "regression_test.csv"),
            target: target, dataName: data)
    }

    @Test(arguments: [
        ("ols", [String: TrainerOption]()),
        ("ols_no_intercept", ["fit_intercept": .bool(false)]),
        ("ridge", ["alpha": .number(2.5)]),
        ("ridge_standardized", ["alpha": .number(2.5), "standardize": .bool(true)]),
        ("ols_standardized", ["standardize": .bool(true)]),
    ])
    func matchesScikitLearn(name: String, options: [String: TrainerOption]) throws {
        let expected = try Fixtures.reference().object("regression").object(name)
        let trainer = try Trainers.make(kind: "linear-regression", options: options)
        let outcome = try trainer.train(request(), progress: nil)
        let model = outcome.model
        #expect(model.features == ["x1", "x2", "x3", "x4", "x5"])
        // Relative to each value itself (no floor): the acceptance bound is 1e-8.
        #expect(
            relativeError(model.coefficients[0], try expected.numbers("coefficients"), floor: 1e-300) <= 1e-8)
        #expect(relativeError(model.intercept, [try expected.number("intercept")], floor: 1e-300) <= 1e-8)
        if let means = expected["means"] as? [Double], let scales = expected["scales"] as? [Double] {
            #expect(relativeError(try #require(model.preprocessing).means, means) <= 1e-12)
            #expect(relativeError(try #require(model.preprocessing).scales, scales) <= 1e-12)
        }
        expectMetrics(outcome.metrics, try expected.metrics())
        #expect(outcome.trainingRows == 300)
        #expect(outcome.testRows == 100)
        #expect(outcome.warnings.isEmpty)
    }

    @Test func namesConstantAndCollinearColumnsAndMatchesMinimumNorm() throws {
        let expected = try Fixtures.reference().object("collinear")
        let trainer = try LinearRegressionTrainer()
        let outcome = try trainer.train(
            request(test: .file(Fixtures.url("collinear.csv"), name: "collinear.csv"), data: "collinear.csv"),
            progress: nil)
        #expect(relativeError(outcome.model.coefficients[0], try expected.numbers("coefficients")) <= 1e-6)
        #expect(outcome.warnings.count == 2)
        #expect(outcome.warnings.contains { $0.contains("'c' is collinear with 1·'a' + 2·'b'") })
        #expect(outcome.warnings.contains { $0.contains("'k' is constant") })
        let predictions = try expected.numbers("predictions")
        let truth = try readColumn("collinear.csv", "y")
        let sklearnMetrics = Metrics.regression(truth: truth, predictions: predictions)
        expectMetrics(outcome.metrics, sklearnMetrics, tolerance: 1e-9)
    }

    @Test func splitIsDeterministicAndDisjoint() throws {
        let trainer = try LinearRegressionTrainer()
        let first = try trainer.train(request(test: .split(fraction: 0.25, seed: 7)), progress: nil)
        let second = try trainer.train(request(test: .split(fraction: 0.25, seed: 7)), progress: nil)
        let other = try trainer.train(request(test: .split(fraction: 0.25, seed: 8)), progress: nil)
        #expect(first.model == second.model)
        #expect(first.trainingRows + first.testRows == 300)
        #expect(first.testRows > 50 && first.testRows < 100)
        #expect(first.model.coefficients != other.model.coefficients)
    }

    @Test func secondPassScoresLikeHeldOutRows() throws {
        var trainer = try LinearRegressionTrainer()
        let inMemory = try trainer.train(request(test: .split(fraction: 0.3, seed: 3)), progress: nil)
        trainer.heldOutBudgetBytes = 8 * 6 * 10
        let streamed = try trainer.train(request(test: .split(fraction: 0.3, seed: 3)), progress: nil)
        #expect(streamed.testRows == inMemory.testRows)
        expectMetrics(streamed.metrics, inMemory.metrics, tolerance: 1e-12)
    }

    @Test(arguments: [2, 3, 7])
    func parallelRangesGiveTheSequentialResult(threads: Int) throws {
        var trainer = try LinearRegressionTrainer()
        trainer.threads = 1
        let sequential = try trainer.train(request(test: .split(fraction: 0.25, seed: 5)), progress: nil)
        trainer.threads = threads
        trainer.chunkBytes = 512
        let parallel = try trainer.train(request(test: .split(fraction: 0.25, seed: 5)), progress: nil)
        #expect(parallel.trainingRows == sequential.trainingRows)
        #expect(parallel.testRows == sequential.testRows)
        #expect(relativeError(parallel.model.coefficients[0], sequential.model.coefficients[0]) <= 1e-10)
        expectMetrics(parallel.metrics, sequential.metrics, tolerance: 1e-10)
    }

    @Test func quotedNewlinesAcrossRangeBoundariesFallBackCorrectly() throws {
        let scratch = try Scratch()
        var text = "note,x,y\n"
        for i in 0..<400 {
            let note = i == 200 ? "\"" + String(repeating: "line\n", count: 300) + "\"" : "n\(i)"
            text += "\(note),\(i),\(2 * i + 1)\n"
        }
        let url = try scratch.file("q.csv", text)
        var trainer = try LinearRegressionTrainer()
        trainer.chunkBytes = 512
        trainer.threads = 2
        let request = TrainingRequest(
            data: url, test: .file(url, name: "q.csv"), target: "y", features: ["x"], dataName: "q.csv")
        let outcome = try trainer.train(request, progress: nil)
        #expect(outcome.trainingRows == 400)
        #expect(abs(outcome.model.coefficients[0][0] - 2) < 1e-12)
    }

    @Test func errorsInLaterRangesKeepExactLines() throws {
        let scratch = try Scratch()
        var text = "x,y\n"
        for i in 0..<1000 { text += i == 900 ? "\(i),oops\n" : "\(i),\(i)\n" }
        let url = try scratch.file("e.csv", text)
        var trainer = try LinearRegressionTrainer()
        trainer.chunkBytes = 512
        trainer.threads = 4
        #expect {
            _ = try trainer.train(
                TrainingRequest(
                    data: url, test: .split(fraction: 0.2, seed: 1), target: "y", dataName: "e.csv"),
                progress: nil)
        } throws: { ($0 as? DataError)?.location == "e.csv:902:5" }
    }

    @Test func emptyTestSplitIsAnError() throws {
        let trainer = try LinearRegressionTrainer()
        #expect {
            _ = try trainer.train(request(test: .split(fraction: 0, seed: 1)), progress: nil)
        } throws: {
            ($0 as? DataError)?.kind == .emptyTestSplit && ($0 as? DataError)?.location == "regression.csv"
        }
    }

    @Test func unknownOptionsAndKindsNameWhatExists() throws {
        #expect {
            _ = try Trainers.make(kind: "linear-regression", options: ["lambda": .number(1)])
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .unknownOption
                && error?.hint == "linear-regression accepts: alpha, fit_intercept, standardize"
        }
        #expect {
            _ = try Trainers.make(kind: "svm", options: [:])
        } throws: { ($0 as? DataError)?.hint == "use one of: linear-regression, logistic-regression, kmeans" }
        #expect {
            _ = try Trainers.make(kind: "linear-regression", options: ["alpha": .string("big")])
        } throws: { ($0 as? DataError)?.kind == .badOption }
    }

    @Test func modelFileRoundTripsAndRescores() throws {
        let scratch = try Scratch()
        let outcome = try LinearRegressionTrainer(options: [
            "alpha": .number(2.5), "standardize": .bool(true),
        ])
        .train(request(), progress: nil)
        let url = scratch.directory.appendingPathComponent("model.json")
        try outcome.model.write(to: url)
        let read = try ModelFile.read(from: url)
        #expect(read == outcome.model)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"format_version\" : 1"))
        let rescored = try read.score(csv: Fixtures.url("regression_test.csv"), name: "regression_test.csv")
        expectMetrics(rescored, outcome.metrics, tolerance: 1e-12)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.directory.path) == ["model.json"])
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(outcome)) as? [String: Any]
        #expect(encoded?["test_rows"] as? Int == 100)
        #expect((encoded?["model"] as? [String: Any])?["kind"] as? String == "linear-regression")
    }

    @Test func scoringAgainstMismatchedColumnsNamesTheColumn() throws {
        let scratch = try Scratch()
        let model = try LinearRegressionTrainer().train(request(), progress: nil).model
        let csv = try scratch.file("other.csv", "x1,x2,x3,x4,y\n1,2,3,4,5\n")
        #expect {
            _ = try model.score(csv: csv, name: "other.csv")
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .missingColumn
                && error?.summary == "feature column 'x5' is not in 'other.csv'"
                && error?.location == "other.csv:1:1"
        }
    }

    @Test func momentsMergeLikeOnePass() {
        var rows: [Double] = []
        for i in 0..<200 { rows += [1e9 + Double(i % 17), Double(i) * 0.5, sin(Double(i))] }
        var whole = Moments(width: 3)
        rows.withUnsafeBufferPointer { whole.add($0.baseAddress!, rows: 200) }
        var left = Moments(width: 3)
        var right = Moments(width: 3)
        rows.withUnsafeBufferPointer {
            left.add($0.baseAddress!, rows: 70)
            right.add($0.baseAddress! + 70 * 3, rows: 130)
        }
        left.merge(right)
        // Two-pass reference on the offset-free values: the 1e9 offset must not cost more than
        // the rounding of the running mean (an ulp of 1e9 is 1.2e-7).
        let column = (0..<200).map { Double($0 % 17) }
        let mean = column.reduce(0, +) / 200
        let sumOfSquares = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        #expect(abs(whole.comoments[0] - sumOfSquares) / sumOfSquares <= 1e-6)
        #expect(abs(left.comoments[0] - sumOfSquares) / sumOfSquares <= 1e-6)
        #expect(abs(left.means[0] - 1e9 - mean) <= 1e-6)
        #expect(relativeError(left.comoments, whole.comoments, floor: 1) <= 1e-6)
    }
}

/// Column `name` of fixture `file` as numbers.
func readColumn(_ file: String, _ name: String) throws -> [Double] {
    let csv = try CSVReader(url: Fixtures.url(file), name: file)
    let index = try #require(csv.header.firstIndex(of: name))
    var values: [Double] = []
    while try csv.next() {
        guard case .number(let value) = csv.cell(index) else { throw DataError(.notNumeric, "not a number") }
        values.append(value)
    }
    return values
}
