import Foundation

/// The built `modelgate` executable that end-to-end tests run.
public enum ModelgateBinary {
    /// `$MODELGATE_BIN` when set, else `modelgate` beside the running test bundle (same build folder).
    public static var url: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["MODELGATE_BIN"], !path.isEmpty {
                return URL(fileURLWithPath: path)
            }
            // SwiftPM puts the test runner and the executable products in the same folder.
            let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            var folder = runner.deletingLastPathComponent()
            while folder.path != "/" {
                let candidate = folder.appendingPathComponent("modelgate")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                    !isDirectory.boolValue, FileManager.default.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
            throw TestFailure(
                "modelgate binary not found near \(runner.path); run 'swift build' first or set MODELGATE_BIN"
            )
        }
    }

    /// Runs `modelgate arguments` in `directory` and returns what it printed and its exit status.
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], input: String? = nil
    ) throws -> ProcessResult {
        try ProcessRunner.run(try url.path, arguments, in: directory, environment: environment, input: input)
    }
}
