import FileSafety
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Takes an image's layer tars in order and puts the model files its manifest lists into a
/// target folder — all of them, or nothing at all.
///
/// `pull` hands over each layer as soon as it is downloaded (and inflated), so that one layer
/// at a time is on disk, and calls `finish()` once every layer is in.
///
/// How, and what it promises:
/// - Layers are read by libarchive (`TarReader`). Only regular files and folders under `model/`
///   are taken, into a private staging folder on the target's file system (`PullStaging`).
///   Every name is reached from a folder descriptor with `O_NOFOLLOW` (`DirectoryHandle`), so
///   nothing is ever written through a link.
/// - Refused with an error naming the entry and its byte offset: hard and symbolic links,
///   devices, FIFOs, sockets, sparse files, absolute names, `..`, any component starting with
///   `.` (`.git`, `.ssh`), names that are not UTF-8 or too long, a size beyond the end of the
///   layer; libarchive itself refuses malformed headers and negative or overflowing sizes.
///   Files are written 0644 and folders 0755 (less the umask): no setuid, setgid or sticky bit.
/// - At most `PullOptions.maxBytes` bytes of files are written and `maxEntries` entries read in
///   all (decompression bombs; `LayerInflation` caps what each compressed layer inflates to).
/// - `finish()` reads modelgate's `manifest.json` from the layers (an image without one is
///   refused), checks every listed file's size and SHA-256, and keeps only the files listed.
///   When the target did not exist, the staged folder becomes it in one rename. Otherwise each
///   file is renamed into place through folder descriptors, after checking up front that no
///   link is on the way and no file would be overwritten (unless `overwrite`); overwritten
///   files are set aside until the end, so that a failure can put everything back.
/// - Whenever a step fails, or the unpacker is released without `finish()`, the target is left
///   as it was and the staging folder is removed.
package final class LayerUnpacker {
    /// The longest relative path taken, in bytes, and the deepest.
    static let maxPathBytes = 4096
    static let maxDepth = 256
    /// The largest `manifest.json` read (about 200,000 files).
    static let maxManifestBytes = 64 << 20

    private let options: PullOptions
    private let staging: PullStaging
    /// Where the layers' `model/` folders are unpacked, inside the staging folder.
    private let unpacked: DirectoryHandle
    /// The target's path with its links resolved.
    private let target: URL
    private var layerCount = 0
    private var entryCount = 0
    private var bytesWritten: Int64 = 0
    /// The SHA-256 and size of every file unpacked so far, by path under `model/` (a later entry
    /// of the same path replaces the earlier one, as later layers do in an image).
    private var files: [String: (sha256: String, size: Int64)] = [:]

    /// An unpacker for a pull into `directory` (created if needed, with its parents), with a
    /// staging folder of its own.
    package convenience init(into directory: URL, options: PullOptions) throws {
        try self.init(staging: PullStaging(for: directory), options: options)
    }

    /// An unpacker for the pull `staging` was made for, unpacking into it.
    init(staging: PullStaging, options: PullOptions) throws {
        self.options = options
        self.staging = staging
        target = staging.target
        unpacked = try UnpackError.translating { try staging.folder.makeFolder("unpacked").0 }
    }

    // MARK: - Unpacking a layer

    /// Unpacks the `model/` entries of the tar at `layer` into the staging folder.
    package func add(_ layer: URL) throws {
        try UnpackError.translating { try unpack(layer) }
    }

    private func unpack(_ layer: URL) throws {
        layerCount += 1
        let reader: TarReader
        do {
            reader = try TarReader(reading: layer)
        } catch let failure as TarReader.Failure {
            throw malformed(failure)
        }
        while let entry = try next(in: reader) {
            entryCount += 1
            guard entryCount <= options.maxEntries else {
                throw UnpackError.limitReached(
                    .entries(options.maxEntries), layer: layerCount, offset: entry.offset)
            }
            guard let components = try modelComponents(of: entry) else { continue }
            switch entry.kind {
            case .folder:
                if !components.isEmpty { _ = try folder(for: components[...], of: entry) }
            case .file:
                // `model` itself as a file: it is the target's folder.
                guard !components.isEmpty else { throw refused(entry, .fileFolderClash) }
                try write(entry, to: components, from: reader)
            case .hardLink(let target):
                throw refused(entry, .hardLink(target))
            case .symbolicLink(let target):
                throw refused(entry, .symbolicLink(target))
            case .special(let kind):
                throw refused(entry, .special(kind))
            }
        }
    }

    private func next(in reader: TarReader) throws -> TarReader.Entry? {
        do {
            return try reader.next()
        } catch let failure as TarReader.Failure {
            throw malformed(failure)
        }
    }

    /// The components of `entry`'s path under `model/` (empty for `model/` itself); nil for an
    /// entry outside `model/`, which is skipped. Throws for names that are never acceptable,
    /// wherever they are: absolute, `..`, not UTF-8.
    private func modelComponents(of entry: TarReader.Entry) throws -> [String]? {
        guard var path = entry.path else { throw refused(entry, .notText) }
        guard !path.hasPrefix("/") else { throw refused(entry, .absolute) }
        while path.hasPrefix("./") { path.removeFirst(2) }
        if case .folder = entry.kind, path.hasSuffix("/") { path.removeLast() }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.contains("..") else { throw refused(entry, .parent) }
        guard components.first == "model" else { return nil }
        let inside = Array(components.dropFirst())
        if let refusal = Self.refusal(of: inside) { throw refused(entry, refusal) }
        return inside
    }

    /// Why modelgate would not write `path` (relative to the target), or nil when it would.
    static func refusal(ofPath path: String) -> UnpackError.Refusal? {
        if path.hasPrefix("/") { return .absolute }
        return refusal(of: path.split(separator: "/", omittingEmptySubsequences: false).map(String.init))
    }

    /// Why modelgate would not write the relative path `components`, or nil when it would.
    static func refusal(of components: [String]) -> UnpackError.Refusal? {
        if components.contains("..") { return .parent }
        if components.contains(where: { $0.utf8.contains(0) }) { return .notText }
        if let dotted = components.first(where: { $0.hasPrefix(".") }) { return .dotComponent(dotted) }
        if components.contains("") { return .emptyComponent }
        if components.count > maxDepth || components.contains(where: { $0.utf8.count > 255 })
            || components.reduce(0, { $0 + $1.utf8.count + 1 }) > maxPathBytes
        {
            return .tooLong
        }
        return nil
    }

    /// Writes the regular file `entry` at `components` in the staging folder.
    private func write(_ entry: TarReader.Entry, to components: [String], from reader: TarReader) throws {
        guard !entry.isSparse else { throw refused(entry, .sparse) }
        guard entry.size <= entry.available else {
            throw refused(entry, .sizeBeyondLayer(size: entry.size, available: entry.available))
        }
        guard bytesWritten + entry.size <= options.maxBytes else {
            throw UnpackError.limitReached(.bytes(options.maxBytes), layer: layerCount, offset: entry.offset)
        }
        let parent = try folder(for: components.dropLast(), of: entry)
        let name = components[components.count - 1]
        let file: HashingFile
        do {
            file = try HashingFile(creating: name, in: parent)
        } catch FileSystemError.system(_, _, let code) where code == EISDIR {
            throw refused(entry, .fileFolderClash)
        }
        do {
            try reader.readData { piece in
                guard file.size + Int64(piece.count) <= entry.size else {
                    throw refused(entry, .sizeBeyondLayer(size: entry.size, available: entry.available))
                }
                try file.write(piece)
            }
        } catch let failure as TarReader.Failure {
            throw malformed(failure)
        }
        let sha256 = try file.finish(syncing: false)
        guard file.size == entry.size else {
            throw malformed(
                TarReader.Failure(
                    offset: entry.offset, entry: entry.displayName, reason: "content ends early"))
        }
        bytesWritten += file.size
        files[components.joined(separator: "/")] = (sha256, file.size)
    }

    /// The staging folder at `components` under `model/`, created as needed.
    private func folder(for components: ArraySlice<String>, of entry: TarReader.Entry) throws
        -> DirectoryHandle
    {
        var current = unpacked
        for component in components {
            do {
                current = try current.makeFolder(component).0
            } catch FileSystemError.inTheWay, FileSystemError.link {
                throw refused(entry, .fileFolderClash)
            }
        }
        return current
    }

    private func refused(_ entry: TarReader.Entry, _ refusal: UnpackError.Refusal) -> UnpackError {
        .refusedEntry(layer: layerCount, offset: entry.offset, entry: entry.displayName, refusal: refusal)
    }

    private func malformed(_ failure: TarReader.Failure) -> UnpackError {
        .malformedLayer(
            layer: layerCount, offset: failure.offset, entry: failure.entry, reason: failure.reason)
    }

    // MARK: - Finishing

    /// Checks the unpacked files against the image's `manifest.json`, keeps only those it lists
    /// and puts them (and the manifest) into the target; returns their paths.
    package func finish() throws -> [String] {
        try UnpackError.translating { try place() }
    }

    private func place() throws -> [String] {
        let manifest = try readManifest()
        var paths: [String] = []
        var seen: Set<String> = [ArtifactManifest.fileName]
        for file in manifest.files {
            if let refusal = Self.refusal(ofPath: file.path) {
                throw UnpackError.refusedManifestPath(file.path, refusal: refusal.words)
            }
            guard seen.insert(file.path).inserted else {
                throw UnpackError.refusedManifestPath(
                    file.path, refusal: "twice (or as the manifest's own name)")
            }
            guard let unpacked = files[file.path] else { throw UnpackError.missingFile(file.path) }
            guard unpacked.sha256 == file.sha256, unpacked.size == file.size else {
                throw UnpackError.digestMismatch(
                    path: file.path, sha256: unpacked.sha256, size: unpacked.size,
                    expectedSHA256: file.sha256,
                    expectedSize: file.size)
            }
            paths.append(file.path)
        }
        paths.append(ArtifactManifest.fileName)
        // The files kept go to a folder of their own, flushed to disk before they are placed.
        let result = try staging.folder.makeFolder("model").0
        for path in paths {
            let components = path.split(separator: "/").map(String.init)
            let name = components[components.count - 1]
            let folder = try result.walk(components.dropLast(), creating: true)
            try unpacked.walk(components.dropLast()).move(name, to: folder, as: name)
            try folder.syncFile(name)
            folder.sync()
        }
        if staging.isInsideTarget {
            try TargetPlacement(staging: staging, result: result, overwrite: options.overwrite).place(paths)
        } else {
            // rename(2) takes the name only while it is free (or an empty folder).
            do {
                try staging.folder.move("model", to: staging.container, as: target.lastPathComponent)
            } catch FileSystemError.system(_, _, let code)
                where [ENOTEMPTY, EEXIST, ENOTDIR, EISDIR].contains(code)
            {
                throw UnpackError.inTheWay(
                    target.path, found: "folder or file made during the pull", needed: "folder")
            }
            staging.container.sync()
        }
        staging.remove()
        return paths
    }

    /// The image's modelgate manifest, from the unpacked `model/manifest.json`.
    private func readManifest() throws -> ArtifactManifest {
        guard let listed = files[ArtifactManifest.fileName] else { throw UnpackError.missingManifest }
        guard listed.size <= Self.maxManifestBytes else {
            throw UnpackError.unreadableManifest(
                "it is larger than \(PullOptions.describe(bytes: Int64(Self.maxManifestBytes)))")
        }
        guard let data = try unpacked.readFile(ArtifactManifest.fileName, limit: Self.maxManifestBytes) else {
            throw UnpackError.missingManifest
        }
        do {
            return try ArtifactManifest.decode(data)
        } catch let error as DecodingError {
            throw UnpackError.unreadableManifest(Self.describe(error))
        } catch {
            throw UnpackError.unreadableManifest("\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "no '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            (context.codingPath.isEmpty
                ? "" : context.codingPath.map(\.stringValue).joined(separator: ".") + ": ")
                + context.debugDescription
        @unknown default: "\(error)"
        }
    }
}
