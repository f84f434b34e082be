/// Corrections for testing several gates in one run, as statsmodels' `multipletests`.
public enum MultipleTesting {
    /// Which correction to apply.
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// Holm's step-down: controls the family-wise error rate.
        case holm
        /// Benjamini–Hochberg: controls the false discovery rate.
        case bh
        /// No correction.
        case none
    }

    /// The adjusted p-values, in the order given (NaN stays NaN and is left out of the family).
    public static func adjust(_ pValues: [Double], method: Method) -> [Double] {
        let present = pValues.indices.filter { !pValues[$0].isNaN }
        let m = present.count
        var adjusted = pValues
        guard m > 0, method != .none else { return adjusted }
        // Stable order by p-value, ties by position, so the result never depends on sort internals.
        let order = present.sorted { (pValues[$0], $0) < (pValues[$1], $1) }
        switch method {
        case .holm:
            var running = 0.0
            for (rank, index) in order.enumerated() {
                running = max(running, min(1, Double(m - rank) * pValues[index]))
                adjusted[index] = running
            }
        case .bh:
            var running = 1.0
            for rank in stride(from: m - 1, through: 0, by: -1) {
                let index = order[rank]
                running = min(running, Double(m) / Double(rank + 1) * pValues[index])
                adjusted[index] = min(1, running)
            }
        case .none:
            break
        }
        return adjusted
    }
}
