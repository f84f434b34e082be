import Prometheus

/// The Prometheus metrics `GET /metrics` writes (names fixed by the Grafana panels):
/// `modelgate_requests_total{route,status}`, `modelgate_request_duration_seconds{route}`,
/// `modelgate_rows_predicted_total`, `modelgate_prediction_value`,
/// `modelgate_feature_drift_psi{feature}`, `modelgate_model_info{model,commit,version,artifact}`,
/// and `modelgate_inference_requests_in_flight`. Kept by swift-prometheus, which writes the text
/// format (HELP and TYPE lines, label escaping, cumulative buckets).
final class ServingMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let rowsPredicted: Counter
    private let predictionValues: ValueHistogram
    private let inFlight: Gauge
    private let drift: DriftMonitor?
    private let driftGauges: [Gauge]

    /// Request latency buckets, in seconds: 100 µs to 10 s.
    static let durationBuckets = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "modelgate", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by route pattern and status code.")
    }
    private static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "modelgate", metricName: "request_duration", unitName: "seconds",
            helpText: "Time from request head to response, by route pattern.")
    }

    init(model: ServedModel, drift: DriftMonitor?) {
        self.drift = drift
        rowsPredicted = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "modelgate", metricName: "rows_predicted", unitName: "total",
                helpText: "Rows predicted, over all requests."))
        predictionValues = registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "modelgate", metricName: "prediction", unitName: "value",
                helpText:
                    "Predicted values: the regression value, the class index or the cluster index."),
            buckets: Self.valueBuckets(for: model))
        inFlight = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "modelgate", metricName: "inference_requests_in_flight", unitName: "",
                helpText: "Inference requests received and not yet answered."))
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "modelgate", metricName: "model", unitName: "info",
                helpText: "The served model: name, commit, version and artifact digest (value 1)."),
            labels: [
                ("model", model.name), ("commit", model.commit), ("version", model.version),
                ("artifact", model.artifact),
            ]
        ).set(to: 1)
        let driftDescriptor = MetricNameDescriptor(
            namespace: "modelgate", metricName: "feature_drift", unitName: "psi",
            helpText:
                "Population stability index of each feature over the last \(DriftMonitor.window) rows served, against the training rows."
        )
        let registry = self.registry
        driftGauges = (drift?.features ?? []).map {
            registry.makeGauge(descriptor: driftDescriptor, labels: [("feature", $0)])
        }
    }

    /// Regression: symmetric decades from ±0.01 to ±10⁶. Classifier and k-means: one bucket per index.
    static func valueBuckets(for model: ServedModel) -> [Double] {
        switch model.predictor.kind {
        case "linear-regression":
            let positive = (-2...6).map { pow10($0) }
            return positive.reversed().map { -$0 } + [0] + positive
        default:
            let count = max(model.predictor.probabilityCount, model.model.coefficients.count, 1)
            return (0..<count).map(Double.init)
        }
    }

    private static func pow10(_ exponent: Int) -> Double {
        var value = 1.0
        if exponent >= 0 {
            for _ in 0..<exponent { value *= 10 }
        } else {
            for _ in 0..<(-exponent) { value /= 10 }
        }
        return value
    }

    /// Counts a request and its latency.
    func observe(route: String, status: Int, seconds: Double) {
        registry.makeCounter(
            descriptor: Self.requests, labels: [("route", route), ("status", String(status))]
        )
        .increment()
        registry.makeValueHistogram(
            descriptor: Self.duration, labels: [("route", route)], buckets: Self.durationBuckets
        ).record(seconds)
    }

    /// Counts predicted rows, their values and their inputs (for drift).
    func observe(batch: InferenceBatch, values: [Double]) {
        rowsPredicted.increment(by: Int64(batch.rows))
        for value in values where value.isFinite { predictionValues.record(value) }
        drift?.record(batch.values, rows: batch.rows)
    }

    /// Marks an inference request started (+1) or answered (-1).
    func inFlight(_ change: Double) { inFlight.increment(by: change) }

    /// The text exposition, drift gauges brought up to date first.
    func exposition() -> [UInt8] {
        if let drift {
            for (gauge, value) in zip(driftGauges, drift.psi()) { gauge.set(to: value) }
        }
        return registry.emitToBuffer()
    }
}
