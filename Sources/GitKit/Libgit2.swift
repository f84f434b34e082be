import CLibGit2

/// Process-wide libgit2 set-up, done once before the first call into the library.
enum Libgit2 {
    // A lazy static initialiser runs exactly once and is thread-safe; libgit2 counts init calls
    // and the process never shuts it down, so there is no matching git_libgit2_shutdown.
    private static let initResult: Int32 = git_libgit2_init()

    /// Initialises libgit2 on first use; cheap afterwards.
    static func ensureInitialized() {
        _ = initResult
    }

    /// The linked libgit2 version, e.g. "1.5.1".
    static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}

/// Facts about the libgit2 this binary links.
public enum GitLibrary {
    /// The linked libgit2 version, e.g. "1.5.1".
    public static var version: String { Libgit2.version }
}
