import Foundation
import Statistics

/// The calibration study: A/A comparisons (candidate and baseline are two models trained on
/// independent draws of the same distribution, so neither is better) and comparisons with a true
/// drop, judged by a plain gate (`max_drop: 0` / `max_rise: 0`) and by the same gate at
/// `confidence: 0.95`.
///
/// The models are simulated at the level the gates see — per-example results on one shared test
/// set — with the correlation real models have: both err on the hard examples (a shared latent
/// difficulty) and each adds its own noise (what a different training draw changes).
struct Simulation {
    enum Metric: String, CaseIterable {
        case accuracy
        case rocAUC = "roc_auc"
        case rmse
    }

    let metric: Metric
    let count: Int

    /// Candidate and baseline results on one test set; `drop` is the candidate's true loss
    /// (accuracy and AUC points; for rmse, a rise of `drop` × 100 % of the baseline's rmse).
    func pair(drop: Double, using generator: inout SplitMix64) -> (ExampleResults, ExampleResults) {
        let own = 0.7
        switch metric {
        case .accuracy:
            // Correct when difficulty + own noise < t: accuracy Φ(t / √(1 + own²)).
            let scale = (1 + own * own).squareRoot()
            let base = scale * Distributions.normalQuantile(0.85)
            let cand = scale * Distributions.normalQuantile(0.85 - drop)
            var truth: [Double] = []
            var a: [Double] = []
            var b: [Double] = []
            for _ in 0..<count {
                let y = Double(Int.random(in: 0...1, using: &generator))
                let difficulty = normal(&generator)
                truth.append(y)
                a.append(difficulty + own * normal(&generator) < cand ? y : 1 - y)
                b.append(difficulty + own * normal(&generator) < base ? y : 1 - y)
            }
            return (
                ExampleResults(task: .classification(classes: 2), truth: truth, predicted: a),
                ExampleResults(task: .classification(classes: 2), truth: truth, predicted: b)
            )
        case .rocAUC:
            // Scores: positives shifted by μ; AUC Φ(μ / √(2σ²)) with σ² = 1 + own².
            let spread = (2 * (1 + own * own)).squareRoot()
            let base = spread * Distributions.normalQuantile(0.85)
            let cand = spread * Distributions.normalQuantile(0.85 - drop)
            var truth: [Double] = []
            var a: [Double] = []
            var b: [Double] = []
            for _ in 0..<count {
                let y = Double(Int.random(in: 0...1, using: &generator))
                let shared = normal(&generator)
                truth.append(y)
                a.append(1 / (1 + exp(-(y * cand + shared + own * normal(&generator)))))
                b.append(1 / (1 + exp(-(y * base + shared + own * normal(&generator)))))
            }
            func results(_ scores: [Double]) -> ExampleResults {
                ExampleResults(
                    task: .classification(classes: 2), truth: truth,
                    predicted: scores.map { $0 >= 0.5 ? 1 : 0 },
                    probabilities: scores.flatMap { [1 - $0, $0] })
            }
            return (results(a), results(b))
        case .rmse:
            // prediction = y + shared error + own error: rmse √(1 + own²).
            let base = (1 + own * own).squareRoot()
            let candOwn = ((base * (1 + drop)) * (base * (1 + drop)) - 1).squareRoot()
            var truth: [Double] = []
            var a: [Double] = []
            var b: [Double] = []
            for _ in 0..<count {
                let y = normal(&generator) * 3
                let shared = normal(&generator)
                truth.append(y)
                a.append(y + shared + candOwn * normal(&generator))
                b.append(y + shared + own * normal(&generator))
            }
            return (
                ExampleResults(task: .regression, truth: truth, predicted: a),
                ExampleResults(task: .regression, truth: truth, predicted: b)
            )
        }
    }

    /// Fractions of `trials` comparisons failed by the plain gate and by the confident gate.
    func failRates(drop: Double, trials: Int, resamples: Int, seed: UInt64) -> (plain: Int, confident: Int) {
        var plain = 0
        var confident = 0
        let bound: GateSignificance.Bound = metric == .rmse ? .maxRise : .maxDrop
        let question = GateSignificance.Question(
            metric: metric.rawValue, bound: bound, limit: 0, relative: false, confidence: 0.95)
        for trial in 0..<trials {
            var generator = SplitMix64(seed: seed, stream: UInt64(trial))
            let (candidate, baseline) = pair(drop: drop, using: &generator)
            let a = MetricBootstrap.value(of: metric.rawValue, on: candidate) ?? .nan
            let b = MetricBootstrap.value(of: metric.rawValue, on: baseline) ?? .nan
            // The plain gate: any change in the bad direction fails.
            if metric == .rmse ? a > b : a < b { plain += 1 }
            if let result = GateSignificance.judge(
                question, candidate: candidate, baseline: .results(baseline, paired: true),
                resamples: resamples,
                seed: UInt64(trial)), result.outcome == .fail
            {
                confident += 1
            }
        }
        return (plain, confident)
    }
}

func calibration(_ arguments: [String]) {
    let trials = arguments.first.flatMap { Int($0) } ?? 1000
    let powerTrials = max(100, trials / 2)
    // Test-set sizes: the third argument, comma-separated, else the issue's three.
    let sizes =
        arguments.dropFirst(2).first.map { $0.split(separator: ",").compactMap { Int($0) } }
        ?? [1_000, 10_000, 100_000]
    let resamples = 2_000
    print("## A/A: false-fail rate (\(trials) comparisons each; 95 % Clopper–Pearson interval)\n")
    print("| metric | n | plain gate (max_drop 0) | confidence 0.95 | its 95 % interval |")
    print("|---|---|---|---|---|")
    for metric in Simulation.Metric.allCases {
        for n in sizes {
            let rates = Simulation(metric: metric, count: n).failRates(
                drop: 0, trials: trials, resamples: resamples, seed: 1)
            let interval = Proportions.clopperPearson(
                successes: rates.confident, trials: trials, confidence: 0.95)!
            print(
                "| \(metric.rawValue) | \(n) | \(percent(rates.plain, trials)) | \(percent(rates.confident, trials)) | [\(String(format: "%.1f", interval.lower * 100)) %, \(String(format: "%.1f", interval.upper * 100)) %] |"
            )
        }
    }
    print("\n## Power: fraction of true drops the confident gate fails (\(powerTrials) comparisons each)\n")
    let drops = [0.005, 0.01, 0.02, 0.05]
    print(
        "| metric | n | " + drops.map { "drop \(String(format: "%g", $0 * 100)) pt" }.joined(separator: " | ")
            + " |")
    print("|---|---|" + drops.map { _ in "---" }.joined(separator: "|") + "|")
    var curves: [(String, [Double])] = []
    for metric in Simulation.Metric.allCases {
        for n in sizes {
            var cells: [String] = []
            var curve: [Double] = []
            for (index, drop) in drops.enumerated() {
                let rates = Simulation(metric: metric, count: n).failRates(
                    drop: drop, trials: powerTrials, resamples: resamples, seed: 100 + UInt64(index))
                cells.append(percent(rates.confident, powerTrials))
                curve.append(Double(rates.confident) / Double(powerTrials))
            }
            curves.append(("\(metric.rawValue) n=\(n)", curve))
            print("| \(metric.rawValue) | \(n) | " + cells.joined(separator: " | ") + " |")
        }
    }
    if let path = arguments.dropFirst().first {
        try? chart(curves, drops: drops).write(toFile: path, atomically: true, encoding: .utf8)
    }
}

func percent(_ count: Int, _ total: Int) -> String {
    String(format: "%.1f %%", Double(count) / Double(total) * 100)
}

/// Power curves as an SVG line chart.
func chart(_ curves: [(String, [Double])], drops: [Double]) -> String {
    let width = 640.0
    let height = 360.0
    let left = 50.0
    let bottom = 40.0
    let plotWidth = width - left - 170
    let plotHeight = height - bottom - 20
    let colors = ["#1f77b4", "#aec7e8", "#d62728", "#ff9896", "#2ca02c", "#98df8a"]
    func x(_ i: Int) -> Double { left + Double(i) / Double(drops.count - 1) * plotWidth }
    func y(_ v: Double) -> Double { 20 + (1 - v) * plotHeight }
    var svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
        svg +=
            "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(y(tick))\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>"
        svg +=
            "<text x=\"\(left - 6)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(Int(tick * 100)) %</text>\n"
    }
    for (i, drop) in drops.enumerated() {
        svg +=
            "<text x=\"\(x(i))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(String(format: "%g", drop * 100)) pt</text>\n"
    }
    svg +=
        "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">true drop (rmse: % rise)</text>\n"
    for (index, (name, curve)) in curves.enumerated() {
        let color = colors[index % colors.count]
        let points = curve.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
        let ly = 30 + Double(index) * 18
        svg +=
            "<line x1=\"\(left + plotWidth + 15)\" x2=\"\(left + plotWidth + 35)\" y1=\"\(ly)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(left + plotWidth + 40)\" y=\"\(ly + 4)\">\(name)</text>\n"
    }
    return svg + "</svg>\n"
}
