import Foundation
import Testing

@testable import Learning

@Suite struct PredictionTests {
    @Test func writesPredictionsLikeScikitLearn() throws {
        let scratch = try Scratch()
        let expected = try Fixtures.reference().object("regression").object("ols")
        let model = try LinearRegressionTrainer().train(
            TrainingRequest(
                data: Fixtures.url("regression.csv"),
                test: .file(Fixtures.url("regression_test.csv"), name: "regression_test.csv"), target: "y",
                dataName: "regression.csv"),
            progress: nil
        ).model
        let out = scratch.directory.appendingPathComponent("predictions.csv")
        let count = try Prediction.writeCSV(
            model: model, input: Fixtures.url("regression_test.csv"), inputName: "regression_test.csv",
            output: out)
        #expect(count == 100)
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "prediction")
        let values = lines.dropFirst().map { Double($0)! }
        #expect(relativeError(values, try expected.numbers("predictions")) <= 1e-9)
    }

    @Test func classifierWritesLabelsAndProbabilities() throws {
        let scratch = try Scratch()
        let expected = try Fixtures.reference().object("multiclass")
        let model = try LogisticRegressionTrainer().train(
            TrainingRequest(
                data: Fixtures.url("multiclass.csv"),
                test: .file(Fixtures.url("multiclass_test.csv"), name: "multiclass_test.csv"),
                target: "species",
                dataName: "multiclass.csv"),
            progress: nil
        ).model
        let out = scratch.directory.appendingPathComponent("p.csv")
        try Prediction.writeCSV(
            model: model, input: Fixtures.url("multiclass_test.csv"), inputName: "t.csv", output: out)
        let rows = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",")
        }
        #expect(
            rows[0] == [
                "prediction", "probability_setosa", "probability_versicolor", "probability_virginica",
            ])
        #expect(rows.dropFirst().map { String($0[0]) } == (try expected.strings("predictions")))
        let probabilities = try expected.matrix("probabilities")
        for (row, reference) in zip(rows.dropFirst(), probabilities) {
            #expect(relativeError(row.dropFirst().map { Double($0)! }, reference) <= 1e-5)
        }
    }

    @Test func missingFeatureColumnFailsWithBadInputAndLeavesNoFile() throws {
        let scratch = try Scratch()
        let model = try LinearRegressionTrainer().train(
            TrainingRequest(
                data: Fixtures.url("regression.csv"), test: .split(fraction: 0.3, seed: 1), target: "y",
                dataName: "regression.csv"),
            progress: nil
        ).model
        let input = try scratch.file("in.csv", "x1,x2,x3,x4\n1,2,3,4\n")
        let out = scratch.directory.appendingPathComponent("out.csv")
        #expect {
            try Prediction.writeCSV(model: model, input: input, inputName: "in.csv", output: out)
        } throws: { error in
            let error = error as? DataError
            return error?.exitStatus == .badInput
                && error?.summary == "feature column 'x5' is not in 'in.csv'"
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.directory.path) == ["in.csv"])
    }

    @Test(arguments: ["linear-regression", "logistic-regression"])
    func rescoringTheSplitReproducesTrainingMetrics(kind: String) throws {
        let (data, target) =
            kind == "linear-regression" ? ("regression.csv", "y") : ("multiclass.csv", "species")
        let request = TrainingRequest(
            data: Fixtures.url(data), test: .split(fraction: 0.3, seed: 4), target: target, dataName: data)
        let outcome = try Trainers.make(kind: kind, options: ["standardize": .bool(true)]).train(
            request, progress: nil)
        let rescored = try outcome.model.score(testOf: request)
        #expect(Set(rescored.keys) == Set(outcome.metrics.keys))
        expectMetrics(rescored, outcome.metrics, tolerance: 1e-12)
        var rows = 0
        try outcome.model.predict(csv: Fixtures.url(data), name: data) { _ in rows += 1 }
        #expect(rows == outcome.trainingRows + outcome.testRows)
    }

    @Test func droppedRowsKeepOutputAligned() throws {
        let scratch = try Scratch()
        let data = try scratch.file("d.csv", "a,y\n1,2\n2,4\n3,6\n4,8\n")
        let model = try LinearRegressionTrainer().train(
            TrainingRequest(data: data, test: .file(data, name: "d.csv"), target: "y", dataName: "d.csv"),
            progress: nil
        ).model
        let input = try scratch.file("in.csv", "a\n5\nNA\n6\n")
        var values: [Double?] = []
        try Prediction.stream(model: model, csv: CSVReader(url: input, name: "in.csv"), missing: .dropRow) {
            values.append($0.value)
        }
        #expect(values.count == 3)
        #expect(abs(values[0]! - 10) < 1e-9 && values[1] == nil && abs(values[2]! - 12) < 1e-9)
    }
}

@Suite struct ProgressTests {
    final class Recorder: ProgressReporter {
        var updates: [ProgressUpdate] = []
        var finished = 0
        func report(_ update: ProgressUpdate) { updates.append(update) }
        func finish() { finished += 1 }
    }

    @Test func trainersReportPhasesAndFinish() throws {
        let recorder = Recorder()
        _ = try LinearRegressionTrainer().train(
            TrainingRequest(
                data: Fixtures.url("regression.csv"), test: .split(fraction: 0.2, seed: 1), target: "y",
                dataName: "regression.csv"),
            progress: recorder)
        #expect(recorder.finished == 1)
        #expect(recorder.updates.contains { $0.phase == "fitting" && $0.rows == 300 })
    }

    @Test func barShowsShareBytesRowsAndETA() {
        let line = TerminalProgress.line(
            ProgressUpdate(
                phase: "reading d.csv", bytesRead: 50_000_000, totalBytes: 200_000_000, rows: 250_000),
            elapsed: 1)
        #expect(line == "reading d.csv [######..................] 25% 50 MB/200 MB ETA 3s 250000 rows")
    }
}

@Suite struct LargeDataTests {
    /// A binary problem big enough for the warm start from a sample.
    private func writeBinary(rows: Int, to url: URL) throws {
        var generator = SplitMixGenerator(seed: 11)
        var text = "a,b,c,label\n"
        text.reserveCapacity(rows * 40)
        for _ in 0..<rows {
            let a = generator.nextUnit() * 4 - 2
            let b = generator.nextUnit() * 10
            let c = generator.nextUnit() - 0.5
            let p = 1 / (1 + exp(-(1.5 * a - 0.2 * b + 3 * c + 0.7)))
            let label = generator.nextUnit() < p ? "yes" : "no"
            text +=
                "\((a * 1e6).rounded() / 1e6),\((b * 1e6).rounded() / 1e6),\((c * 1e6).rounded() / 1e6),\(label)\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test(.tags(.slow)) func warmStartReachesTheSameOptimum() throws {
        let scratch = try Scratch()
        let url = scratch.directory.appendingPathComponent("big.csv")
        try writeBinary(rows: 300_000, to: url)
        let request = TrainingRequest(
            data: url, test: .split(fraction: 0.1, seed: 2), target: "label", dataName: "big.csv")
        var trainer = try LogisticRegressionTrainer()
        let warm = try trainer.train(request, progress: nil)
        trainer.warmStartRows = .max
        let cold = try trainer.train(request, progress: nil)
        #expect(warm.model.classes == ["no", "yes"])
        #expect(try #require(warm.convergence).iterations < (try #require(cold.convergence)).iterations)
        #expect(relativeError(warm.model.coefficients[0], cold.model.coefficients[0]) <= 1e-8)
        expectMetrics(warm.metrics, cold.metrics, tolerance: 1e-9)
    }
}
