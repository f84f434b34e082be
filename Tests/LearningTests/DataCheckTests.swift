import Foundation
import Testing

@testable import Learning

@Suite struct DataCheckTests {
    @Test func driftMatchesScipyAndTheDocumentedPSI() throws {
        let expected = try Fixtures.reference().object("drift")
        let report = try DataCheck.validate(
            data: Fixtures.url("drift_current.csv"), name: "drift_current.csv",
            expectations: DataExpectations(
                baseline: Fixtures.url("drift_base.csv"), baselineName: "drift_base.csv"))
        for column in ["a", "b"] {
            let reference = try expected.object(column)
            #expect(abs(report.metrics["drift.ks.\(column)"]! - (try reference.number("ks"))) <= 1e-12)
            #expect(abs(report.metrics["drift.psi.\(column)"]! - (try reference.number("psi"))) <= 1e-9)
        }
        #expect(report.metrics["rows"] == 300)
        #expect(report.problems.isEmpty)
    }

    @Test func identicalDataHasNoDrift() throws {
        let report = try DataCheck.validate(
            data: Fixtures.url("drift_base.csv"), name: "drift_base.csv",
            expectations: DataExpectations(baseline: Fixtures.url("drift_base.csv")))
        #expect(report.metrics["drift.ks.a"] == 0)
        #expect(report.metrics["drift.psi.a"] == 0)
    }

    @Test func reportsSchemaMissingValuesRangesAndRowCount() throws {
        let scratch = try Scratch()
        let data = try scratch.file("d.csv", "x,y,z\n1,a,5\nNA,b,50\n3,,7\n4,c,x9\n")
        let report = try DataCheck.validate(
            data: data, name: "d.csv",
            expectations: DataExpectations(
                columns: ["x", "w"], types: ["z": .number], ranges: ["x": 0...3], minimumRows: 10))
        #expect(report.metrics["rows"] == 4)
        #expect(report.metrics["missing.x"] == 0.25)
        #expect(report.metrics["missing.y"] == 0.25)
        #expect(report.metrics["missing.z"] == 0)
        #expect(report.metrics["out_of_range.x"] == 1)
        #expect(
            report.problems.contains(
                DataProblem(
                    summary: "column 'w' is missing; the header has 'x', 'y', 'z'", location: "d.csv:1:1",
                    column: "w")))
        #expect(
            report.problems.contains {
                $0.column == "z" && $0.location == "d.csv:5:5" && $0.summary.contains("'x9'")
            })
        #expect(report.problems.contains { $0.column == "x" && $0.location == "d.csv:5:1" })
        #expect(report.problems.contains { $0.summary == "4 rows; expected at least 10" })
        #expect(report.columns.first { $0.name == "y" }?.type == .text)
        #expect(report.columns.first { $0.name == "x" }?.maximum == 4)
    }
}

@Suite struct QuantizationTests {
    private func trained() throws -> TrainingOutcome {
        try LinearRegressionTrainer(options: ["standardize": .bool(true)]).train(
            TrainingRequest(
                data: Fixtures.url("regression.csv"),
                test: .file(Fixtures.url("regression_test.csv"), name: "regression_test.csv"), target: "y",
                dataName: "regression.csv"),
            progress: nil)
    }

    @Test func float16HalvesTwiceAndKeepsMetricsClose() throws {
        let outcome = try trained()
        let result = quantize(outcome.model, to: .float16)
        #expect(result.sizeBytesBefore == 5 * 8 + 8)
        #expect(result.sizeBytesAfter == 5 * 2 + 8)
        #expect(result.model.quantization?.dtype == "float16")
        #expect(result.model.coefficients[0].allSatisfy { Double(Float16($0)) == $0 })
        let rescored = try result.model.score(
            csv: Fixtures.url("regression_test.csv"), name: "regression_test.csv")
        #expect(abs(rescored["r2"]! - outcome.metrics["r2"]!) < 1e-3)
        #expect(result.largestChange > 0)
    }

    @Test func int8StoresCodesAndScalesAndRoundTrips() throws {
        let scratch = try Scratch()
        let outcome = try trained()
        let result = quantize(outcome.model, to: .int8)
        let quantization = try #require(result.model.quantization)
        let codes = try #require(quantization.codes)
        let scales = try #require(quantization.scales)
        #expect(codes[0].map { Int($0) }.map(abs).max() == 127)
        #expect(zip(codes[0], result.model.coefficients[0]).allSatisfy { Double($0) * scales[0] == $1 })
        #expect(result.sizeBytesAfter == 5 + 8 + 8)
        let url = scratch.directory.appendingPathComponent("q.json")
        try result.model.write(to: url)
        #expect(try ModelFile.read(from: url) == result.model)
        let largest = outcome.model.coefficients[0].map(abs).max()!
        #expect(result.largestChange <= largest / 127 / 2 + 1e-12)
    }
}
