import Foundation
import TestSupport

/// A repository whose one stage is a built-in trainer, run once so HEAD has a passing record and
/// an artifact; and rows to predict, as CSV lines (the same text goes into the JSON requests).
final class ServingFixture {
    enum Trainer: String, CaseIterable, Sendable {
        case linear = "linear-regression"
        case logistic = "logistic-regression"
        case kmeans = "kmeans"
    }

    let repo: TemporaryRepository
    let trainer: Trainer
    /// Rows to predict, each the CSV text of `a` and `b` (full-precision decimals).
    let rows: [(a: String, b: String)]

    /// Deterministic uniform numbers in [0, 1).
    struct Numbers {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// `rows` rows of a ∈ [0, 10), b ∈ [0, 5) (+ `shift` on a), with a target for `trainer`.
    static func csv(_ trainer: Trainer, rows: Int, seed: UInt64, shift: Double = 0) -> String {
        var numbers = Numbers(state: seed)
        var lines = [trainer == .kmeans ? "a,b" : "a,b,y"]
        for _ in 0..<rows {
            let a = numbers.next() * 10 + shift
            let b = numbers.next() * 5
            switch trainer {
            case .linear: lines.append("\(a),\(b),\(3 * a - 2 * b + 1 + numbers.next() - 0.5)")
            case .logistic:
                let score = a - 2 * b + (numbers.next() - 0.5) * 3
                lines.append("\(a),\(b),\(score < -2 ? "low" : score < 2 ? "mid" : "high")")
            case .kmeans: lines.append("\(a),\(b)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    init(_ trainer: Trainer) throws {
        self.trainer = trainer
        repo = try TemporaryRepository()
        let target = trainer == .kmeans ? "" : ", target: y"
        try repo.commit(
            files: [
                "modelgate.yml":
                    "name: served\nstages:\n  - {name: train, builtin: \(trainer.rawValue), data: data/train.csv\(target)}\ngates: []\n",
                "data/train.csv": Self.csv(trainer, rows: 300, seed: 7),
            ], message: "a \(trainer.rawValue) model")
        let run = try ModelgateBinary.run(["run"], in: repo.url)
        guard run.status == 0 else { throw TestFailure("modelgate run failed: \(run.output)") }
        let lines = Self.csv(trainer, rows: 25, seed: 99).split(separator: "\n").dropFirst()
        rows = lines.map { line in
            let fields = line.split(separator: ",").map(String.init)
            return (fields[0], fields[1])
        }
    }

    /// `modelgate serve HEAD` in the repository.
    func serve(_ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(try ModelgateBinary.url, ["serve"] + extra, in: repo.url)
    }

    /// `modelgate artifact export HEAD` into a new directory.
    func exportArtifact() throws -> URL {
        let directory = repo.directory.appending("export-\(UInt32.random(in: 0...UInt32.max))")
        let export = try ModelgateBinary.run(
            ["artifact", "export", "HEAD", "--to", directory.path], in: repo.url)
        guard export.status == 0 else { throw TestFailure("export failed: \(export.output)") }
        return directory
    }

    /// `modelgate predict` on the rows with the artifact's model file: one line per row.
    func predictLines() throws -> [[String]] {
        let model = try exportArtifact().appendingPathComponent("train.model.json")
        let input = repo.directory.appending("rows.csv")
        try ("a,b\n" + rows.map { "\($0.a),\($0.b)" }.joined(separator: "\n") + "\n").write(
            to: input, atomically: true, encoding: .utf8)
        let result = try ModelgateBinary.run(["predict", "--model", model.path, input.path], in: repo.url)
        guard result.status == 0 else { throw TestFailure("predict failed: \(result.output)") }
        return result.stdout.split(separator: "\n").dropFirst().map {
            $0.split(separator: ",").map(String.init)
        }
    }
}
