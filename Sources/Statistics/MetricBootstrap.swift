/// The bootstrap distribution of a metric (thresholds) or of candidate − baseline (change
/// bounds), for every metric that is a function of per-example sums.
public enum MetricBootstrap {
    /// The metric's value on all of `results` (ROC AUC through DeLong, binary only); nil when it
    /// does not apply.
    public static func value(of metric: String, on results: ExampleResults) -> Double? {
        if metric == "roc_auc" {
            guard results.classes == 2, results.probabilities.count == 2 * results.count else { return nil }
            let scores = (0..<results.count).map { results.probabilities[2 * $0 + 1] }
            return DeLong.estimate(positive: results.truth.map { $0 == 1 }, scores: scores)?.auc
        }
        guard let columns = MetricColumns.make(metric: metric, task: results.task),
            let table = columns.table(results)
        else { return nil }
        return columns.value(table.sums(), Double(table.count))
    }

    /// Whether `metric` can be bootstrapped for results of `task`.
    public static func supports(_ metric: String, task: ExampleResults.Task) -> Bool {
        MetricColumns.make(metric: metric, task: task) != nil
    }

    /// The sorted resampled values of the metric on `candidate` — or of candidate − baseline
    /// when a baseline is given: resampling the same example indices for both when `paired`,
    /// independent resamples of each otherwise — and the baseline's value on all its examples.
    /// Nil when the metric does not apply, a value is out of range, or every resample is undefined.
    public static func distribution(
        of metric: String, candidate: ExampleResults, baseline: ExampleResults? = nil, paired: Bool = false,
        resamples: Int, seed: UInt64
    ) -> (distribution: BootstrapDistribution, baselineValue: Double?)? {
        guard let columns = MetricColumns.make(metric: metric, task: candidate.task) else { return nil }
        let width = columns.width
        let value = columns.value
        let bootstrap = Bootstrap(resamples: resamples, seed: seed)
        if let baseline, paired {
            guard baseline.count == candidate.count, let table = columns.table(candidate, paired: baseline)
            else { return nil }
            let n = Double(table.count)
            let baselineValue = value(columns.baselineSums(table.sums()), n)
            guard
                let distribution = bootstrap.distribution(
                    of: table,
                    statistic: { s in value(Array(s[..<width]), n) - value(columns.baselineSums(s), n) }),
                !distribution.sorted.isEmpty
            else { return nil }
            return (distribution, baselineValue)
        }
        guard let table = columns.table(candidate) else { return nil }
        let n = Double(table.count)
        guard var values = bootstrap.values(of: table, statistic: { value($0, n) }) else { return nil }
        var baselineValue: Double?
        if let baseline {
            guard let baseTable = columns.table(baseline) else { return nil }
            let baseN = Double(baseTable.count)
            baselineValue = value(baseTable.sums(), baseN)
            // An independent stream for the baseline's resamples.
            let baseBootstrap = Bootstrap(resamples: resamples, seed: seed ^ 0x5851_F42D_4C95_7F2D)
            guard let baseValues = baseBootstrap.values(of: baseTable, statistic: { value($0, baseN) })
            else { return nil }
            values = zip(values, baseValues).map { $0 - $1 }
        }
        let distribution = BootstrapDistribution(values: values.filter(\.isFinite))
        return distribution.sorted.isEmpty ? nil : (distribution, baselineValue)
    }
}
