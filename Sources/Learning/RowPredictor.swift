/// Predictions for rows held in memory (a server's request), computed exactly as
/// `Prediction.stream` computes them for CSV rows: the same `Predictor`, the same standardisation
/// and the same operations in the same order, so the same row gives bit-identical doubles.
public struct RowPredictor: Sendable {
    private let predictor: Predictor
    /// The model's kind ("linear-regression", "logistic-regression" or "kmeans").
    public let kind: String
    /// Values per row, in `features` order.
    public let width: Int
    /// Class labels (logistic regression), else empty.
    public let classes: [String]
    /// Number of probabilities per row (classes), 0 unless logistic regression.
    public var probabilityCount: Int { kind == LogisticRegressionTrainer.kind ? classes.count : 0 }

    /// A predictor for `model`.
    public init(_ model: ModelFile) {
        predictor = Predictor(model)
        kind = model.kind
        width = model.features.count
        classes = model.classes ?? []
    }

    /// Predicts every row of `rows` (row-major, `width` values each, `rows.count / width` rows):
    /// one value per row (regression value, class index or cluster index), and for logistic
    /// regression `probabilityCount` probabilities per row appended to `probabilities`.
    public func predict(
        rows: [Double], values: inout [Double], probabilities: inout [Double]
    ) {
        guard width > 0 else { return }
        let count = rows.count / width
        var x = [Double](repeating: 0, count: width)
        var scratch = [Double](repeating: 0, count: max(predictor.outputs, 2))
        values.reserveCapacity(values.count + count)
        for index in 0..<count {
            for column in 0..<width { x[column] = rows[index * width + column] }
            x.withUnsafeMutableBufferPointer { buffer in
                let row = buffer.baseAddress!
                predictor.standardize(row)
                switch kind {
                case LinearRegressionTrainer.kind:
                    values.append(predictor.regress(row))
                case LogisticRegressionTrainer.kind:
                    let best = scratch.withUnsafeMutableBufferPointer {
                        predictor.classify(row, probabilities: $0.baseAddress!)
                    }
                    values.append(Double(best))
                    probabilities.append(contentsOf: scratch[0..<classes.count])
                default:
                    values.append(Double(predictor.nearestCentre(row).0))
                }
            }
        }
    }
}
