import Diagnostics
import FileSafety

#if canImport(Glibc)
    import Glibc
#endif

/// Why the layers of a pulled image were not unpacked into the target, as cases tests can match.
///
/// Exit codes follow one rule: whatever is wrong with the image (a malformed or hostile layer, a
/// missing or contradicted manifest, a limit reached) is 3, like any registry failure; whatever
/// is wrong with the target the user named (a file to overwrite, a link inside it) is 2, bad input.
public enum UnpackError: UserFacingError, Equatable {
    /// What an entry of a layer is, when modelgate refuses to write it.
    public enum Refusal: Equatable, Sendable {
        /// A hard link (to the named entry).
        case hardLink(String)
        /// A symbolic link (to the named target).
        case symbolicLink(String)
        /// A character or block device, a FIFO or a socket (named in words).
        case special(String)
        /// A sparse file, whose content can be far larger than the layer.
        case sparse
        /// An absolute name.
        case absolute
        /// A `..` component.
        case parent
        /// A component starting with `.` (`.git`, `.ssh`, `.wh.` whiteouts).
        case dotComponent(String)
        /// An empty component (`a//b`) or an empty name.
        case emptyComponent
        /// A name that is not UTF-8 text, or holds a NUL byte (a manifest could not list it).
        case notText
        /// A size larger than what follows its header in the layer.
        case sizeBeyondLayer(size: Int64, available: Int64)
        /// A folder and a file of the same name.
        case fileFolderClash
        /// A name longer than the file system takes (255 bytes a component, 4096 in all, 256 levels).
        case tooLong

        var words: String {
            switch self {
            case .hardLink(let target): "a hard link to '\(target)'"
            case .symbolicLink(let target): "a symbolic link to '\(target)'"
            case .special(let kind): "a \(kind)"
            case .sparse: "a sparse file"
            case .absolute: "an absolute path"
            case .parent: "a path with a '..' component"
            case .dotComponent(let part):
                "a path with the component '\(part)' (names starting with '.' are never written)"
            case .emptyComponent: "a path with an empty component"
            case .notText: "a name that is not UTF-8 text or holds a NUL byte"
            case .sizeBeyondLayer(let size, let available):
                "an entry of \(size) bytes with only \(available) bytes of the layer after its header"
            case .fileFolderClash: "both a file and a folder of the same name"
            case .tooLong: "a name longer than 255 bytes a component, 4096 in all or 256 levels deep"
            }
        }
    }

    /// Which limit a pull reached (`--max-bytes`, `--max-entries`).
    public enum Limit: Equatable, Sendable {
        /// Bytes inflated from one layer or written in all.
        case bytes(Int64)
        /// Entries (files, folders, anything) in all layers.
        case entries(Int)
    }

    /// libarchive could not read layer `layer` (counted from 1) at byte `offset`: not a tar
    /// archive, a damaged header, a negative or overflowing size, truncated content.
    case malformedLayer(layer: Int, offset: Int64, entry: String?, reason: String)
    /// An entry modelgate never writes: a link, a device, a path leaving the target or hidden.
    case refusedEntry(layer: Int, offset: Int64, entry: String, refusal: Refusal)
    /// The layers hold more than a pull unpacks (`layer` nil: while inflating a compressed layer).
    case limitReached(Limit, layer: Int?, offset: Int64?)
    /// The image has no `model/manifest.json`, so nothing in it can be checked.
    case missingManifest
    /// `model/manifest.json` is not a modelgate manifest.
    case unreadableManifest(String)
    /// The manifest lists a path modelgate would not write (or twice).
    case refusedManifestPath(String, refusal: String)
    /// The manifest lists a file the layers do not hold.
    case missingFile(String)
    /// A file's SHA-256 or size differs from the manifest's.
    case digestMismatch(
        path: String, sha256: String, size: Int64, expectedSHA256: String, expectedSize: Int64)
    /// Something in the target is in the way: a file where the image puts a folder, or a folder
    /// (or a device…) where it puts a file.
    case inTheWay(String, found: String, needed: String)
    /// A symbolic link inside the target, where a pulled file or folder goes.
    case linkInTarget(String, destination: String)
    /// Files of the image already exist in the target, and `--overwrite` was not given.
    case wouldOverwrite([String], target: String)
    /// A system call failed (`errno` `code`).
    case system(operation: String, path: String, code: Int32)

    /// What happened.
    public var summary: String {
        switch self {
        case .malformedLayer(let layer, let offset, let entry, let reason):
            let named = entry.map { " '\($0)'" } ?? ""
            return "layer \(layer) is not a valid tar archive: \(reason) (entry\(named) at byte \(offset))"
        case .refusedEntry(let layer, let offset, let entry, let refusal):
            return
                "layer \(layer) holds '\(entry)' (byte \(offset)), \(refusal.words); modelgate writes only "
                + "regular files and folders under model/"
        case .limitReached(.bytes(let limit), let layer, _):
            let what = layer.map { "layer \($0)" } ?? "a compressed layer"
            return
                "\(what) unpacks to more than \(PullOptions.describe(bytes: limit)), the most a pull writes"
        case .limitReached(.entries(let limit), _, _):
            return "the image's layers have more than \(limit) entries, the most a pull unpacks"
        case .missingManifest:
            return "the image has no model/manifest.json, so its files cannot be checked"
        case .unreadableManifest(let reason):
            return "the image's model/manifest.json is not a modelgate manifest: \(reason)"
        case .refusedManifestPath(let path, let refusal):
            return "the image's manifest lists '\(path)', \(refusal)"
        case .missingFile(let path):
            return "the image's manifest lists '\(path)', but its layers do not hold it"
        case .digestMismatch(let path, let sha256, let size, let expectedSHA256, let expectedSize):
            return size == expectedSize
                ? "digest mismatch: '\(path)' has sha256 \(sha256), but the artifact's manifest says \(expectedSHA256)"
                : "size mismatch: '\(path)' has \(size) bytes, but the artifact's manifest says \(expectedSize)"
        case .inTheWay(let path, let found, let needed):
            return "'\(path)' is a \(found), where the image puts a \(needed)"
        case .linkInTarget(let path, let destination):
            return "'\(path)' is a symbolic link (to '\(destination)'); a pull never writes through links"
        case .wouldOverwrite(let paths, _):
            let shown = paths.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let more = paths.count > 5 ? " and \(paths.count - 5) more" : ""
            return "the target already has \(shown)\(more), which the image would overwrite"
        case .system(let operation, _, let code):
            return "could not \(operation): \(String(cString: strerror(code)))"
        }
    }

    /// Where.
    public var location: String? {
        switch self {
        case .malformedLayer(let layer, let offset, _, _), .refusedEntry(let layer, let offset, _, _):
            return "layer \(layer), byte \(offset)"
        case .limitReached(_, let layer, let offset):
            guard let layer else { return nil }
            return offset.map { "layer \(layer), byte \($0)" } ?? "layer \(layer)"
        case .missingManifest, .unreadableManifest, .refusedManifestPath, .missingFile:
            return "model/manifest.json"
        case .digestMismatch(let path, _, _, _, _): return path
        case .inTheWay(let path, _, _), .linkInTarget(let path, _): return path
        case .wouldOverwrite(_, let target): return target
        case .system(_, let path, _): return path
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .malformedLayer, .refusedEntry, .refusedManifestPath, .missingFile:
            return
                "the image is malformed or made to attack; do not use it (nothing was written to the target)"
        case .digestMismatch:
            return
                "the image was altered after packaging; do not deploy it (nothing was written to the target)"
        case .limitReached(.bytes, _, _):
            return "if the model really is this large, pull again with --max-bytes (e.g. --max-bytes 200G)"
        case .limitReached(.entries, _, _):
            return "if the model really has this many files, pull again with --max-entries"
        case .missingManifest, .unreadableManifest:
            return "pull images made by 'modelgate push' (or 'modelgate package --oci'); nothing was written"
        case .inTheWay, .linkInTarget:
            return "pull into a new folder, or remove '\(location ?? "")'"
        case .wouldOverwrite:
            return
                "pull into a new folder, or add --overwrite to replace these files (nothing else is touched)"
        case .system:
            return "check free disk space and permissions; nothing was written to the target"
        }
    }

    /// 2 for the target's state, 3 for everything about the image and for I/O.
    public var exitStatus: ExitStatus {
        switch self {
        case .inTheWay, .linkInTarget, .wouldOverwrite: .badInput
        default: .failure
        }
    }
}

extension UnpackError {
    /// `error` in a pull's words: a link in the target, something in the way, a failed call.
    init(_ error: FileSystemError) {
        switch error {
        case .system(let operation, let path, let code):
            self = .system(operation: operation, path: path, code: code)
        case .inTheWay(let path, let found, let needed): self = .inTheWay(path, found: found, needed: needed)
        case .link(let path, let destination): self = .linkInTarget(path, destination: destination)
        }
    }

    /// `body`'s result; a `FileSystemError` it throws becomes an `UnpackError`.
    static func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FileSystemError {
            throw UnpackError(error)
        }
    }
}
