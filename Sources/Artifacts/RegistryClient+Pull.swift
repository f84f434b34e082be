import Checksum
import Diagnostics
import FileSafety
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

extension RegistryClient {
    /// What a pull wrote.
    public struct PullResult: Codable, Sendable {
        /// The manifest digest.
        public let digest: String
        /// Files written (relative to the target directory).
        public let files: [String]
        /// Bytes downloaded.
        public let bytes: Int64
    }

    /// Downloads the image, verifying every digest and size, and writes the files under `/model`
    /// of its layers into the target `staging` was made for (and checks them against the
    /// artifact's `manifest.json`); downloads and unpacking happen in `staging`.
    /// No body is read past its bound: manifests and configs 4 MiB, blobs their declared size.
    /// Every error it throws that may quote the registry or the image is redacted: a
    /// `RegistryError`, or another module's error wrapped in a `RedactedError`.
    func pull(into staging: PullStaging, options: PullOptions) async throws -> PullResult {
        do {
            return try await pullImage(into: staging, options: options)
        } catch let error as RegistryError {
            throw error
        } catch let error as any UserFacingError {
            throw auth.redacting(error)
        }
    }

    private func pullImage(into staging: PullStaging, options: PullOptions) async throws -> PullResult {
        let scratch = staging.url
        try await ping()
        let accept = [OCI.manifestType, OCI.indexType, OCI.dockerManifestType, OCI.dockerListType].joined(
            separator: ", ")
        var (data, mediaType, digest) = try await fetchManifest(target.reference, accept: accept)
        if let wanted = target.digest, digest != wanted.description {
            throw RegistryError.manifestDigestMismatch(
                expected: wanted.description, actual: digest, reference: target.description)
        }
        if mediaType.hasPrefix(OCI.indexType) || mediaType.hasPrefix(OCI.dockerListType) {
            let index = try document("the image index") { try RegistryDocument.index(data) }
            guard
                let chosen = index.manifests.first(where: {
                    $0.platform?.os == "linux" && $0.platform?.architecture == "amd64"
                })
                    ?? index.manifests.first
            else {
                throw RegistryError.emptyIndex(reference: target.description)
            }
            (data, _, digest) = try await fetchManifest(chosen.digest, accept: accept)
            guard digest == chosen.digest else {
                throw RegistryError.manifestDigestMismatch(
                    expected: chosen.digest, actual: digest, reference: target.description)
            }
        }
        let manifest = try document("the image manifest") { try RegistryDocument.manifest(data) }
        var bytes = Int64(data.count)
        guard manifest.config.size <= Int64(RegistryDocument.configLimit) else {
            throw RegistryError.responseTooLarge(
                what: "the image config", limit: RegistryDocument.configLimit, registry: target.registry)
        }
        let configFile = try await download(manifest.config, into: scratch)
        bytes += manifest.config.size
        // The uncompressed digests, to check what a compressed layer inflates to.
        let diffIDs = try? RegistryDocument.diffIDs(Data(contentsOf: configFile))
        try? FileManager.default.removeItem(at: configFile)
        let unpacker = try LayerUnpacker(staging: staging, options: options)
        for (position, layer) in manifest.layers.enumerated() {
            let compression = try LayerCompression(
                mediaType: layer.mediaType, layer: layer.digest, target: target, auth: auth)
            var file = try await download(layer, into: scratch)
            bytes += layer.size
            if compression != .none {
                guard let diffIDs, position < diffIDs.count else {
                    throw RegistryError.missingDiffID(digest: layer.digest, reference: target.description)
                }
                let tar = scratch.appendingPathComponent(UUID().uuidString)
                let decompressor: LayerDecompressor =
                    compression == .gzip ? try GzipInflater() : try ZstdInflater()
                let digest =
                    "sha256:"
                    + (try LayerInflation.inflate(
                        file, to: tar, with: decompressor, limit: options.maxBytes))
                try? FileManager.default.removeItem(at: file)  // peak disk: one copy of each layer
                guard diffIDs[position] == digest else {
                    throw RegistryError.layerDigestMismatch(
                        digest: layer.digest, inflated: digest,
                        expected: auth.redact(diffIDs[position], limit: 80),
                        reference: target.description)
                }
                file = tar
            }
            try unpacker.add(file)
            try? FileManager.default.removeItem(at: file)
        }
        let files = try unpacker.finish()
        return PullResult(digest: digest, files: files.sorted(), bytes: bytes)
    }

    /// The manifest (or index) `reference` names: its bytes (at most 4 MiB), media type and digest.
    private func fetchManifest(_ reference: String, accept: String) async throws -> (Data, String, String) {
        let reply = try await send(
            "GET", try url("/v2/\(target.repository)/manifests/\(reference)"), headers: ["Accept": accept],
            limit: .document(what: "the manifest", limit: RegistryDocument.manifestLimit),
            purpose: "read the manifest")
        if reply.response.statusCode == 404 {
            throw RegistryError.notFound(
                registry: target.registry, repository: target.repository, reference: reference,
                target: target.description)
        }
        try expect(reply, [200], "read the manifest")
        let mediaType =
            RegistryDocument.mediaType(reply.body) ?? reply.response.value(forHTTPHeaderField: "Content-Type")
            ?? ""
        return (reply.body, mediaType, "sha256:" + SHA256.hex(of: reply.body))
    }

    /// Downloads blob `descriptor` into a new file of `directory`, streamed to disk and stopped
    /// as soon as more bytes arrive than it declares; checks its digest and size.
    private func download(_ descriptor: OCI.Descriptor, into directory: URL) async throws -> URL {
        let file = try BlobFile(descriptor, in: directory, registry: target.registry)
        let short = descriptor.digest.prefix(19)
        let reply = try await send(
            "GET", try url("/v2/\(target.repository)/blobs/\(descriptor.digest)"), limit: .blob(file),
            purpose: "download blob \(short)")
        try expect(reply, [200], "download blob \(short)")
        let (hex, size) = try file.finish()
        guard "sha256:\(hex)" == descriptor.digest, size == descriptor.size else {
            throw RegistryError.blobDigestMismatch(
                digest: descriptor.digest, actual: "sha256:\(hex)", size: size, declared: descriptor.size,
                reference: target.description)
        }
        return file.keep()
    }

    /// Decodes a registry document, its failure as `invalidDocument` naming `what`.
    private func document<T>(_ what: String, _ decode: () throws -> T) throws -> T {
        do {
            return try decode()
        } catch let invalid as RegistryDocument.Invalid {
            throw RegistryError.invalidDocument(
                what: "\(what) from \(target.registry)", reason: auth.redact(invalid.reason),
                reference: target.description)
        }
    }
}

/// A blob being downloaded: a new file in the scratch directory, hashed as it is written, that
/// never grows past the size the blob declares, and is removed unless `keep()` is called.
final class BlobFile {
    /// Disk space left free whatever a manifest declares: a quarter of what is free, at most
    /// 1 GiB (what `LayerInflation` keeps).
    static let reserve: Int64 = 1 << 30
    /// Bytes gathered before a write.
    private static let bufferSize = 1 << 20

    /// The digest the descriptor declares.
    let digest: String
    /// The size the descriptor declares.
    let declared: Int64
    let url: URL
    private let registry: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private var buffer = Data()
    private var received: Int64 = 0
    private var isKept = false

    /// Creates the file, once the declared size is known to fit on the disk.
    init(_ blob: OCI.Descriptor, in directory: URL, registry: String) throws {
        digest = blob.digest
        declared = blob.size
        self.registry = registry
        url = directory.appendingPathComponent(".blob-\(UUID().uuidString)")
        var stats = statvfs()
        if statvfs(directory.path, &stats) == 0 {
            let (bytes, overflow) = UInt64(stats.f_bavail).multipliedReportingOverflow(
                by: UInt64(stats.f_frsize))
            let available = overflow ? Int64.max : Int64(clamping: bytes)
            if blob.size > available - min(Self.reserve, available / 4) {
                throw RegistryError.insufficientSpace(
                    digest: blob.digest, declared: blob.size, available: available, directory: directory.path)
            }
        }
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ArtifactError.system("create \(url.path)", path: directory.path, code: errno)
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !isKept { unlink(url.path) }
    }

    /// Starts over (URLSession sent the request again): empties the file.
    func restart() throws {
        buffer = Data()
        received = 0
        hasher = SHA256()
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw ArtifactError.system("truncate \(url.path)", path: url.path, code: errno)
        }
    }

    /// Appends `chunk`; fails with `blobTooLarge` when it would pass the declared size.
    func write(_ chunk: Data) throws {
        guard received + Int64(chunk.count) <= declared else {
            throw RegistryError.blobTooLarge(
                digest: digest, declared: declared, received: received + Int64(chunk.count),
                registry: registry)
        }
        received += Int64(chunk.count)
        hasher.update(chunk)
        buffer.append(chunk)
        if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Writes what is buffered, closes the file, returns the SHA-256 (hex) and size written.
    func finish() throws -> (hex: String, size: Int64) {
        try flush()
        close(descriptor)
        descriptor = -1
        return (hasher.finalize(), received)
    }

    /// Leaves the file for the caller (who removes it); returns its location.
    func keep() -> URL {
        isKept = true
        return url
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try OutputFile.writeAll($0, to: descriptor, path: url.path) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// How a pulled layer is stored: the tar as is, or compressed with gzip or zstd.
enum LayerCompression {
    case none, gzip, zstd

    /// The compression `mediaType` says; an error naming the layer for one modelgate cannot unpack.
    init(mediaType: String, layer: String, target: RegistryReference, auth: RegistryAuth) throws {
        switch mediaType {
        case OCI.layerType, "application/vnd.docker.image.rootfs.diff.tar": self = .none
        case OCI.layerType + "+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip": self = .gzip
        case OCI.layerType + "+zstd": self = .zstd
        default:
            throw RegistryError.unsupportedLayer(
                digest: layer, mediaType: auth.redact(mediaType, limit: 100), reference: target.description)
        }
    }
}
