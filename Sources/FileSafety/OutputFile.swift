import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file being written once, front to back: the one owner of its descriptor (close-on-exec,
/// closed on `finish` or deinit). Made by `DirectoryHandle.createFile`.
///
/// Every write of modelgate's own files goes through `writeAll`, which retries a write a
/// signal interrupted (`EINTR`) and continues after a short write, so a file is never cut
/// short silently. Durability is the caller's choice: `finish(syncing: true)` flushes the bytes
/// to disk before closing (a record, an artifact); without it the bytes reach the disk when the
/// kernel writes them back (a page staged for one `syncfs`, a file of a layer being unpacked).
package final class OutputFile {
    private let descriptor: Int32
    private var isOpen = true
    /// Where the file is, for messages.
    package let path: String
    /// Bytes written so far.
    package private(set) var size: Int64 = 0

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { if isOpen { close(descriptor) } }

    /// Appends `bytes`.
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try Self.writeAll(bytes, to: descriptor, path: path)
        size += Int64(bytes.count)
    }

    /// Appends `data`.
    package func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Closes the file, flushing its bytes to disk first when `syncing`.
    package func finish(syncing: Bool) throws {
        isOpen = false
        let failed = syncing && fsync(descriptor) != 0
        let code = errno
        guard close(descriptor) == 0, !failed else {
            throw FileSystemError.system(
                operation: syncing ? "flush" : "write", path: path, code: failed ? code : errno)
        }
    }

    /// Writes all of `bytes` to `descriptor`: retries after a signal (`EINTR`), continues after
    /// a short write. Throws `FileSystemError.system` naming `path` on any other failure.
    package static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.system(operation: "write", path: path, code: errno)
            }
            offset += written
        }
    }
}
