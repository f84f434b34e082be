import CLibArchive
import Diagnostics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a tar file entry by entry through libarchive: the one owner of a `struct archive *`
/// and of the descriptor it reads.
///
/// Only libarchive's tar reader is enabled (ustar, pax, GNU and v7 headers) and no filter:
/// pulled layers arrive already inflated, their digest checked. libarchive refuses what a
/// hand-written reader gets wrong: negative, overflowing and non-numeric sizes, damaged
/// headers and checksums, oversized pax records, truncated content. Each failure carries the
/// byte offset of the entry concerned. The reader never writes anything; what to do with an
/// entry is the caller's decision (`LayerUnpacker`).
final class TarReader {
    /// One header as libarchive decoded it.
    struct Entry {
        /// The entry's name; nil when it is not valid UTF-8.
        let path: String?
        /// The name as printable text, for messages (`printable`).
        let displayName: String
        /// What the entry is.
        let kind: Kind
        /// Its content's size in bytes (0 for anything but a regular file).
        let size: Int64
        /// The offset of its first header in the file (a pax or GNU header when there is one).
        let offset: Int64
        /// How many bytes of the file follow its headers.
        let available: Int64
        /// True for a sparse file (its content may be far larger than the archive).
        let isSparse: Bool
    }

    /// What an entry is.
    enum Kind {
        case file, folder
        case hardLink(String)
        case symbolicLink(String)
        /// A device, FIFO or socket, named in words.
        case special(String)
    }

    /// Why the file could not be read: libarchive's message and where.
    struct Failure: Error {
        /// The byte offset of the entry (or header) concerned.
        let offset: Int64
        /// The entry's name, when known.
        let entry: String?
        /// libarchive's explanation.
        let reason: String
    }

    private let archive: OpaquePointer
    private let descriptor: Int32
    /// The file's size in bytes.
    let fileSize: Int64
    private var current: Entry?

    /// Opens the tar file at `url`; throws `Failure` when its first header is not tar.
    init(reading url: URL) throws {
        descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw Failure(offset: 0, entry: nil, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        fstat(descriptor, &status)
        fileSize = Int64(status.st_size)
        guard let archive = archive_read_new() else {
            close(descriptor)
            throw Failure(offset: 0, entry: nil, reason: "out of memory")
        }
        self.archive = archive
        archive_read_support_format_tar(archive)
        // On failure `deinit` still runs (every stored property is set) and frees both.
        if archive_read_open_fd(archive, descriptor, 1 << 16) != ARCHIVE_OK {
            throw failure(at: 0)
        }
    }

    deinit {
        archive_read_free(archive)
        close(descriptor)
    }

    /// The next entry, or nil at the end of the archive. The previous entry's unread content is
    /// skipped.
    func next() throws -> Entry? {
        // Consume the rest of the previous entry and its padding, so that the position is
        // exactly the next header's offset (for messages).
        if current != nil, archive_read_data_skip(archive) != ARCHIVE_OK {
            throw failure(at: current?.offset ?? 0, entry: current?.displayName)
        }
        current = nil
        // Before the header is read, the position is where it starts.
        let offset = archive_filter_bytes(archive, 0)
        var handle: OpaquePointer?
        let code = archive_read_next_header(archive, &handle)
        if code == ARCHIVE_EOF { return nil }
        // ARCHIVE_WARN too: it reports headers libarchive read only in part (a malformed pax
        // record, a name it could not convert); ARCHIVE_RETRY is a damaged header.
        guard code == ARCHIVE_OK, let handle else { throw failure(at: offset) }
        let raw = archive_entry_pathname(handle)
        let path = raw.flatMap { String(validatingCString: $0) }
        let displayName = raw.map(Self.printable) ?? ""
        let kind: Kind
        if let target = archive_entry_hardlink(handle) {
            kind = .hardLink(Self.printable(target))
        } else {
            switch archive_entry_filetype(handle) {
            case S_IFREG: kind = .file
            case S_IFDIR: kind = .folder
            case S_IFLNK:
                kind = .symbolicLink(archive_entry_symlink(handle).map(Self.printable) ?? "")
            case S_IFCHR: kind = .special("character device")
            case S_IFBLK: kind = .special("block device")
            case S_IFIFO: kind = .special("FIFO")
            case S_IFSOCK: kind = .special("socket")
            default: kind = .special("file of unknown type")
            }
        }
        let entry = Entry(
            path: path, displayName: displayName, kind: kind,
            size: archive_entry_size_is_set(handle) != 0 ? archive_entry_size(handle) : 0,
            offset: archive_read_header_position(archive),
            available: fileSize - archive_filter_bytes(archive, 0),
            isSparse: archive_entry_sparse_count(handle) > 0)
        current = entry
        return entry
    }

    /// Calls `body` with the current entry's content, piece by piece (at most 1 MiB each).
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if count == 0 { return }
            guard count > 0 else { throw failure(at: current?.offset ?? 0, entry: current?.displayName) }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// libarchive's last error at `offset`, naming the entry (read from the raw header when
    /// libarchive could not decode it).
    private func failure(at offset: Int64, entry: String? = nil) -> Failure {
        let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return Failure(offset: offset, entry: entry ?? rawName(at: offset), reason: reason)
    }

    /// The name field of the header at `offset` (its first 100 bytes), as printable text.
    private func rawName(at offset: Int64) -> String? {
        var field = [UInt8](repeating: 0, count: 100)
        guard pread(descriptor, &field, field.count, off_t(offset)) == field.count else { return nil }
        let name = Self.printable(Array(field.prefix { $0 != 0 }))
        return name.isEmpty ? nil : name
    }

    /// A C string as text safe to print in a terminal.
    static func printable(_ text: UnsafePointer<CChar>) -> String {
        printable(Array(UnsafeBufferPointer(start: text, count: strlen(text)).map { UInt8(bitPattern: $0) }))
    }

    /// `bytes` as text safe to print in a terminal (`TerminalText`, the one sanitiser): UTF-8,
    /// invalid bytes as U+FFFD, every character a terminal acts on as a visible stand-in, at most
    /// 200 characters.
    static func printable(_ bytes: [UInt8]) -> String {
        TerminalText.cell(String(decoding: bytes, as: UTF8.self), limit: 200)
    }
}
