/// How one gate judged one run.
public struct GateResult: Codable, Sendable, Equatable {
    /// The outcome of a single gate.
    public enum Status: String, Codable, Sendable {
        /// The value is within the limit.
        case pass
        /// The value is outside the limit.
        case fail
        /// A change bound with nothing to compare against; reported, neither pass nor fail.
        case noBaseline = "no-baseline"
        /// The stages did not report this metric, so the gate cannot pass.
        case missing
    }

    /// The metric's name.
    public let metric: String
    /// min, max, max_drop or max_rise.
    public let kind: Gate.Kind
    /// The configured limit.
    public let limit: Double
    /// Whether a change bound is relative to the baseline.
    public let relative: Bool
    /// The candidate's value, if the metric was reported.
    public let value: Double?
    /// The baseline's value, for change bounds (and for context on thresholds when known).
    public let baseline: Double?
    /// true / false, or nil when the gate could not be judged (no baseline).
    public let passed: Bool?
    /// The outcome in words scripts can switch on.
    public let status: Status

    // A gate with a `confidence` level adds what the data say (README, "Run record"); all nil
    // for a plain gate and in records written before them.

    /// The gate's two-sided confidence level.
    public var confidence: Double?
    /// [lower, upper]: the interval of the value (thresholds) or of the change in the gate's
    /// direction (the drop for max_drop, the rise for max_rise).
    public var interval: [Double]?
    /// The one-sided p-value of "the gate holds", after the run's correction.
    public var pValue: Double?
    /// clopper-pearson, mcnemar, two-proportion, delong or bootstrap-percentile.
    public var method: String?
    /// Whether candidate and baseline were compared example by example.
    public var paired: Bool?
    /// The number of test examples.
    public var n: Int?
    /// pass, fail or inconclusive: what the interval says (`status` follows `on_inconclusive`).
    public var outcome: String?
    /// The smallest violation this test set detects with 80 % power.
    public var mde: Double?

    enum CodingKeys: String, CodingKey {
        case metric, kind, limit, relative, value, baseline, passed, status
        case confidence, interval, method, paired, n, outcome, mde
        case pValue = "p_value"
    }

    /// The first significance field that is out of range, or nil (`RecordLimits`).
    var significanceProblem: String? {
        if let confidence, !(confidence >= 0 && confidence <= 1) { return "confidence" }
        if let interval, interval.count != 2 || !interval.allSatisfy(\.isFinite) || interval[0] > interval[1]
        {
            return "interval"
        }
        if let pValue, !(pValue >= 0 && pValue <= 1) { return "p_value" }
        if let n, n < 0 { return "n" }
        if let mde, !mde.isFinite { return "mde" }
        if let outcome, !["pass", "fail", "inconclusive"].contains(outcome) { return "outcome" }
        if let method, method.utf8.count > 40 || !method.allSatisfy({ $0.isLetter || $0 == "-" }) {
            return "method"
        }
        return nil
    }

    /// value - baseline, when both are known.
    public var delta: Double? {
        guard let value, let baseline else { return nil }
        return value - baseline
    }

    /// Judges `gate` on `metrics`, against `baseline` metrics when there is a baseline run.
    ///
    /// `unmeasured` says the metric could not be measured for lack of a baseline (drift): the gate
    /// is then `no-baseline`, like a change bound without one, instead of `missing`.
    public static func judge(
        _ gate: Gate, metrics: [String: Double], baseline: [String: Double]?, unmeasured: Bool = false
    ) -> GateResult {
        let value = metrics[gate.metric]
        let base = baseline?[gate.metric]
        func result(_ status: Status) -> GateResult {
            GateResult(
                metric: gate.metric, kind: gate.kind, limit: gate.limit, relative: gate.relative,
                value: value, baseline: base,
                passed: status == .pass ? true : status == .noBaseline ? nil : false, status: status)
        }
        guard let value, value.isFinite else { return result(unmeasured ? .noBaseline : .missing) }
        switch gate.kind {
        case .min: return result(value >= gate.limit ? .pass : .fail)
        case .max: return result(value <= gate.limit ? .pass : .fail)
        case .maxDrop, .maxRise:
            guard let base, base.isFinite else { return result(.noBaseline) }
            // A drop is baseline - value; a rise is value - baseline. Relative bounds scale by the
            // baseline's magnitude so that a negative baseline keeps the direction right.
            let change = gate.kind == .maxDrop ? base - value : value - base
            let allowed = gate.relative ? gate.limit * abs(base) : gate.limit
            // A tiny tolerance keeps a bound of exactly 0 from failing on floating-point noise.
            return result(change <= allowed + 1e-12 * max(1, abs(base)) ? .pass : .fail)
        }
    }
}
