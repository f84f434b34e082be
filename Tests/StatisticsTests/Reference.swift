import Foundation
import TestSupport
import Testing

/// Reference values from statsmodels and scipy, computed by Tests/Fixtures/statistics/reference.py
/// with the test virtualenv's interpreter (`scripts/install-test-tools.sh stats`, run by `make deps`).
enum Reference {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build-tools/stats/bin/python")
    static let script = root.appendingPathComponent("Tests/Fixtures/statistics/reference.py")

    /// The reference's answers to `cases` of `kind`, decoded from JSON. Fails the test (never
    /// skips it) when the virtualenv is missing.
    static func answers<Answer: Decodable>(_ kind: String, _ cases: Any, as: Answer.Type) throws -> [Answer] {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw ReferenceError(
                message:
                    "no .build-tools/stats virtualenv: run 'scripts/install-test-tools.sh stats' (make deps)")
        }
        let request = try JSONSerialization.data(withJSONObject: ["kind": kind, "cases": cases])
        let result = try ProcessRunner.run(
            python.path, [script.path], in: root, input: String(decoding: request, as: UTF8.self))
        guard result.status == 0 else {
            throw ReferenceError(message: "reference.py failed: \(result.stderr)")
        }
        return try JSONDecoder().decode([Answer].self, from: Data(result.stdout.utf8))
    }

    struct ReferenceError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// |a − b| within `relative` of b's magnitude (or `absolute`).
func close(_ a: Double, _ b: Double, relative: Double = 1e-9, absolute: Double = 1e-12) -> Bool {
    abs(a - b) <= max(absolute, relative * abs(b))
}
