/// Running means and centred cross-products of fixed-width rows (Welford's update, generalised to
/// co-moments), so sums of squares never cancel catastrophically however far data sit from zero.
///
/// Only the upper triangle of `comoments` is maintained; `symmetric()` fills in the rest.
struct Moments {
    let width: Int
    private(set) var count = 0
    private(set) var means: [Double]
    /// Σ (x_i - mean_i)(x_j - mean_j), row-major width × width, upper triangle.
    private(set) var comoments: [Double]
    private var delta: [Double]

    init(width: Int) {
        self.width = width
        means = [Double](repeating: 0, count: width)
        comoments = [Double](repeating: 0, count: width * width)
        delta = [Double](repeating: 0, count: width)
    }

    /// Adds `rows` rows stored contiguously at `data`.
    mutating func add(_ data: UnsafePointer<Double>, rows: Int) {
        let width = self.width
        var count = self.count
        means.withUnsafeMutableBufferPointer { meanBuffer in
            comoments.withUnsafeMutableBufferPointer { comomentBuffer in
                delta.withUnsafeMutableBufferPointer { deltaBuffer in
                    let mean = meanBuffer.baseAddress!
                    let comoment = comomentBuffer.baseAddress!
                    let d = deltaBuffer.baseAddress!
                    for row in 0..<rows {
                        let x = data + row * width
                        count += 1
                        let inverse = 1 / Double(count)
                        let factor = Double(count - 1) * inverse
                        for j in 0..<width {
                            let difference = x[j] - mean[j]
                            d[j] = difference
                            mean[j] += difference * inverse
                        }
                        for i in 0..<width {
                            let scaled = d[i] * factor
                            let target = comoment + i * width
                            for j in i..<width { target[j] += scaled * d[j] }
                        }
                    }
                }
            }
        }
        self.count = count
    }

    /// Combines two disjoint sets of rows (Chan, Golub and LeVeque).
    mutating func merge(_ other: Moments) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let n = Double(count + other.count)
        let factor = Double(count) * Double(other.count) / n
        var difference = [Double](repeating: 0, count: width)
        for j in 0..<width { difference[j] = other.means[j] - means[j] }
        for i in 0..<width {
            for j in i..<width {
                comoments[i * width + j] +=
                    other.comoments[i * width + j] + factor * difference[i] * difference[j]
            }
        }
        for j in 0..<width { means[j] += difference[j] * Double(other.count) / n }
        count += other.count
    }

    /// The full symmetric co-moment matrix.
    func symmetric() -> [Double] {
        var full = comoments
        for i in 0..<width { for j in 0..<i { full[i * width + j] = comoments[j * width + i] } }
        return full
    }
}
