#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Anything that hands out bytes in order: a file, a git blob, a pipe.
///
/// The CSV reader pulls from it chunk by chunk, so memory stays bounded whatever the size.
public protocol ByteSource {
    /// Copies up to `buffer.count` bytes into `buffer`; returns how many, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The total size when known (for progress), else nil.
    var totalBytes: Int64? { get }
}

extension ByteSource {
    /// The size of the whole input when known (for progress), else nil.
    public var totalBytes: Int64? { nil }
}

/// A file read with `read(2)`. Owns its descriptor and closes it on deinit.
public final class FileByteSource: ByteSource {
    private let descriptor: Int32
    /// The size of the whole input when known (for progress), else nil.
    public let totalBytes: Int64?

    /// Opens `url` for reading; `name` is the path as the user wrote it, for errors.
    public init(url: URL, name: String) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DataError.cannotOpen(
                name: name, reason: String(cString: strerror(errno)), missing: errno == ENOENT)
        }
        descriptor = fd
        var info = stat()
        totalBytes = fstat(fd, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// Opens `url` and starts reading at byte `offset`.
    public convenience init(url: URL, name: String, offset: Int64) throws {
        try self.init(url: url, name: name)
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else {
            throw DataError.readFailed(reason: String(cString: strerror(errno)))
        }
    }

    deinit { close(descriptor) }

    /// Fills `buffer` with the next bytes; returns how many, 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw DataError.readFailed(reason: String(cString: strerror(errno)))
        }
    }
}

/// Bytes from any sequence of chunks, e.g. a git blob delivered piece by piece.
public struct ChunkByteSource<Chunks: IteratorProtocol>: ByteSource where Chunks.Element == [UInt8] {
    private var chunks: Chunks
    private var pending: [UInt8] = []
    private var offset = 0
    /// The size of the whole input when known (for progress), else nil.
    public let totalBytes: Int64?

    /// Reads `chunks` in order; pass `totalBytes` when known so progress can show an ETA.
    public init(_ chunks: Chunks, totalBytes: Int64? = nil) {
        self.chunks = chunks
        self.totalBytes = totalBytes
    }

    /// Fills `buffer` with the next bytes; returns how many, 0 at the end.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while offset == pending.count {
            guard let next = chunks.next() else { return 0 }
            pending = next
            offset = 0
        }
        let count = min(buffer.count, pending.count - offset)
        pending.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

extension ChunkByteSource where Chunks == IndexingIterator<[[UInt8]]> {
    /// Bytes from an in-memory list of chunks.
    public init(chunks: [[UInt8]]) {
        self.init(chunks.makeIterator(), totalBytes: Int64(chunks.reduce(0) { $0 + $1.count }))
    }

    /// Bytes of a string, served in chunks of `chunkSize` (tests use tiny chunks to cross boundaries).
    public init(string: String, chunkSize: Int = 1 << 16) {
        let bytes = Array(string.utf8)
        var chunks: [[UInt8]] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + max(1, chunkSize))
            chunks.append(Array(bytes[start..<end]))
            start = end
        }
        self.init(chunks: chunks)
    }
}
