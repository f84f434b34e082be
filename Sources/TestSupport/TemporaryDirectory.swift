import Foundation

/// A fresh directory under the system's temporary directory, removed when this is released.
public final class TemporaryDirectory {
    /// The directory's location (symlinks resolved, so it compares equal to what git prints).
    public let url: URL

    /// Creates a new empty directory whose name starts with `prefix`.
    public init(prefix: String = "modelgate-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        let candidate = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: candidate, withIntermediateDirectories: true)
        url = candidate.resolvingSymlinksInPath()
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A path inside the directory.
    public func appending(_ relativePath: String) -> URL {
        url.appendingPathComponent(relativePath)
    }
}
