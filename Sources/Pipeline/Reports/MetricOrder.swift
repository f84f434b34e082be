/// The order metrics are shown to a person in (the site's charts and tables, a release tag's
/// metrics line): what decides a verdict first, data checks last.
public enum MetricOrder {
    /// `names` ordered: the metrics of `gates` among them first, in gate order and once each;
    /// then the model's own metrics (no dot in the name); then namespaced ones (a data check's
    /// `missing.age`); each of the last two by name.
    public static func forReading(_ names: Set<String>, gates: [String]) -> [String] {
        var gated: [String] = []
        for metric in gates where names.contains(metric) && !gated.contains(metric) {
            gated.append(metric)
        }
        return gated
            + names.subtracting(gated).sorted { first, second in
                let (one, other) = (first.contains("."), second.contains("."))
                return one == other ? first < second : !one
            }
    }
}
