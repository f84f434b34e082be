import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A directory whose files are read and written without ever leaving it: the isolated checkout
/// stages run in, or the work tree.
///
/// A repository may commit symbolic links, and a stage may make them, so a configured path that
/// is harmless as text (`data/train.csv`) can lead anywhere on the machine. Every access goes
/// through two steps. First the path is resolved against the directory's own links with
/// `RepositoryPath.resolve` (each read with `readlinkat` from a descriptor of the top), which
/// refuses a link whose target is absolute or climbs above the top. The resolved path contains
/// no link, so it is then opened one component at a time from the top's descriptor with
/// `openat(O_NOFOLLOW)`, each directory through the descriptor of the one before.
///
/// The guarantee: what is opened or written is reached from the top through real directories
/// only. A link swapped in between the two steps (by a stage still running, say) makes the open
/// fail; it is never followed. Only regular files are read (a FIFO would block, a device never
/// ends), and writes go to a new file beside the target, renamed over it, so an existing link
/// at the target is replaced, not written through. Readers that take a path get
/// `OpenedFile.url`, `/proc/self/fd/N`, which names the opened file itself rather than a path.
package struct ContainedDirectory {
    /// The top; everything opened is beneath it.
    package let root: URL

    /// The directory at `root`.
    package init(root: URL) {
        self.root = root
    }

    /// What a resolved path names.
    package enum Kind {
        /// A regular file.
        case file
        /// A directory.
        case directory
    }

    /// The file or directory at `path` opened for reading, or nil when nothing is there.
    ///
    /// Throws `ConfigError.linkLeavesRepository` when a link on the way leads outside, and a
    /// `StageFailure` when `path` is neither a regular file nor a directory.
    package func open(_ path: String) throws -> OpenedFile? {
        let top = try openTop()
        defer { close(top) }
        let resolved = try resolve(path, from: top)
        guard let descriptor = try Self.openResolved(resolved, from: top, flags: O_RDONLY | O_NONBLOCK) else {
            return nil
        }
        let file = OpenedFile(descriptor: descriptor)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StageFailure.system("read '\(path)'", errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: file.kind = .file
        case S_IFDIR: file.kind = .directory
        default:
            throw StageFailure(
                "'\(path)' is neither a file nor a folder", location: path,
                hint: "modelgate reads only regular files; write the data to a file", exitStatus: .badInput)
        }
        // Opened without blocking so a FIFO could not stall the open; reads may block as usual.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return file
    }

    /// What is at `path`, or nil when nothing is.
    package func kind(of path: String) throws -> Kind? {
        try open(path)?.kind
    }

    /// `path` with its links replaced by their targets; throws when one leads outside.
    package func resolve(_ path: String) throws -> String {
        let top = try openTop()
        defer { close(top) }
        return try resolve(path, from: top)
    }

    /// Replaces the file at `path` with `data`: a new file in the same folder (folders are made
    /// as needed), renamed over the old one.
    package func write(_ data: Data, to path: String) throws {
        let top = try openTop()
        defer { close(top) }
        let resolved = try resolve(path, from: top)
        var folder = resolved.split(separator: "/")
        guard let name = folder.popLast().map(String.init) else {
            throw StageFailure("'\(path)' names the top folder, not a file", location: path, hint: nil)
        }
        guard
            let directory = try Self.openResolved(
                folder.joined(separator: "/"), from: top, flags: O_RDONLY | O_DIRECTORY, makingFolders: true)
        else { throw StageFailure.system("make the folder of '\(path)'", ENOENT) }
        defer { close(directory) }
        let temporary = ".\(name).\(UUID().uuidString).tmp"
        let output = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard output >= 0 else { throw StageFailure.system("write '\(path)'", errno) }
        var failure: Int32?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(output, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += count
            }
        }
        if close(output) != 0, failure == nil { failure = errno }
        if failure == nil, renameat(directory, temporary, directory, name) != 0 { failure = errno }
        if let failure {
            unlinkat(directory, temporary, 0)
            throw StageFailure.system("write '\(path)'", failure)
        }
    }

    /// Refuses any symbolic link inside the folder at `path` (and the folder itself) that leads
    /// outside the top, so that what the folder holds can be copied by path afterwards.
    package func checkLinks(under path: String) throws {
        let top = try openTop()
        defer { close(top) }
        let folder = try resolve(path, from: top)
        let start = folder.isEmpty ? root : root.appendingPathComponent(folder)
        // The enumerator reports links without descending into them; each is resolved from the top.
        guard let walker = FileManager.default.enumerator(atPath: start.path) else { return }
        while let relative = walker.nextObject() as? String {
            let inner = folder.isEmpty ? relative : "\(folder)/\(relative)"
            var info = stat()
            guard lstat(root.appendingPathComponent(inner).path, &info) == 0,
                info.st_mode & S_IFMT == S_IFLNK
            else { continue }
            _ = try resolve(inner, from: top)
        }
    }

    // MARK: - The two steps

    private func openTop() throws -> Int32 {
        let top = Glibc.open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard top >= 0 else { throw StageFailure.system("open '\(root.path)'", errno) }
        return top
    }

    private func resolve(_ path: String, from top: Int32) throws -> String {
        do {
            guard let resolved = try RepositoryPath.resolve(path, readLink: { Self.readLink($0, in: top) })
            else {
                throw ConfigError(
                    "'\(path)' passes through more than \(RepositoryPath.maxLinks) symbolic links",
                    file: path, at: nil, hint: "point the link at the file itself")
            }
            return resolved
        } catch let escape as RepositoryPath.Escape {
            throw ConfigError(
                .linkLeavesRepository(
                    path: path, link: escape.link.isEmpty ? path : escape.link, target: escape.target),
                file: PipelineConfig.fileName, at: nil, location: path)
        }
    }

    /// The target of the link at `path` (relative to `top`), or nil when it is not a link.
    private static func readLink(_ path: String, in top: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let count = readlinkat(top, path, &buffer, buffer.count)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Opens `resolved` (a path with no links, `..` or `.`) one component at a time from `top`,
    /// never following a link; nil when a component does not exist.
    private static func openResolved(
        _ resolved: String, from top: Int32, flags: Int32, makingFolders: Bool = false
    ) throws -> Int32? {
        var current = dup(top)
        guard current >= 0 else { throw StageFailure.system("open '\(resolved)'", errno) }
        let components = resolved.split(separator: "/").map(String.init)
        for (index, component) in components.enumerated() {
            let isLast = index == components.count - 1
            let componentFlags = (isLast ? flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC
            var next = openat(current, component, componentFlags)
            if next < 0, errno == ENOENT, makingFolders {
                if mkdirat(current, component, 0o777) == 0 || errno == EEXIST {
                    next = openat(current, component, componentFlags)
                }
            }
            let error = errno
            close(current)
            guard next >= 0 else {
                // Missing, or a file where a folder was expected: nothing is there. (A link that
                // appeared after resolving fails here too, with ELOOP or ENOTDIR: never followed.)
                if error == ENOENT || error == ENOTDIR { return nil }
                throw StageFailure.system("open '\(resolved)'", error)
            }
            current = next
        }
        return current
    }
}

/// A file opened by `ContainedDirectory`; closes its descriptor when released.
package final class OpenedFile {
    /// The open descriptor.
    package let descriptor: Int32
    /// A regular file or a directory.
    package fileprivate(set) var kind = ContainedDirectory.Kind.file

    fileprivate init(descriptor: Int32) {
        self.descriptor = descriptor
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
