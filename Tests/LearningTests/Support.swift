import Foundation
import Testing

@testable import Learning

extension Tag {
    /// Tests that read large generated data or run many fits.
    @Tag static var slow: Self
}

/// Committed fixtures written by scripts/sklearn_reference.py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/learning")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// scikit-learn's answers.
    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: url("reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

extension Dictionary where Key == String, Value == Any {
    func object(_ key: String) throws -> [String: Any] {
        try #require(self[key] as? [String: Any], "no \(key)")
    }
    func numbers(_ key: String) throws -> [Double] { try #require(self[key] as? [Double], "no \(key)") }
    func matrix(_ key: String) throws -> [[Double]] { try #require(self[key] as? [[Double]], "no \(key)") }
    func number(_ key: String) throws -> Double { try #require(self[key] as? Double, "no \(key)") }
    func strings(_ key: String) throws -> [String] { try #require(self[key] as? [String], "no \(key)") }
    func metrics(_ key: String = "metrics") throws -> [String: Double] {
        try #require(self[key] as? [String: Double], "no \(key)")
    }
}

/// A directory of its own for one test, removed when the value goes away.
final class Scratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "learning-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes `contents` to `name` and returns its URL.
    func file(_ name: String, _ contents: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// The largest |a - b| / max(|b|, floor) over two equal-length lists.
func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
}

/// Expects every metric in `expected` to be within `tolerance` of `actual`'s.
func expectMetrics(
    _ actual: [String: Double], _ expected: [String: Double], tolerance: Double = 1e-9,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for (name, value) in expected {
        guard let mine = actual[name] else {
            Issue.record("metric \(name) missing", sourceLocation: sourceLocation)
            continue
        }
        #expect(
            abs(mine - value) <= tolerance, "\(name): \(mine) vs sklearn \(value)",
            sourceLocation: sourceLocation)
    }
}
