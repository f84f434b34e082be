import Foundation

/// Judges one gate with a confidence level: pass when the interval lies entirely on the good side
/// of the limit, fail when entirely on the bad side, inconclusive when it straddles it.
///
/// **Mechanism.** Every gate is rewritten as a badness B that is positive exactly when the gate
/// is violated — `limit − value` for `min`, `value − limit` for `max`, `drop − allowed` for
/// `max_drop`, `rise − allowed` for `max_rise` — and the method's two-sided interval at the
/// configured confidence is mapped onto B. The standard method for the case supplies the interval:
/// Clopper–Pearson for an accuracy threshold, exact McNemar's pairs (Agresti–Min interval) against
/// a paired baseline, the two-proportion test unpaired, DeLong for ROC AUC (paired when the
/// baseline scored the same examples), and the bootstrap percentile interval for every metric that
/// is a function of per-example sums. `pValue` is the one-sided p-value of "the gate holds" (small
/// means the data show a violation); the run's correction across gates adjusts it.
///
/// **Guarantee.** The result depends only on the inputs and the seed: no clock, no thread count.
public enum GateSignificance {
    /// The kind of bound, as in the gate's configuration.
    public enum Bound: String, Sendable {
        /// value ≥ limit.
        case min
        /// value ≤ limit.
        case max
        /// baseline − value ≤ allowed.
        case maxDrop = "max_drop"
        /// value − baseline ≤ allowed.
        case maxRise = "max_rise"
    }

    /// What one gate asks.
    public struct Question: Sendable {
        /// The metric's name (scikit-learn's names).
        public let metric: String
        /// The bound.
        public let bound: Bound
        /// The configured limit.
        public let limit: Double
        /// Whether a change bound is a fraction of the baseline.
        public let relative: Bool
        /// The two-sided confidence level, in (0.5, 1).
        public let confidence: Double

        /// A question about `metric`.
        public init(metric: String, bound: Bound, limit: Double, relative: Bool, confidence: Double) {
            self.metric = metric
            self.bound = bound
            self.limit = limit
            self.relative = relative
            self.confidence = confidence
        }
    }

    /// What the data say about one gate.
    public enum Outcome: String, Codable, Sendable {
        /// The interval is entirely on the good side.
        case pass
        /// The interval is entirely on the bad side.
        case fail
        /// The interval straddles the limit.
        case inconclusive
    }

    /// The judgement of one gate.
    public struct Result: Sendable, Equatable {
        /// pass, fail or inconclusive.
        public var outcome: Outcome
        /// The interval of the value (thresholds) or of the change in the gate's direction (the
        /// drop for `max_drop`, the rise for `max_rise`).
        public let interval: Interval
        /// The one-sided p-value of "the gate holds".
        public let pValue: Double
        /// The method's name: clopper-pearson, mcnemar, two-proportion, delong, bootstrap-percentile.
        public let method: String
        /// Whether candidate and baseline were compared example by example.
        public let paired: Bool
        /// The number of candidate examples.
        public let count: Int
        /// The smallest violation this many examples detect with 80 % power at this confidence.
        public let minimumDetectableEffect: Double

        /// A judgement from its parts.
        public init(
            outcome: Outcome, interval: Interval, pValue: Double, method: String, paired: Bool, count: Int,
            minimumDetectableEffect: Double
        ) {
            self.outcome = outcome
            self.interval = interval
            self.pValue = pValue
            self.method = method
            self.paired = paired
            self.count = count
            self.minimumDetectableEffect = minimumDetectableEffect
        }
    }

    /// The baseline a change bound compares with.
    public enum Baseline: Sendable {
        /// The baseline's results on examples of its own (paired when they are the candidate's
        /// examples in the same order).
        case results(ExampleResults, paired: Bool)
        /// Only the baseline's value is known: it is taken as a constant.
        case value(Double)
    }

    /// Judges `question` on `candidate`; nil when no method applies to the metric and task (or
    /// a change bound has no baseline).
    public static func judge(
        _ question: Question, candidate: ExampleResults, baseline: Baseline?, resamples: Int, seed: UInt64
    ) -> Result? {
        guard candidate.count > 0 else { return nil }
        let isChange = question.bound == .maxDrop || question.bound == .maxRise
        var fixedBaseline: Double?
        var other: (results: ExampleResults, paired: Bool)?
        if isChange {
            switch baseline {
            case .none: return nil
            case .value(let value): fixedBaseline = value
            case .results(let results, let paired):
                guard results.task == candidate.task, results.count > 0 else { return nil }
                other = (
                    results, paired && results.count == candidate.count && results.truth == candidate.truth
                )
            }
        }
        guard
            let evidence = evidence(
                for: question, candidate: candidate, other: other, resamples: resamples, seed: seed)
        else { return nil }
        // X is the value (thresholds, constant baseline) or candidate − baseline (compared results).
        let baseValue = fixedBaseline ?? evidence.baselineEstimate
        let allowed = question.relative ? question.limit * abs(baseValue ?? 0) : question.limit
        let sign: Double
        let offset: Double
        switch question.bound {
        case .min: (sign, offset) = (-1, question.limit)
        case .max: (sign, offset) = (1, -question.limit)
        case .maxDrop: (sign, offset) = (-1, (fixedBaseline ?? 0) - allowed)
        case .maxRise: (sign, offset) = (1, -(fixedBaseline ?? 0) - allowed)
        }
        let x = evidence.interval(question.confidence)
        let badness = Interval(sign * x.lower + offset, sign * x.upper + offset)
        let tolerance = 1e-12 * max(1, abs(baseValue ?? question.limit))
        let outcome: Outcome =
            badness.upper <= tolerance ? .pass : badness.lower > tolerance ? .fail : .inconclusive
        // The reported interval: the value for thresholds, the change in the gate's direction.
        let reported: Interval
        switch question.bound {
        case .min, .max: reported = x
        case .maxDrop:
            reported =
                fixedBaseline.map { Interval($0 - x.upper, $0 - x.lower) } ?? Interval(-x.upper, -x.lower)
        case .maxRise: reported = fixedBaseline.map { Interval(x.lower - $0, x.upper - $0) } ?? x
        }
        let z =
            Distributions.normalQuantile(1 - (1 - question.confidence) / 2)
            + Distributions.normalQuantile(0.8)
        return Result(
            outcome: outcome, interval: reported, pValue: evidence.pHolds(sign, offset),
            method: evidence.method,
            paired: other?.paired ?? false, count: candidate.count,
            minimumDetectableEffect: z * evidence.standardError)
    }

    /// Adjusts the p-values of the gates judged in one run and turns a `fail` whose adjusted
    /// p-value no longer reaches its level into `inconclusive`.
    public static func correct(_ results: [Result], confidences: [Double], method: MultipleTesting.Method)
        -> [Result]
    {
        let adjusted = MultipleTesting.adjust(results.map(\.pValue), method: method)
        return zip(results.indices, adjusted).map { index, p in
            var result = results[index]
            if result.outcome == .fail && !(p <= (1 - confidences[index]) / 2) {
                result.outcome = .inconclusive
            }
            return result
        }
    }

    /// An estimate of X with its interval, one-sided p-value and standard error.
    private struct Evidence {
        let method: String
        let standardError: Double
        let baselineEstimate: Double?
        /// X's two-sided interval at a confidence.
        let interval: (Double) -> Interval
        /// P-value of B = sign·X + offset ≤ 0.
        let pHolds: (Double, Double) -> Double
    }

    private static func normalEvidence(method: String, estimate: Double, se: Double, baseline: Double?)
        -> Evidence
    {
        Evidence(
            method: method, standardError: se, baselineEstimate: baseline,
            interval: { confidence in
                let z = Distributions.normalQuantile(1 - (1 - confidence) / 2)
                return Interval(estimate - z * se, estimate + z * se)
            },
            pHolds: { sign, offset in
                let b = sign * estimate + offset
                guard se > 0 else { return b > 0 ? 0 : 1 }
                return Distributions.normalCDF(-b / se)
            })
    }

    private static func evidence(
        for question: Question, candidate: ExampleResults, other: (results: ExampleResults, paired: Bool)?,
        resamples: Int, seed: UInt64
    ) -> Evidence? {
        switch (question.metric, candidate.task) {
        case ("accuracy", .classification):
            guard MetricColumns.valid(candidate) else { return nil }
            let n = candidate.count
            let correct = zip(candidate.truth, candidate.predicted).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
            guard let other else { return exactEvidence(correct: correct, count: n) }
            let base = other.results
            guard MetricColumns.valid(base) else { return nil }
            let baseCorrect = zip(base.truth, base.predicted).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
            let baseAccuracy = Double(baseCorrect) / Double(base.count)
            if other.paired {
                var candidateOnly = 0
                var baselineOnly = 0
                for i in 0..<n {
                    let c = candidate.truth[i] == candidate.predicted[i]
                    let b = base.truth[i] == base.predicted[i]
                    if c && !b { candidateOnly += 1 }
                    if b && !c { baselineOnly += 1 }
                }
                guard let test = McNemar(candidateOnly: candidateOnly, baselineOnly: baselineOnly, total: n)
                else { return nil }
                return normalEvidence(
                    method: "mcnemar", estimate: test.difference, se: test.standardError,
                    baseline: baseAccuracy)
            }
            guard
                let test = Proportions.twoSample(
                    successes: correct, trials: n, versus: baseCorrect, trials: base.count, confidence: 0.95)
            else { return nil }
            return normalEvidence(
                method: "two-proportion", estimate: test.difference, se: test.standardError,
                baseline: baseAccuracy)
        case ("roc_auc", .classification(let classes)):
            guard classes == 2, candidate.probabilities.count == 2 * candidate.count else { return nil }
            let positive = candidate.truth.map { $0 == 1 }
            let scores = (0..<candidate.count).map { candidate.probabilities[2 * $0 + 1] }
            guard let other else {
                guard let estimate = DeLong.estimate(positive: positive, scores: scores) else { return nil }
                return normalEvidence(
                    method: "delong", estimate: estimate.auc, se: estimate.variance.squareRoot(),
                    baseline: nil)
            }
            let base = other.results
            guard base.probabilities.count == 2 * base.count else { return nil }
            let baseScores = (0..<base.count).map { base.probabilities[2 * $0 + 1] }
            if other.paired {
                guard
                    let comparison = DeLong.compare(
                        positive: positive, candidate: scores, baseline: baseScores)
                else { return nil }
                return normalEvidence(
                    method: "delong", estimate: comparison.difference, se: comparison.standardError,
                    baseline: comparison.baseline)
            }
            guard let a = DeLong.estimate(positive: positive, scores: scores),
                let b = DeLong.estimate(positive: base.truth.map { $0 == 1 }, scores: baseScores)
            else { return nil }
            return normalEvidence(
                method: "delong", estimate: a.auc - b.auc, se: (a.variance + b.variance).squareRoot(),
                baseline: b.auc)
        default:
            return bootstrapEvidence(
                metric: question.metric, candidate: candidate, other: other, resamples: resamples, seed: seed)
        }
    }

    private static func exactEvidence(correct: Int, count n: Int) -> Evidence {
        let p = Double(correct) / Double(n)
        let clipped = min(max(p, 0.5 / Double(n)), 1 - 0.5 / Double(n))
        return Evidence(
            method: "clopper-pearson", standardError: (clipped * (1 - clipped) / Double(n)).squareRoot(),
            baselineEstimate: nil,
            interval: { confidence in
                Proportions.clopperPearson(successes: correct, trials: n, confidence: confidence)
                    ?? Interval(0, 1)
            },
            pHolds: { sign, offset in
                // B ≤ 0 means accuracy ≥ t (sign −1) or ≤ t (sign +1), t the limit on accuracy.
                let t = min(max(sign < 0 ? offset : -offset, 0), 1)
                if sign < 0 { return Distributions.binomialCDF(correct, trials: n, probability: t) }
                return 1 - Distributions.binomialCDF(correct - 1, trials: n, probability: t)
            })
    }

    private static func bootstrapEvidence(
        metric: String, candidate: ExampleResults, other: (results: ExampleResults, paired: Bool)?,
        resamples: Int, seed: UInt64
    ) -> Evidence? {
        guard
            let (distribution, baselineEstimate) = MetricBootstrap.distribution(
                of: metric, candidate: candidate, baseline: other?.results, paired: other?.paired ?? false,
                resamples: resamples, seed: seed)
        else { return nil }
        guard !distribution.sorted.isEmpty else { return nil }
        return Evidence(
            method: "bootstrap-percentile", standardError: distribution.standardError,
            baselineEstimate: baselineEstimate,
            interval: { distribution.percentileInterval(confidence: $0) },
            pHolds: { sign, offset in
                // B ≤ 0 ⟺ X ≤ −offset (sign +1) or X ≥ offset (sign −1).
                sign > 0 ? 1 - distribution.fraction(above: -offset) : distribution.fraction(above: offset)
            })
    }
}
