import ArgumentParser
import Diagnostics
import Foundation
import Learning

/// `modelgate train`: run one built-in trainer outside a pipeline (for trying options and benchmarks).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a built-in model on a CSV file and print its test metrics.",
        discussion: Help.discussion(
            """
            Options use scikit-learn's names: --option alpha=0.5 --option C=2 --option n_clusters=4.
            """))

    @Option(help: "The trainer: \(Trainers.kinds.joined(separator: ", ")).") var builtin: String
    @Option(help: "The training CSV.") var data: String
    @Option(help: "The target column (not for kmeans).") var target: String?
    @Option(help: "Comma-separated feature columns (default: all other numeric columns).") var features:
        String?
    @Option(help: "A separate test CSV.") var test: String?
    @Option(help: "The share of rows held out for testing when there is no --test file.") var testSplit = 0.2
    @Option(help: "Seed of the train/test split.") var seed: UInt64 = 0
    @Option(help: "Missing values: 'error' or 'drop-row'.") var missing: MissingValuePolicy = .error
    @Option(name: .customLong("option"), help: "A trainer option NAME=VALUE (repeatable).") var options:
        [String] = []
    @Option(help: "Write the model file here.") var model: String?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func run() throws {
        let trainer = try Trainers.make(kind: builtin, options: try parsedOptions())
        let testSource: TestSource =
            if let test { .file(URL(fileURLWithPath: test), name: test) } else {
                .split(fraction: testSplit, seed: seed)
            }
        let request = TrainingRequest(
            data: URL(fileURLWithPath: data), test: testSource, target: target,
            features: features.map { $0.split(separator: ",").map(String.init) }, dataName: data,
            missing: missing)
        let outcome = try trainer.train(request, progress: TerminalProgress.standardError())
        if let model { try outcome.model.write(to: URL(fileURLWithPath: model)) }
        for warning in outcome.warnings { Terminal.printError("warning: \(warning)") }
        if json {
            try Terminal.printJSON(TrainReport(outcome: outcome, modelPath: model))
        } else {
            print("\(builtin): \(outcome.trainingRows) training rows, \(outcome.testRows) test rows")
            for (name, value) in outcome.metrics.sorted(by: { $0.key < $1.key }) {
                print("  \(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(value)")
            }
        }
    }

    private func parsedOptions() throws -> [String: TrainerOption] {
        var parsed: [String: TrainerOption] = [:]
        for option in options {
            guard let equals = option.firstIndex(of: "=") else {
                throw ValidationError("--option takes NAME=VALUE, got '\(option)'")
            }
            let name = String(option[..<equals])
            let value = String(option[option.index(after: equals)...])
            if value == "true" || value == "false" {
                parsed[name] = .bool(value == "true")
            } else if let number = Double(value) {
                parsed[name] = .number(number)
            } else {
                parsed[name] = .string(value)
            }
        }
        return parsed
    }
}

/// The JSON `modelgate train --json` prints.
private struct TrainReport: Encodable {
    let kind: String
    let metrics: [String: Double]
    let trainingRows: Int
    let testRows: Int
    let droppedRows: Int
    let confusionMatrix: ConfusionMatrix?
    let convergence: Convergence?
    let warnings: [String]
    let model: String?

    init(outcome: TrainingOutcome, modelPath: String?) {
        kind = outcome.model.kind
        metrics = outcome.metrics
        trainingRows = outcome.trainingRows
        testRows = outcome.testRows
        droppedRows = outcome.droppedRows
        confusionMatrix = outcome.confusionMatrix
        convergence = outcome.convergence
        warnings = outcome.warnings
        model = modelPath
    }

    enum CodingKeys: String, CodingKey {
        case kind, metrics, convergence, warnings, model
        case trainingRows = "training_rows"
        case testRows = "test_rows"
        case droppedRows = "dropped_rows"
        case confusionMatrix = "confusion_matrix"
    }
}
