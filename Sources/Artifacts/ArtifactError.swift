import Diagnostics

/// What went wrong with an artifact, a package, a registry or a release, in the user's words.
public struct ArtifactError: UserFacingError, Equatable {
    /// What happened.
    public let summary: String
    /// The rev, path, digest or registry concerned.
    public let location: String?
    /// How to fix it.
    public let hint: String?
    /// 1 for a refused release, 2 for bad input, 3 for I/O, corruption and registry failures.
    public let exitStatus: ExitStatus

    /// Makes an error.
    public init(
        _ summary: String, location: String? = nil, hint: String? = nil, exitStatus: ExitStatus = .failure
    ) {
        self.summary = summary
        self.location = location
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// A system call failed with `errno`-style `code`.
    static func system(_ operation: String, path: String, code: Int32) -> ArtifactError {
        ArtifactError(
            "could not \(operation): \(String(cString: strerror(code)))", location: path,
            hint: "check free disk space and permissions")
    }
}

#if canImport(Glibc)
    import Glibc
#endif
