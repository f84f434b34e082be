import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes scripts that a test then runs directly (hooks, credential helpers).
///
/// The file is opened with `O_CLOEXEC`: tests run in parallel, and a write descriptor inherited
/// by a process another test starts meanwhile (a registry, git) would make running the script
/// fail with "Text file busy" for as long as that process lives.
public enum ExecutableFile {
    /// Writes `text` to `url` (creating its folder) with permission bits `mode`.
    public static func write(_ text: String, to url: URL, mode: mode_t = 0o755) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw TestFailure("cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count, fchmod(descriptor, mode) == 0 else {
            throw TestFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
