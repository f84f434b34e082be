import FileSafety
import Foundation

/// Writes modelgate's own files (run cache, stat cache, kept models, the config `init` writes)
/// so that readers see the old content or the new, never half of one, and a crash never
/// leaves a truncated file.
///
/// The mechanism is `DirectoryHandle.replaceFile(syncing: true)`: the bytes go to a new file
/// beside the target (close-on-exec, so a child started meanwhile cannot hold it open), are
/// flushed to disk, then renamed over the target. The folder itself is not flushed: after a
/// crash the rename may be lost (the old content is read), never the new bytes under the name.
/// Failures (a full disk, a read-only folder) are a `StageFailure` naming the file, so a user
/// sees what and where rather than an internal error.
public enum AtomicFile {
    /// Replaces the file at `url` with `data`, creating its folder if needed.
    public static func write(_ data: Data, to url: URL) throws {
        do {
            let folder = try DirectoryHandle(creating: url.deletingLastPathComponent())
            try folder.replaceFile(url.lastPathComponent, with: data, syncing: true)
        } catch let error as FileSystemError {
            let reason = error.code.map { String(cString: strerror($0)) } ?? error.summary
            throw StageFailure(
                "could not write \(url.lastPathComponent): \(reason)", location: url.path,
                hint: "check free disk space and that the directory is writable")
        }
    }
}
