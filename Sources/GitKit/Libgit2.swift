import CLibGit2
import CLibGit2Startup

/// Process-wide libgit2 set-up, done once before the first call into the library.
enum Libgit2 {
    // A lazy static initialiser runs exactly once and is thread-safe; libgit2 counts init calls
    // and the process never shuts it down, so there is no matching git_libgit2_shutdown.
    // The CA bundle an mbedTLS-backed libgit2 parses at initialisation is skipped: nothing here
    // uses libgit2's TLS (remotes go through the git command); see libgit2_startup.c.
    private static let initResult: Int32 = clibgit2_init_without_ca_bundle()

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

    /// How many CA-bundle loads libgit2's initialisation skipped in this process: 1 where libgit2
    /// is built on mbedTLS (Debian's), 0 where it loads no bundle at initialisation.
    package static var skippedCABundleLoads: Int {
        Libgit2.ensureInitialized()
        return Int(clibgit2_skipped_ca_bundle_loads())
    }

    /// Loads the CA bundle at `path` as libgit2's TLS trust store, through mbedTLS's own parser:
    /// what a caller of libgit2's HTTPS transport would do first (modelgate has none).
    package static func loadCABundle(at path: String) throws {
        Libgit2.ensureInitialized()
        try check(clibgit2_set_ssl_cert_file(path), "load the CA bundle", location: path)
    }
}
