import CZlib
import CZstd
import Checksum
import Foundation

/// A streaming decompressor for one layer format.
protocol LayerDecompressor: AnyObject {
    /// Feeds compressed `input`; calls `body` with each piece of decompressed output.
    func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
    /// True when the input seen so far ends exactly at the end of a complete stream (or member/frame).
    var isComplete: Bool { get }
    /// The format's name, for messages ("gzip").
    var format: String { get }
}

/// Unpacks a compressed layer file into a tar file: one loop for every format.
enum LayerInflation {
    /// Decompresses `source` into `destination` with `decompressor`; returns the SHA-256 (hex) of
    /// what it wrote (the layer's uncompressed digest, its `diff_id`).
    ///
    /// A layer's inflated size is not known in advance (gzip can expand a thousandfold, zstd far
    /// more), so it stops with an error past `limit` bytes (a decompression bomb; `pull
    /// --max-bytes`), and the free space of `destination`'s file system is checked every 64 MiB:
    /// below `reserve` bytes the inflation stops rather than fill the disk.
    static func inflate(
        _ source: URL, to destination: URL, with decompressor: LayerDecompressor, reserve: Int64 = 1 << 30,
        limit: Int64 = PullOptions.defaults.maxBytes
    ) throws -> String {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: destination)
        else {
            throw ArtifactError("could not create \(destination.path)", location: destination.path)
        }
        defer { try? handle.close() }
        let hasher = SHA256()
        var written: Int64 = 0
        var nextCheck: Int64 = 0
        try FileChunks.read(source) { chunk in
            try decompressor.inflate(chunk) { piece in
                if written >= nextCheck {
                    try checkFreeSpace(destination, reserve: reserve, written: written)
                    nextCheck = written + (64 << 20)
                }
                guard written + Int64(piece.count) <= limit else {
                    throw UnpackError.limitReached(.bytes(limit), layer: nil, offset: nil)
                }
                hasher.update(piece)
                try handle.write(contentsOf: Data(piece))
                written += Int64(piece.count)
            }
        }
        guard decompressor.isComplete else {
            throw ArtifactError(
                "the layer is not valid \(decompressor.format): it ends in the middle of the stream",
                location: source.path)
        }
        return hasher.finalize()
    }

    private static func checkFreeSpace(_ file: URL, reserve: Int64, written: Int64) throws {
        var status = statvfs()
        guard statvfs(file.deletingLastPathComponent().path, &status) == 0 else { return }
        let free = Int64(status.f_bavail) * Int64(status.f_frsize)
        guard free >= reserve else {
            throw ArtifactError(
                "the layer has inflated to \(written >> 20) MiB and the disk has \(free >> 20) MiB left; stopped before it fills up",
                location: file.deletingLastPathComponent().path,
                hint: "free disk space, or pull into a folder on a larger disk")
        }
    }

}

/// Decompresses a gzip stream piece by piece: the one owner of a zlib `z_stream`.
///
/// Compressed image layers (`…tar+gzip`, written by `docker push` or `skopeo copy
/// --dest-compress`) are inflated with it before their tar is read.
final class GzipInflater: LayerDecompressor {
    /// Heap-allocated: zlib's state points back at the stream and rejects a stream that moved.
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    /// True between the end of one gzip member and the start of the next (or the end of input).
    private(set) var isComplete = false
    let format = "gzip"

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 1 << 18, alignment: 16)
        // 15 + 16: the largest window, and a gzip (not zlib) wrapper.
        let code = inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            output.deallocate()
            throw ArtifactError("could not start gzip decompression (zlib error \(code))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    /// Feeds `input`; calls `body` with each piece of decompressed output. Throws on corrupt data.
    func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while stream.pointee.avail_in > 0 {
            if isComplete {
                // Concatenated gzip members form one stream (RFC 1952, section 2.2).
                guard inflateReset(stream) == Z_OK else { throw corrupt("cannot start the next member") }
                isComplete = false
            }
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let code = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try body(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            switch code {
            case Z_STREAM_END: isComplete = true
            case Z_OK, Z_BUF_ERROR: continue
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                throw corrupt(message)
            }
        }
    }

    private func corrupt(_ reason: String) -> ArtifactError {
        ArtifactError("the layer is not valid gzip: \(reason)")
    }

}

/// Decompresses a zstd stream piece by piece: the one owner of a `ZSTD_DStream` (layers written
/// as `…tar+zstd`, e.g. by `skopeo copy --dest-compress-format zstd` or podman).
final class ZstdInflater: LayerDecompressor {
    private let stream: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    /// True when the last call ended exactly at the end of a frame.
    private(set) var isComplete = false
    let format = "zstd"

    init() throws {
        guard let stream = ZSTD_createDStream() else {
            throw ArtifactError("could not start zstd decompression (out of memory)")
        }
        self.stream = stream
        output = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDStream(stream)
        output.deallocate()
    }

    func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        // Until the input is used up and zstd has nothing more to flush (a full output buffer
        // may hide more); frames may follow one another.
        while true {
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(stream, &target, &source)
            if ZSTD_isError(hint) != 0 {
                throw ArtifactError(
                    "the layer is not valid zstd: \(String(cString: ZSTD_getErrorName(hint)))")
            }
            if target.pos > 0 { try body(UnsafeRawBufferPointer(rebasing: output[0..<target.pos])) }
            // Done with this input once it is used up and either a frame just ended (0) or zstd
            // had room to spare (nothing held back). Calling again after a frame ended would
            // start looking for the next one and no longer say "complete".
            if source.pos == source.size && (hint == 0 || target.pos < target.size) {
                isComplete = hint == 0
                return
            }
        }
    }
}
