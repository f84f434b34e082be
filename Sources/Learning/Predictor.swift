#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A model's parameters laid out for fast row-by-row evaluation.
struct Predictor {
    let kind: String
    let width: Int
    let rows: Int
    private let weights: [Double]
    private let intercepts: [Double]
    private let means: [Double]?
    private let scales: [Double]?
    /// Number of classes (logistic) or clusters (k-means); 1 for regression.
    let outputs: Int

    init(_ model: ModelFile) {
        kind = model.kind
        width = model.features.count
        rows = model.coefficients.count
        weights = model.coefficients.flatMap { $0 }
        intercepts = model.intercept
        means = model.preprocessing?.means
        scales = model.preprocessing?.scales
        switch model.kind {
        case LogisticRegressionTrainer.kind: outputs = model.classes?.count ?? 2
        case KMeansTrainer.kind: outputs = model.coefficients.count
        default: outputs = 1
        }
    }

    /// Applies the stored standardisation in place.
    @inline(__always)
    func standardize(_ x: UnsafeMutablePointer<Double>) {
        guard let means, let scales else { return }
        for j in 0..<width { x[j] = (x[j] - means[j]) / scales[j] }
    }

    @inline(__always)
    private func dot(_ x: UnsafePointer<Double>, row: Int) -> Double {
        weights.withUnsafeBufferPointer { w in
            let base = w.baseAddress! + row * width
            var sum = 0.0
            for j in 0..<width { sum += base[j] * x[j] }
            return sum
        }
    }

    /// Regression prediction for a standardised row.
    @inline(__always)
    func regress(_ x: UnsafePointer<Double>) -> Double {
        dot(x, row: 0) + intercepts[0]
    }

    /// Class probabilities into `probabilities` (length `outputs`); returns the predicted class id.
    @inline(__always)
    func classify(_ x: UnsafePointer<Double>, probabilities: UnsafeMutablePointer<Double>) -> Int {
        if rows == 1 {
            let z = dot(x, row: 0) + intercepts[0]
            let p = 1 / (1 + exp(-z))
            probabilities[0] = 1 - p
            probabilities[1] = p
            return z > 0 ? 1 : 0
        }
        var best = 0
        var largest = -Double.infinity
        for k in 0..<rows {
            let z = dot(x, row: k) + intercepts[k]
            probabilities[k] = z
            if z > largest {
                largest = z
                best = k
            }
        }
        var sum = 0.0
        for k in 0..<rows {
            probabilities[k] = exp(probabilities[k] - largest)
            sum += probabilities[k]
        }
        for k in 0..<rows { probabilities[k] /= sum }
        return best
    }

    /// The nearest centre and the squared distance to it.
    @inline(__always)
    func nearestCentre(_ x: UnsafePointer<Double>) -> (Int, Double) {
        weights.withUnsafeBufferPointer { w in
            Self.nearest(x, centres: w.baseAddress!, count: rows, width: width)
        }
    }

    /// The nearest of `count` centres (row-major, `width` each) to `x`, and its squared distance;
    /// the first wins a tie. Shared by prediction and k-means training.
    @inline(__always)
    static func nearest(
        _ x: UnsafePointer<Double>, centres: UnsafePointer<Double>, count: Int, width: Int
    ) -> (Int, Double) {
        var best = 0
        var bestDistance = Double.infinity
        for k in 0..<count {
            let centre = centres + k * width
            var distance = 0.0
            for j in 0..<width {
                let difference = x[j] - centre[j]
                distance += difference * difference
            }
            if distance < bestDistance {
                bestDistance = distance
                best = k
            }
        }
        return (best, bestDistance)
    }
}
