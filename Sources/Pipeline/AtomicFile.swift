import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that readers see the old content or the new, never half of one.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, flushes it to disk, then renames it over `url`.
    ///
    /// The temporary file is opened close-on-exec (Foundation's `FileHandle` is not, on Linux),
    /// so a child started meanwhile cannot hold it open. Failures (a full disk, a read-only
    /// directory) are a `StageFailure` naming the file, so a user sees what and where rather
    /// than an internal error.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw failure(writing: url, (error as NSError).localizedDescription)
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(writing: url, String(cString: strerror(errno))) }
        var code: Int32 = 0
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    code = errno
                    return
                }
                offset += count
            }
        }
        if code == 0, fsync(descriptor) != 0 { code = errno }
        if close(descriptor) != 0, code == 0 { code = errno }
        if code == 0, rename(temporary.path, url.path) != 0 { code = errno }
        if code != 0 {
            unlink(temporary.path)
            throw failure(writing: url, String(cString: strerror(code)))
        }
    }

    private static func failure(writing url: URL, _ reason: String) -> StageFailure {
        StageFailure(
            "could not write \(url.lastPathComponent): \(reason)", location: url.path,
            hint: "check free disk space and that the directory is writable")
    }
}
