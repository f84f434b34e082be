#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fitted built-in model as versioned JSON: everything `predict` and `score` need.
public struct ModelFile: Codable, Sendable, Equatable {
    /// The format this build writes and reads.
    public static let currentFormatVersion = 1

    /// Feature standardisation: z = (x - mean) / scale, fitted on the training rows.
    public struct Preprocessing: Codable, Sendable, Equatable {
        /// Per-feature means subtracted before the model applies.
        public var means: [Double]
        /// Per-feature scales divided by before the model applies.
        public var scales: [Double]
    }

    /// How parameters were quantised; `coefficients` then hold the dequantised values.
    public struct Quantization: Codable, Sendable, Equatable {
        /// "float16" or "int8".
        public var dtype: String
        /// int8 only: one scale per coefficient row; value = code × scale.
        public var scales: [Double]?
        /// int8 only: the stored codes, one row per coefficient row.
        public var codes: [[Int8]]?
    }

    /// The model file layout version.
    public var formatVersion: Int
    /// "linear-regression", "logistic-regression" or "kmeans".
    public var kind: String
    /// Feature column names in the order the coefficients use.
    public var features: [String]
    /// The target column; nil for k-means.
    public var target: String?
    /// Regression: one row of weights. Logistic: one row (binary) or one per class.
    /// K-means: one row per cluster centre. In standardised units when `preprocessing` is set.
    public var coefficients: [[Double]]
    /// One per coefficient row (empty for k-means).
    public var intercept: [Double]
    /// Class labels as written in the data, in scikit-learn's order (`classes_`).
    public var classes: [String]?
    /// Standardisation applied to features, when the model was trained with it.
    public var preprocessing: Preprocessing?
    /// How the coefficients were quantised, when they were.
    public var quantization: Quantization?
    /// Options the trainer ran with.
    public var options: [String: TrainerOption]
    /// Test metrics at training time.
    public var metrics: [String: Double]
    /// Rows used for fitting.
    public var trainingRows: Int
    /// Rows used for the test metrics.
    public var testRows: Int
    /// Git blob ids of the data files, filled in by the pipeline engine (path -> id).
    public var dataBlobs: [String: String]?
    /// The modelgate version that wrote the file.
    public var tool: String
    /// How the training rows were distributed, for drift monitoring; nil in older model files.
    public var featureProfile: FeatureProfile?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind, features, target, coefficients, intercept, classes, preprocessing, quantization
        case options, metrics, tool
        case trainingRows = "training_rows"
        case testRows = "test_rows"
        case dataBlobs = "data_blobs"
        case featureProfile = "feature_profile"
    }

    /// Number of parameters stored (coefficients and intercepts).
    public var parameterCount: Int { coefficients.reduce(0) { $0 + $1.count } + intercept.count }

    /// Bytes the parameters take in their stored precision (8 per float64, 2 per float16,
    /// 1 per int8 code plus 8 per scale; intercepts stay float64 when quantised).
    public var sizeBytes: Int {
        let weights = coefficients.reduce(0) { $0 + $1.count }
        switch quantization?.dtype {
        case "float16": return weights * 2 + intercept.count * 8
        case "int8": return weights + (quantization?.scales?.count ?? 0) * 8 + intercept.count * 8
        default: return weights * 8 + intercept.count * 8
        }
    }

    /// Writes the JSON atomically: a temporary file in the same directory, then rename.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw DataError(
                    .readFailed, "cannot write model file '\(url.path)': \(reason)", location: url.path,
                    exitStatus: .failure)
            }
        } catch let error as DataError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DataError(
                .readFailed, "cannot write model file '\(url.path)': \(Self.reason(error))",
                location: url.path, hint: "check that the directory exists and is writable",
                exitStatus: .failure)
        }
    }

    /// The system's words for a failed write (`No such file or directory`), from the POSIX error
    /// under Foundation's `CocoaError`.
    private static func reason(_ error: any Error) -> String {
        guard let code = (error as? CocoaError)?.underlying.flatMap({ $0 as? POSIXError })?.code.rawValue
        else { return "\(error)" }
        return String(cString: strerror(code))
    }

    /// Reads and checks a model file; `name` is the path as the user wrote it.
    public static func read(from url: URL, name: String? = nil) throws -> ModelFile {
        let name = name ?? url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: url.path)
            throw DataError.cannotOpen(
                name: name, reason: missing ? "no such file" : "not readable", missing: missing)
        }
        let model: ModelFile
        do {
            model = try JSONDecoder().decode(ModelFile.self, from: data)
        } catch {
            throw DataError(
                .badModelFile, "'\(name)' is not a modelgate model file: \(error)", location: name,
                hint: "pass a model.json written by a built-in trainer")
        }
        guard model.formatVersion <= currentFormatVersion else {
            throw DataError(
                .badModelFile,
                "'\(name)' has format_version \(model.formatVersion); this modelgate reads up to \(currentFormatVersion)",
                location: name, hint: "upgrade modelgate")
        }
        try model.checkShape(name: name)
        return model
    }

    private func checkShape(name: String) throws {
        let width = features.count
        var problem: String?
        if coefficients.contains(where: { $0.count != width }) {
            problem = "a coefficient row does not have one value per feature"
        } else if kind != KMeansTrainer.kind && intercept.count != coefficients.count {
            problem = "intercept count differs from coefficient rows"
        } else if let preprocessing, preprocessing.means.count != width || preprocessing.scales.count != width
        {
            problem = "preprocessing does not have one mean and scale per feature"
        } else if !Trainers.kinds.contains(kind) {
            problem = "unknown kind '\(kind)'"
        } else if kind == LogisticRegressionTrainer.kind {
            let classCount = classes?.count ?? 0
            if classCount < 2
                || (classCount == 2 ? coefficients.count != 1 : coefficients.count != classCount)
            {
                problem = "classes do not match coefficient rows"
            }
        }
        if let problem {
            throw DataError(.badModelFile, "'\(name)' is malformed: \(problem)", location: name)
        }
    }
}
