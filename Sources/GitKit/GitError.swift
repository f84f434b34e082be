import CLibGit2
import Diagnostics

/// The one error GitKit throws: the operation in our words, libgit2's code and message.
public struct GitError: UserFacingError, Equatable {
    /// What GitKit was doing, in the user's words ("open repository at /x").
    public let operation: String
    /// libgit2's error code (`GIT_ENOTFOUND` is -3), or 0 for errors GitKit detects itself.
    public let code: Int32
    /// libgit2's own message, or ours when libgit2 gave none.
    public let message: String
    /// The path, rev or ref concerned, when there is one.
    public let location: String?
    /// How to fix it, when we know.
    public let hint: String?
    /// Bad input from the user (unknown rev, not a repository) is 2; everything else 3.
    public let exitStatus: ExitStatus

    /// Makes an error; `code` is libgit2's, `message` is shown after the operation.
    public init(
        operation: String, code: Int32 = 0, message: String, location: String? = nil,
        hint: String? = nil, exitStatus: ExitStatus = .failure
    ) {
        self.operation = operation
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// "could not OPERATION: MESSAGE", the line users see after "error:".
    public var summary: String { "could not \(operation): \(message)" }

    /// True when libgit2 reported that the object, reference or file does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    /// True when libgit2 refused because the target already exists.
    public var isAlreadyExisting: Bool { code == GIT_EEXISTS.rawValue }

    /// Reads `git_error_last()` at once, because the next libgit2 call may replace it.
    static func last(
        code: Int32, operation: String, location: String? = nil, hint: String? = nil,
        exitStatus: ExitStatus = .failure
    ) -> GitError {
        // The message can be NULL before libgit2 1.8, and is only meaningful right after a failure.
        let text = git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } }
        return GitError(
            operation: operation, code: code,
            message: text ?? "libgit2 error \(code)", location: location, hint: hint,
            exitStatus: exitStatus)
    }
}

/// Throws a `GitError` when a libgit2 call returned a negative code; passes positive results on.
///
/// Some calls return meaningful positive values, so only negative ones are failures.
@discardableResult
func check(
    _ code: Int32, _ operation: @autoclosure () -> String, location: String? = nil,
    hint: String? = nil, exitStatus: ExitStatus = .failure
) throws -> Int32 {
    guard code < 0 else { return code }
    throw GitError.last(
        code: code, operation: operation(), location: location, hint: hint, exitStatus: exitStatus)
}
