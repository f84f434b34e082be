#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One trainer option value, as written in `modelgate.yml` (a YAML scalar).
public enum TrainerOption: Sendable, Equatable, Codable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)
    case string(String)

    /// Decodes a YAML/JSON scalar: a bool, a number or a string.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Encodes the scalar as YAML/JSON would write it.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }

    /// The value as text.
    public var description: String {
        switch self {
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .bool(let value): return String(value)
        case .string(let value): return value
        }
    }
}

/// Where a trainer's test rows come from.
public enum TestSource: Sendable, Equatable {
    /// A separate CSV file with the same columns; `name` is the path as the user wrote it.
    case file(URL, name: String)
    /// A seeded, deterministic share of the data's rows.
    case split(fraction: Double, seed: UInt64)
}

/// What to train on: the engine builds one from a `builtin:` stage.
public struct TrainingRequest: Sendable {
    /// The training CSV.
    public var data: URL
    /// The test rows.
    public var test: TestSource
    /// The target column; nil for k-means.
    public var target: String?
    /// Feature columns; nil means all other numeric columns.
    public var features: [String]?
    /// The data path as the user wrote it, for error messages.
    public var dataName: String
    /// What to do with missing values in used columns.
    public var missing: MissingValuePolicy

    /// A request; see the properties.
    public init(
        data: URL, test: TestSource, target: String?, features: [String]? = nil, dataName: String,
        missing: MissingValuePolicy = .error
    ) {
        self.data = data
        self.test = test
        self.target = target
        self.features = features
        self.dataName = dataName
        self.missing = missing
    }
}

extension TrainingRequest {
    /// The target column, or the error a trainer that predicts one gives without it.
    func requiredTarget(for kind: String) throws -> String {
        guard let target else {
            throw DataError(
                .badOption, "trainer '\(kind)' needs a 'target' column", hint: "set 'target:' in the stage")
        }
        return target
    }
}

/// Where a trainer is: the CLI renders it as a progress bar.
public struct ProgressUpdate: Sendable, Equatable {
    /// What is happening, e.g. "reading data/train.csv" or "fitting".
    public var phase: String
    /// Bytes read so far.
    public var bytesRead: Int64
    /// Nil when the size is unknown.
    public var totalBytes: Int64?
    /// Rows read so far.
    public var rows: Int

    /// An update; see the properties.
    public init(phase: String, bytesRead: Int64, totalBytes: Int64?, rows: Int) {
        self.phase = phase
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.rows = rows
    }
}

/// Receives progress from a trainer; called from the training thread, a few times per second at most.
public protocol ProgressReporter: AnyObject {
    /// The latest state.
    func report(_ update: ProgressUpdate)
    /// Training is over (success or failure); clear any bar.
    func finish()
}

/// How an iterative solver ended.
public struct Convergence: Sendable, Equatable, Codable {
    /// True when the tolerance was reached.
    public var converged: Bool
    /// Iterations taken.
    public var iterations: Int
    /// The largest absolute gradient component of the objective at the end.
    public var gradientNorm: Double
    /// The solver used, e.g. "newton".
    public var solver: String

    enum CodingKeys: String, CodingKey {
        case converged, iterations, solver
        case gradientNorm = "gradient_norm"
    }
}

/// Counts of (true class, predicted class) pairs; rows are true classes in `labels` order.
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    /// Class labels, in row and column order.
    public var labels: [String]
    /// counts[true][predicted].
    public var counts: [[Int]]
}

/// What a trainer produced; encodes with snake_case keys for run records.
public struct TrainingOutcome: Sendable, Encodable {
    /// The fitted model, metrics included.
    public var model: ModelFile
    /// Test metrics with scikit-learn's names.
    public var metrics: [String: Double]
    /// Rows used for fitting.
    public var trainingRows: Int
    /// Rows used for the test metrics.
    public var testRows: Int
    /// Rows left out under `missing: drop-row`.
    public var droppedRows: Int
    /// Classification only.
    public var confusionMatrix: ConfusionMatrix?
    /// Iterative solvers only.
    public var convergence: Convergence?
    /// Things the user should know that are not errors (collinear columns, no convergence).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case model, metrics, convergence, warnings
        case trainingRows = "training_rows"
        case testRows = "test_rows"
        case droppedRows = "dropped_rows"
        case confusionMatrix = "confusion_matrix"
    }
}

/// A built-in trainer.
public protocol Trainer {
    /// The `builtin:` name.
    static var kind: String { get }
    /// Every metric name its runs record: what gates on its stage may name.
    static var metricNames: [String] { get }
    /// Reads the data, fits, evaluates on the test rows.
    func train(_ request: TrainingRequest, progress: ProgressReporter?) throws -> TrainingOutcome
}

/// The registry of built-in trainers.
public enum Trainers {
    /// Every `builtin:` name.
    public static let kinds: [String] = [
        LinearRegressionTrainer.kind, LogisticRegressionTrainer.kind, KMeansTrainer.kind,
    ]

    /// Trainer kind → every metric name its runs record; the one list config validation reads.
    public static let metricNames: [String: [String]] = [
        LinearRegressionTrainer.kind: LinearRegressionTrainer.metricNames,
        LogisticRegressionTrainer.kind: LogisticRegressionTrainer.metricNames,
        KMeansTrainer.kind: KMeansTrainer.metricNames,
    ]

    /// The trainer for `kind` configured with `options` (scikit-learn parameter names).
    public static func make(kind: String, options: [String: TrainerOption]) throws -> any Trainer {
        switch kind {
        case LinearRegressionTrainer.kind: return try LinearRegressionTrainer(options: options)
        case LogisticRegressionTrainer.kind: return try LogisticRegressionTrainer(options: options)
        case KMeansTrainer.kind: return try KMeansTrainer(options: options)
        default:
            throw DataError(
                .unknownTrainer, "unknown built-in trainer '\(kind)'",
                hint: "use one of: \(kinds.joined(separator: ", "))")
        }
    }
}

/// Reads options by name, and rejects names and values that don't fit.
struct OptionReader {
    let kind: String
    let options: [String: TrainerOption]
    let accepted: [String]

    init(kind: String, options: [String: TrainerOption], accepted: [String]) throws {
        self.kind = kind
        self.options = options
        self.accepted = accepted
        for name in options.keys.sorted() where !accepted.contains(name) {
            throw DataError(
                .unknownOption, "unknown option '\(name)' for trainer '\(kind)'",
                hint: "\(kind) accepts: \(accepted.joined(separator: ", "))")
        }
    }

    func number(_ name: String, default value: Double, where valid: (Double) -> Bool, expected: String) throws
        -> Double
    {
        guard let option = options[name] else { return value }
        guard case .number(let number) = option, valid(number) else {
            throw DataError(
                .badOption, "option '\(name)' of trainer '\(kind)' is \(option); expected \(expected)")
        }
        return number
    }

    func integer(_ name: String, default value: Int, minimum: Int) throws -> Int {
        let number = try self.number(
            name, default: Double(value), where: { $0 == $0.rounded() && $0 >= Double(minimum) && $0 < 1e12 },
            expected: "a whole number ≥ \(minimum)")
        return Int(number)
    }

    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let option = options[name] else { return value }
        guard case .bool(let flag) = option else {
            throw DataError(
                .badOption, "option '\(name)' of trainer '\(kind)' is \(option); expected true or false")
        }
        return flag
    }
}
