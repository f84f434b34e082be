import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file or folder opened for reading by `DirectoryHandle.open`: the one owner of its
/// descriptor, closed when released.
package final class OpenedFile {
    /// The open descriptor.
    package let descriptor: Int32
    /// What it is: a file, a folder, or `other` (a device, FIFO or socket, opened without
    /// blocking and never read by modelgate).
    package let kind: DirectoryHandle.Kind

    /// Takes over `descriptor` (opened `O_NONBLOCK`, so that a FIFO could not stall the open);
    /// reads block as usual afterwards.
    init(taking descriptor: Int32, path: String) throws {
        self.descriptor = descriptor
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw FileSystemError.system(operation: "inspect", path: path, code: code)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .folder
        default: kind = .other
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    }

    /// Opens the folder `folder` itself again, for reading.
    package init(reopening folder: DirectoryHandle) throws {
        descriptor = fcntl(folder.descriptor, F_DUPFD_CLOEXEC, 0)
        guard descriptor >= 0 else {
            throw FileSystemError.system(operation: "open", path: folder.path, code: errno)
        }
        kind = .folder
    }

    deinit { close(descriptor) }

    /// Everything from the current offset to the end, or just over `limit` bytes when there
    /// is more (so a caller can tell the file is too large without reading it whole).
    package func read(atMost limit: Int = .max) throws -> Data {
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        let data = limit == .max ? try handle.readToEnd() : try handle.read(upToCount: limit + 1)
        return data ?? Data()
    }

    /// A path naming this open file itself (not a path to it): reading it reads what was opened.
    package var url: URL {
        #if os(Linux)
            URL(fileURLWithPath: "/proc/self/fd/\(descriptor)")
        #else
            URL(fileURLWithPath: "/dev/fd/\(descriptor)")
        #endif
    }
}
