import Checksum
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A new file written once, front to back, while its SHA-256 is computed; the bytes go to a
/// temporary name and appear under their final name only when complete (`commit(to:)`).
final class HashingFile {
    /// Where the bytes are written until `commit`.
    let temporaryURL: URL
    private let descriptor: Int32
    private let hasher = SHA256()
    private var isOpen = true
    /// Bytes written so far.
    private(set) var size: Int64 = 0

    /// Opens a fresh temporary file in `directory` (which must be on the destination's file system).
    init(in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        temporaryURL = directory.appendingPathComponent(".tmp-\(UUID().uuidString)")
        descriptor = open(temporaryURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ArtifactError.system("create \(temporaryURL.path)", path: directory.path, code: errno)
        }
    }

    deinit {
        if isOpen {
            close(descriptor)
            unlink(temporaryURL.path)
        }
    }

    /// Appends bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ArtifactError.system("write \(temporaryURL.path)", path: temporaryURL.path, code: errno)
            }
            offset += written
        }
        size += Int64(bytes.count)
    }

    /// Appends `data`.
    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Appends the whole content of the file at `url`, in 1 MiB chunks.
    func append(contentsOf url: URL) throws {
        try FileChunks.read(url) { try write($0) }
    }

    /// Finishes the digest and flushes the bytes to disk; returns the lowercase hex SHA-256.
    func finish() throws -> String {
        if fsync(descriptor) != 0 {
            throw ArtifactError.system("flush \(temporaryURL.path)", path: temporaryURL.path, code: errno)
        }
        close(descriptor)
        isOpen = false
        return hasher.finalize()
    }

    /// Renames the finished file to `destination` unless a file is already there (same content:
    /// content-addressed names), and makes the rename durable. Returns false when it existed.
    @discardableResult
    static func install(_ temporary: URL, at destination: URL, replacing: Bool = false) throws -> Bool {
        let fileManager = FileManager.default
        try fileManager.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !replacing, fileManager.fileExists(atPath: destination.path) {
            try? fileManager.removeItem(at: temporary)
            return false
        }
        if rename(temporary.path, destination.path) != 0 {
            let code = errno
            try? fileManager.removeItem(at: temporary)
            throw ArtifactError.system("move a file into place", path: destination.path, code: code)
        }
        syncDirectory(destination.deletingLastPathComponent())
        return true
    }

    /// fsyncs a directory so that a rename in it survives a crash.
    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// Reads files in bounded chunks.
enum FileChunks {
    static let chunkSize = 1 << 20

    /// Calls `body` with successive chunks of the file at `url` (at most 1 MiB each).
    static func read(_ url: URL, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArtifactError.system("read \(url.path)", path: url.path, code: errno) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress!, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw ArtifactError.system("read \(url.path)", path: url.path, code: errno)
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// SHA-256 (hex) and size of the file at `url`.
    static func digest(of url: URL) throws -> (hex: String, size: Int64) {
        let hasher = SHA256()
        var size: Int64 = 0
        try read(url) { chunk in
            hasher.update(chunk)
            size += Int64(chunk.count)
        }
        return (hasher.finalize(), size)
    }
}
