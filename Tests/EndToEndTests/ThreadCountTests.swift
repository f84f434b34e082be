import Foundation
import TestSupport
import Testing

/// `MODELGATE_THREADS` changes the speed of the built-in trainers, never their models: trained
/// with 1, 2 and 7 threads, each writes the same model bytes (metrics included).
@Suite struct ThreadCountTests {
    /// Rows enough for two 16,384-row blocks of training rows, so the reductions run in parallel.
    static func data(rows: Int) -> String {
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var lines = ["a,b,c,y,label"]
        lines.reserveCapacity(rows + 1)
        for _ in 0..<rows {
            let (a, b, c) = (next() * 10, next() * 5 - 2, next())
            let y = 3 * a - 2 * b + c + (next() - 0.5)
            let label = a + 2 * b + (next() - 0.5) * 4 > 6 ? "yes" : "no"
            lines.append(
                "\(String(format: "%.7f", a)),\(String(format: "%.7f", b)),\(String(format: "%.7f", c)),\(String(format: "%.9f", y)),\(label)"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let trainers: [(kind: String, arguments: [String])] = [
        ("linear-regression", ["--target", "y", "--features", "a,b,c"]),
        ("logistic-regression", ["--target", "label", "--features", "a,b,c"]),
        ("kmeans", ["--features", "a,b,c", "--option", "n_clusters=4", "--option", "n_init=2"]),
    ]

    @Test func trainWritesTheSameModelBytesWithAnyThreadCount() throws {
        let repo = try TemporaryRepository()
        try repo.write(["d.csv": Self.data(rows: 36_000)])
        for trainer in Self.trainers {
            var models: [Data] = []
            for threads in ["1", "2", "7"] {
                let model = "\(trainer.kind)-\(threads).json"
                let result = try ModelgateBinary.run(
                    ["train", "--builtin", trainer.kind, "--data", "d.csv", "--model", model]
                        + trainer.arguments,
                    in: repo.url, environment: ["MODELGATE_THREADS": threads])
                #expect(result.status == 0, "\(result.stderr)")
                models.append(try Data(contentsOf: repo.url.appendingPathComponent(model)))
            }
            #expect(models[0].count > 100)
            #expect(models[1] == models[0], "\(trainer.kind): 2 threads")
            #expect(models[2] == models[0], "\(trainer.kind): 7 threads")
        }
    }

    @Test func theRecordStatesTheThreadCountOutsideTheFingerprint() throws {
        let repo = try TemporaryRepository()
        let config =
            "stages:\n  - {name: train, builtin: linear-regression, data: d.csv, target: y, split: 0.2}\n"
        try repo.commit(files: ["modelgate.yml": config, "d.csv": Self.data(rows: 200)], message: "one")
        let first = try ModelgateBinary.run(
            ["run", "--json"], in: repo.url, environment: ["MODELGATE_THREADS": "3"])
        #expect(first.status == 0, "\(first.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        #expect(record?["threads"] as? Int == 3)
        // Another thread count is not another input: the amended commit's verdict comes from the cache.
        try repo.git(["commit", "--amend", "--quiet", "-m", "one, reworded"])
        let again = try ModelgateBinary.run(
            ["run", "--json"], in: repo.url, environment: ["MODELGATE_THREADS": "1"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"cached\" : true"))
        let cached = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(cached?["fingerprint"] as? String == record?["fingerprint"] as? String)
    }

    @Test(arguments: ["0", "two", "-3", "100000"])
    func aBadThreadCountIsBadInputNamingTheVariable(value: String) throws {
        let repo = try TemporaryRepository()
        try repo.write(["d.csv": Self.data(rows: 50)])
        let result = try ModelgateBinary.run(
            [
                "train", "--builtin", "linear-regression", "--data", "d.csv", "--target", "y", "--model",
                "m.json",
            ],
            in: repo.url, environment: ["MODELGATE_THREADS": value])
        #expect(result.status == 2)
        #expect(result.stderr.contains("MODELGATE_THREADS is '\(value)'; expected a whole number of threads"))
        #expect(!FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("m.json").path))
    }
}
