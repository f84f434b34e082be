// `make bench-significance`: the speed of every significance method at n = 100,000 with
// 10,000 resamples, and the calibration study (A/A false-fail rates and power).
// Built only with MODELGATE_BENCH=1 (see Package.swift); never part of an ordinary build.
import Foundation
import Statistics

/// Seconds taken by `body` (best of three).
func seconds(_ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

/// A deterministic normal draw (Box–Muller).
func normal(_ generator: inout SplitMix64) -> Double {
    let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
    let v = Double.random(in: 0..<1, using: &generator)
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
}

func timing() {
    let n = 100_000
    let resamples = 10_000
    var generator = SplitMix64(seed: 1)
    let truth = (0..<n).map { _ in normal(&generator) * 3 + 10 }
    let a = truth.map { $0 + normal(&generator) }
    let b = truth.map { $0 + normal(&generator) * 1.02 }
    let regressionA = ExampleResults(task: .regression, truth: truth, predicted: a)
    let regressionB = ExampleResults(task: .regression, truth: truth, predicted: b)
    let labels = (0..<n).map { _ in Double(Int.random(in: 0...1, using: &generator)) }
    let scoresA = labels.map { min(max(0.5 + ($0 - 0.5) * 0.4 + normal(&generator) * 0.25, 0.001), 0.999) }
    let scoresB = labels.map { min(max(0.5 + ($0 - 0.5) * 0.38 + normal(&generator) * 0.25, 0.001), 0.999) }
    func classifier(_ scores: [Double]) -> ExampleResults {
        ExampleResults(
            task: .classification(classes: 2), truth: labels, predicted: scores.map { $0 >= 0.5 ? 1 : 0 },
            probabilities: scores.flatMap { [1 - $0, $0] })
    }
    let classA = classifier(scoresA)
    let classB = classifier(scoresB)
    let clustering = ExampleResults(clusteringLosses: a.map { $0 * $0 })
    print("| method | metric | n | resamples | seconds (best of 3) |")
    print("|---|---|---|---|---|")
    for metric in ["rmse", "r2", "mae"] {
        let t = seconds {
            _ = MetricBootstrap.distribution(
                of: metric, candidate: regressionA, baseline: regressionB, paired: true, resamples: resamples,
                seed: 7)
        }
        print("| paired bootstrap | \(metric) | \(n) | \(resamples) | \(String(format: "%.3f", t)) |")
    }
    for metric in ["f1", "log_loss", "precision"] {
        let t = seconds {
            _ = MetricBootstrap.distribution(
                of: metric, candidate: classA, baseline: classB, paired: true, resamples: resamples, seed: 7)
        }
        print("| paired bootstrap | \(metric) | \(n) | \(resamples) | \(String(format: "%.3f", t)) |")
    }
    let inertia = seconds {
        _ = MetricBootstrap.distribution(of: "inertia", candidate: clustering, resamples: resamples, seed: 7)
    }
    print("| bootstrap (threshold) | inertia | \(n) | \(resamples) | \(String(format: "%.3f", inertia)) |")
    let judged: [(String, String, GateSignificance.Bound)] = [
        ("mcnemar (paired gate)", "accuracy", .maxDrop),
        ("clopper-pearson (threshold gate)", "accuracy", .min),
        ("delong (paired gate)", "roc_auc", .maxDrop),
    ]
    for (name, metric, bound) in judged {
        let t = seconds {
            _ = GateSignificance.judge(
                .init(
                    metric: metric, bound: bound, limit: bound == .min ? 0.8 : 0.01, relative: false,
                    confidence: 0.95),
                candidate: classA, baseline: .results(classB, paired: true), resamples: resamples, seed: 7)
        }
        print("| \(name) | \(metric) | \(n) | - | \(String(format: "%.3f", t)) |")
    }
}

let arguments = CommandLine.arguments.dropFirst()
// calibration [TRIALS [CHART.svg [SIZES]]] | timing   (SIZES: comma-separated test-set sizes)
if arguments.first == "calibration" {
    calibration(Array(arguments.dropFirst()))
} else {
    timing()
}
