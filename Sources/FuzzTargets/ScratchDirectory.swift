import Foundation

/// A fresh directory for one input of an entry that needs files, removed when `body` returns.
///
/// Every directory lives under one per-process directory in the system's temporary directory
/// (`modelgate-fuzz-<pid>`), removed at exit, so a fuzzing run leaves nothing behind even when
/// entries run in parallel (the regression test) or an input is abandoned.
enum ScratchDirectory {
    private static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(
                at: FileManager.default.temporaryDirectory.appendingPathComponent(
                    "modelgate-fuzz-\(getpid())"))
        }
        return root
    }()

    /// Calls `body` with an empty directory of its own.
    static func with<Result>(_ body: (URL) throws -> Result) rethrows -> Result {
        let directory = root.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }
}
