import ArgumentParser
import Diagnostics
import Foundation
import Learning

/// `modelgate predict`: stream a built-in model's predictions for a CSV file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a built-in model (model.json) for every row of a CSV file.",
        discussion: Help.discussion(
            """
            Writes CSV: 'prediction' (linear-regression), 'prediction,probability_<class>…' \
            (logistic-regression) or 'cluster' (kmeans), one line per input row. Columns are \
            matched by name; extra columns are ignored.
            """))

    @Option(help: "The model file written by a built-in trainer.") var model: String
    @Argument(help: "The CSV file to predict for.") var data: String
    @Option(help: "Write predictions here (atomically) instead of standard output.") var out: String?
    @Option(help: "Missing values: 'error' or 'drop-row' (an empty prediction for that row).")
    var missing: MissingValuePolicy = .error

    func run() throws {
        let modelFile = try ModelFile.read(from: URL(fileURLWithPath: model), name: model)
        let progress = TerminalProgress.standardError()
        let rows = try Prediction.writeCSV(
            model: modelFile, input: URL(fileURLWithPath: data), inputName: data,
            output: out.map { URL(fileURLWithPath: $0) }, missing: missing, progress: progress)
        if let out {
            Terminal.printError("modelgate: \(rows) predictions written to \(out)")
            print(out)
        }
    }
}

extension MissingValuePolicy: ExpressibleByArgument {}
