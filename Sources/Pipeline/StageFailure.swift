import Diagnostics
import Foundation

/// A stage could not run: it crashed, timed out, or its output was unusable.
public struct StageFailure: UserFacingError, Equatable {
    /// What happened.
    public let summary: String
    /// The stage and file concerned.
    public let location: String?
    /// How to look into it.
    public let hint: String?
    /// Bad data or config is 2; a crash, timeout or system failure is 3.
    public let exitStatus: ExitStatus

    /// Makes a failure.
    public init(_ summary: String, location: String?, hint: String?, exitStatus: ExitStatus = .failure) {
        self.summary = summary
        self.location = location
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// A system call failed.
    static func system(_ operation: String, _ code: Int32) -> StageFailure {
        StageFailure(
            "could not \(operation): \(String(cString: strerror(code)))", location: nil,
            hint: "check free disk space, open-file limits and permissions")
    }
}
