import FileSafety
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
/// `openat(O_NOFOLLOW)`, each directory through the descriptor of the one before
/// (`DirectoryHandle`).
///
/// The guarantee: what is opened or written is reached from the top through real directories
/// only. A link swapped in between the two steps (by a stage still running, say) makes the open
/// fail; it is never followed. Only regular files are read (a FIFO would block, a device never
/// ends), and writes go to a new file beside the target, renamed over it
/// (`DirectoryHandle.replaceFile`), so an existing link at the target is replaced, not written
/// through. Readers that take a path get
/// `OpenedFile.url`, `/proc/self/fd/N`, which names the opened file itself rather than a path.
package struct ContainedDirectory {
    /// The top; everything opened is beneath it.
    package let root: URL

    /// The directory at `root`.
    package init(root: URL) {
        self.root = root
    }

    /// The file or directory at `path` opened for reading, or nil when nothing is there.
    ///
    /// Throws `ConfigError.linkLeavesRepository` when a link on the way leads outside, and a
    /// `StageFailure` when `path` is neither a regular file nor a directory.
    package func open(_ path: String) throws -> OpenedFile? {
        let top = try openTop()
        let resolved = try resolve(path, from: top).split(separator: "/").map(String.init)
        let file: OpenedFile?
        do {
            guard let last = resolved.last else { return try OpenedFile(reopening: top) }
            guard let folder = try Self.folder(resolved.dropLast(), from: top) else { return nil }
            file = try folder.open(last)
        } catch let error as FileSystemError {
            throw Self.failure("read '\(path)'", error)
        }
        if file?.kind == .other {
            throw StageFailure(
                "'\(path)' is neither a file nor a folder", location: path,
                hint: "modelgate reads only regular files; write the data to a file", exitStatus: .badInput)
        }
        return file
    }

    /// What is at `path`: `missing`, a `file` or a `folder` (anything else is refused as by
    /// `open`).
    package func kind(of path: String) throws -> DirectoryHandle.Kind {
        try open(path)?.kind ?? .missing
    }

    /// `path` with its links replaced by their targets; throws when one leads outside.
    package func resolve(_ path: String) throws -> String {
        try resolve(path, from: try openTop())
    }

    /// Replaces the file at `path` with `data`: a new file in the same folder (folders are made
    /// as needed), renamed over the old one. Not flushed to disk: what a stage writes into its
    /// checkout is read back by this run (a crash loses the run anyway); what must survive one
    /// is written with `AtomicFile`.
    package func write(_ data: Data, to path: String) throws {
        let top = try openTop()
        var folder = try resolve(path, from: top).split(separator: "/").map(String.init)
        guard let name = folder.popLast() else {
            throw StageFailure("'\(path)' names the top folder, not a file", location: path, hint: nil)
        }
        do {
            try top.walk(folder[...], creating: true, mode: 0o777).replaceFile(
                name, with: data, mode: 0o666, syncing: false)
        } catch let error as FileSystemError {
            throw Self.failure("write '\(path)'", error)
        }
    }

    /// Refuses any symbolic link inside the folder at `path` (and the folder itself) that leads
    /// outside the top, so that what the folder holds can be copied by path afterwards.
    package func checkLinks(under path: String) throws {
        let top = try openTop()
        let start = try resolve(path, from: top)
        let components = start.split(separator: "/").map(String.init)
        do {
            guard let folder = try Self.folder(components[...], from: top) else { return }
            try checkLinks(in: folder, at: start, from: top)
        } catch let error as FileSystemError {
            throw Self.failure("read '\(path)'", error)
        }
    }

    /// Resolves every link in `folder` (at `relative` below the top) and below, from the top.
    private func checkLinks(in folder: DirectoryHandle, at relative: String, from top: DirectoryHandle) throws
    {
        for (name, kind) in try folder.entries() {
            let inner = relative.isEmpty ? name : "\(relative)/\(name)"
            switch kind {
            case .link: _ = try resolve(inner, from: top)
            case .folder: try checkLinks(in: try folder.folder(name), at: inner, from: top)
            case .file, .other, .missing: continue
            }
        }
    }

    // MARK: - The two steps

    private func openTop() throws -> DirectoryHandle {
        do {
            return try DirectoryHandle(opening: root.path)
        } catch let error as FileSystemError {
            throw Self.failure("open '\(root.path)'", error)
        }
    }

    private func resolve(_ path: String, from top: DirectoryHandle) throws -> String {
        try RepositoryPath.resolveConfigured(path) { Self.readLink($0, in: top) }
    }

    /// The target of the link at `path` (relative to `top`), or nil when it is not a link.
    private static func readLink(_ path: String, in top: DirectoryHandle) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let count = readlinkat(top.descriptor, path, &buffer, buffer.count)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The folder at `components` (a resolved path: no links, `..` or `.`) below `top`, reached
    /// without following a link; nil when one is missing or is a file. (A link that appeared
    /// after resolving is an error: never followed.)
    private static func folder(_ components: ArraySlice<String>, from top: DirectoryHandle) throws
        -> DirectoryHandle?
    {
        do {
            return try top.walk(components)
        } catch FileSystemError.inTheWay {
            return nil
        } catch FileSystemError.system(_, _, let code) where code == ENOENT {
            return nil
        }
    }

    private static func failure(_ operation: String, _ error: FileSystemError) -> StageFailure {
        StageFailure.system(operation, error.code ?? ELOOP)
    }
}
