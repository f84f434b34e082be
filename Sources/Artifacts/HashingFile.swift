import Checksum
import FileSafety
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A new file written once, front to back, while its SHA-256 is computed: an `OutputFile`
/// (whose `writeAll` every write goes through) and a hasher.
///
/// Made in a folder of modelgate's store (`init(in:)`), the bytes go to a temporary name and
/// appear under their final name only when complete and flushed (`finish()`, then
/// `install(_:at:replacing:)`). Made in a pull's staging folder (`init(creating:in:)`), the
/// file has its final name from the start and is flushed only if it is kept. Released
/// unfinished, the file is removed. Failures are `FileSystemError`s naming the file.
final class HashingFile {
    private let folder: DirectoryHandle
    private let name: String
    private let file: OutputFile
    private let hasher = SHA256()
    private var isFinished = false

    /// Bytes written so far.
    var size: Int64 { file.size }
    /// Where the bytes are written.
    var temporaryURL: URL { URL(fileURLWithPath: folder.child(name)) }

    /// Opens a fresh temporary file in `directory` (created if needed; it must be on the
    /// destination's file system).
    init(in directory: URL) throws {
        folder = try DirectoryHandle(creating: directory)
        name = ".tmp-\(UUID().uuidString)"
        file = try folder.createFile(name, exclusive: true)
    }

    /// Creates the file `name` in `folder` (emptying a file of that name; never through a link).
    init(creating name: String, in folder: DirectoryHandle) throws {
        self.folder = folder
        self.name = name
        file = try folder.createFile(name)
    }

    deinit {
        if !isFinished { try? folder.remove(name) }
    }

    /// Appends bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        try file.write(bytes)
    }

    /// Appends `data`.
    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Appends the whole content of the file at `url`, in 1 MiB chunks.
    func append(contentsOf url: URL) throws {
        try FileChunks.read(url) { try write($0) }
    }

    /// Finishes the digest and closes the file, flushing its bytes to disk first when
    /// `syncing`; returns the lowercase hex SHA-256.
    func finish(syncing: Bool = true) throws -> String {
        try file.finish(syncing: syncing)
        isFinished = true
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
        try? DirectoryHandle(opening: destination.deletingLastPathComponent().path).sync()
        return true
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
