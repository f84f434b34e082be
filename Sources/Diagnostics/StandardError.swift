#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lines for standard error (the server's address and why it stopped, a training progress bar):
/// written whole with write(2), unbuffered, so they appear at once and in order. (Foundation's
/// `FileHandle` would do the same, but it is not in FoundationEssentials, the only part of
/// Foundation `modelgate-serve` links, and Diagnostics links no Foundation at all.)
public enum StandardError {
    /// Writes `text` as is; a failed write (a closed descriptor) drops the rest.
    public static func emit(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, base + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
