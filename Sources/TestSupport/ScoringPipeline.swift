/// The small pipeline many tests share: one command stage, `sh score.sh`, that reads
/// `data/a.csv`, appends a line to a counter file outside the repository (so tests can tell
/// whether it ran), and reports r2 = 0.9 + rows/100.
public enum ScoringPipeline {
    /// `modelgate.yml` with the scoring stage; `extra` is appended as more top-level keys
    /// (gates, baseline, hooks), written at column 0.
    public static func config(timeout: String, extra: String) -> String {
        """
        name: demo
        stages:
          - name: evaluate
            cmd: sh score.sh
            deps: [score.sh, "data/*.csv"]
            metrics: metrics.json
            timeout: \(timeout)
        \(extra)
        """
    }

    /// The stage's script; it counts its runs in `counter`. `testRows` adds `test.rows` to the metrics.
    public static func script(counter: String, testRows: Bool) -> String {
        let metrics =
            testRows
            ? #"printf '{"r2": %s, "test": {"rows": %s}}' "0.9$rows" "$rows" > metrics.json"#
            : #"printf '{"r2": %s}' "0.9$rows" > metrics.json"#
        return """
            echo run >> '\(counter)'
            rows=$(($(wc -l < data/a.csv) - 1))
            echo "rows: $rows"
            \(metrics)

            """
    }
}
