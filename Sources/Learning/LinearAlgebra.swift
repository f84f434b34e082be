/// Small dense linear algebra on row-major `[Double]` square matrices: all the trainers need.
enum LinearAlgebra {
    /// Cholesky factor L (lower, row-major) of a symmetric positive-definite `matrix`, or the
    /// index of the first pivot that is not positive relative to its diagonal (`tolerance`).
    static func cholesky(_ matrix: [Double], size n: Int, tolerance: Double = 1e-12) -> Result<
        [Double], PivotFailure
    > {
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var diagonal = matrix[j * n + j]
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            if !(diagonal > tolerance * max(matrix[j * n + j], Double.leastNormalMagnitude)) {
                return .failure(PivotFailure(column: j))
            }
            let root = diagonal.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = sum / root
            }
        }
        return .success(l)
    }

    /// The first column whose pivot failed: it is (nearly) a combination of the columns before it.
    struct PivotFailure: Error {
        let column: Int
    }

    /// Solves L Lᵀ x = b given the Cholesky factor L.
    static func choleskySolve(_ l: [Double], size n: Int, _ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n {
            var sum = y[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<max(i + 1, n) { sum -= l[k * n + i] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        return y
    }

    /// Eigenvalues and eigenvectors (columns of `vectors`, row-major) of a symmetric matrix,
    /// by cyclic Jacobi rotations: slow for big matrices, exact enough for tens of features.
    static func symmetricEigen(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { offDiagonal += a[i * n + j] * a[i * n + j] } }
            if offDiagonal < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p]
                        let akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k]
                        let aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p]
                        let vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }

    /// The minimum-norm solution of A x = b for symmetric positive semi-definite A, treating
    /// eigenvalues below `relativeCutoff` × the largest as zero (what `lstsq` gives).
    static func pseudoInverseSolve(_ matrix: [Double], size n: Int, _ b: [Double], relativeCutoff: Double)
        -> [Double]
    {
        let (values, vectors) = symmetricEigen(matrix, size: n)
        let largest = values.map(abs).max() ?? 0
        var x = [Double](repeating: 0, count: n)
        for k in 0..<n where values[k] > relativeCutoff * largest && values[k] > 0 {
            var projection = 0.0
            for i in 0..<n { projection += vectors[i * n + k] * b[i] }
            let scale = projection / values[k]
            for i in 0..<n { x[i] += scale * vectors[i * n + k] }
        }
        return x
    }
}
