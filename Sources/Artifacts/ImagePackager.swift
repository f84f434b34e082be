import Checksum
import Foundation

/// Writes an artifact as an OCI image layout (image-spec 1.1): `oci-layout`, `index.json` and
/// `blobs/sha256/…` holding one uncompressed tar layer with the files under `/model`, the image
/// config and the manifest. A runnable image (`serving`) puts a layer with the server, its
/// libraries and a non-root user (`ServingRuntime`) under the model layer, and a config that
/// runs the server on `/model` as that user.
///
/// Everything is deterministic: entries sorted, uid/gid 0, every mtime and `created` taken from
/// the artifact (the run's start), JSON compact with sorted keys. Packaging the same artifact
/// with the same annotations twice gives byte-identical blobs and the same manifest digest.
public struct ImagePackager {
    /// What the image says about itself beyond the artifact.
    public struct Labels: Sendable {
        /// The commit (`org.opencontainers.image.revision`).
        public var revision: String?
        /// Where the source lives (`org.opencontainers.image.source`), e.g. the origin remote's URL.
        public var source: String?
        /// The version (`org.opencontainers.image.version`): a release tag or the short commit.
        public var version: String?
        /// The name under which `index.json` lists the image (`org.opencontainers.image.ref.name`).
        public var referenceName: String?
        /// The model card, put in the layer as `model/README.md` unless the artifact has one.
        public var modelCard: Data? = nil

        /// Makes labels.
        public init(
            revision: String? = nil, source: String? = nil, version: String? = nil,
            referenceName: String? = nil
        ) {
            self.revision = revision
            self.source = source
            self.version = version
            self.referenceName = referenceName
        }
    }

    /// A written image: its manifest's digest and the blobs that make it up.
    public struct Image: Sendable {
        /// The layout directory.
        public let layout: URL
        /// The manifest's digest (what registries and `skopeo inspect` report).
        public let digest: Digest
        /// The manifest's bytes.
        public let manifest: Data
        /// Config and layers, in upload order (the manifest goes last).
        public let blobs: [OCI.Descriptor]

        /// Where the blob `digest` lives in the layout.
        public func blobURL(_ digest: String) -> URL {
            layout.appendingPathComponent(
                "blobs/sha256/\(digest.replacingOccurrences(of: "sha256:", with: ""))")
        }
    }

    let store: ArtifactStore

    /// Makes a packager reading from `store`.
    public init(store: ArtifactStore) {
        self.store = store
    }

    /// The manifest annotations for `manifest` (artifact `digest`).
    static func annotations(for manifest: ArtifactManifest, digest: Digest, labels: Labels) -> [String:
        String]
    {
        var annotations = [
            "org.opencontainers.image.created": OCI.timestamp(manifest.created),
            "org.opencontainers.image.title": manifest.name,
            "org.opencontainers.image.description": "model '\(manifest.name)' packaged by \(manifest.tool)",
            "dev.modelgate.artifact": digest.description,
            "dev.modelgate.fingerprint": manifest.fingerprint,
            "dev.modelgate.metrics": manifest.metricsJSON,
            "dev.modelgate.verdict": manifest.verdict,
        ]
        if let tree = manifest.tree { annotations["dev.modelgate.tree"] = tree }
        if let revision = labels.revision { annotations["org.opencontainers.image.revision"] = revision }
        if let source = labels.source { annotations["org.opencontainers.image.source"] = source }
        if let version = labels.version { annotations["org.opencontainers.image.version"] = version }
        return annotations
    }

    /// Verifies artifact `digest` and writes it as an image into the layout at `directory`
    /// (created if needed; an existing layout keeps its other images).
    /// With `serving`, the image runs the server on the model (see `ServingRuntime`).
    public func package(
        _ digest: Digest, into directory: URL, labels: Labels, serving: ServingRuntime? = nil
    ) throws -> Image {
        let manifest = try store.requireIntact(digest, for: "package")
        try Self.checkPullable(manifest, digest: digest)
        let blobs = directory.appendingPathComponent("blobs/sha256", isDirectory: true)
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let mtime = Int64(manifest.created.timeIntervalSince1970)
        let runtimeLayer = try serving.map { try writeRuntimeLayer($0, into: blobs, mtime: mtime) }

        // The layer: model/, its subdirectories, every file and the artifact's manifest.
        let layer = try HashingFile(in: blobs)
        var entries: [(path: String, blob: Digest?)] = manifest.files.map {
            ($0.path, Digest(hex: $0.sha256))
        }
        entries.append((ArtifactManifest.fileName, digest))
        if let card = labels.modelCard, !entries.contains(where: { $0.path == ModelCardFile.name }) {
            entries.append((ModelCardFile.name, try store.ingest(data: card).0))
        }
        var directories = Set<String>()
        for entry in entries {
            try ArtifactStore.checkRelative(entry.path)
            var parts = entry.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        var all: [(path: String, blob: Digest?)] = entries + directories.map { ($0, nil) }
        all.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        try layer.write(
            Data(try TarArchive.headers(path: "model/", size: 0, isDirectory: true, mtime: mtime)))
        for entry in all {
            guard let blob = entry.blob else {
                try layer.write(
                    Data(
                        try TarArchive.headers(
                            path: "model/\(entry.path)/", size: 0, isDirectory: true, mtime: mtime)))
                continue
            }
            let url = store.blobURL(blob)
            let size =
                (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
                ?? 0
            try layer.write(
                Data(
                    try TarArchive.headers(
                        path: "model/\(entry.path)", size: size, isDirectory: false, mtime: mtime)))
            let before = layer.size
            try layer.append(contentsOf: url)
            guard layer.size - before == size else {
                throw ArtifactError("'\(entry.path)' changed size while it was packaged", location: url.path)
            }
            try layer.write(Data(TarArchive.padding(size)))
        }
        try layer.write(Data(TarArchive.trailer))
        let layerDigest = Digest(hex: try layer.finish())
        let layerSize = layer.size
        try HashingFile.install(layer.temporaryURL, at: blobs.appendingPathComponent(layerDigest.hex))

        var annotations = Self.annotations(for: manifest, digest: digest, labels: labels)
        let created = OCI.timestamp(manifest.created)
        var runtime = OCI.ImageConfig.RuntimeConfig(labels: annotations, workingDirectory: "/model")
        var layers: [OCI.Descriptor] = []
        var history: [OCI.ImageConfig.History] = []
        if let runtimeLayer {
            annotations["dev.modelgate.serve"] = runtimeLayer.serverDigest.description
            if let revision = labels.revision { annotations["dev.modelgate.commit"] = revision }
            let user = "\(ServingRuntime.userID):\(ServingRuntime.userID)"
            runtime = .init(
                labels: annotations, workingDirectory: "/model", user: user,
                entrypoint: [
                    ServingRuntime.executablePath, "--model", "/model", "--host", "0.0.0.0", "--port",
                    "\(ServingRuntime.port)",
                ],
                exposedPorts: ["\(ServingRuntime.port)/tcp": .init()], environment: ["PATH=/usr/local/bin"])
            layers.append(runtimeLayer.descriptor)
            history.append(
                .init(
                    created: created, createdBy: manifest.tool,
                    comment:
                        "modelgate-serve \(runtimeLayer.serverDigest), its shared libraries, user nonroot"))
        }
        layers.append(
            OCI.Descriptor(
                mediaType: OCI.layerType, digest: layerDigest.description, size: layerSize,
                annotations: ["org.opencontainers.image.title": "model"], platform: nil))
        history.append(
            .init(created: created, createdBy: manifest.tool, comment: "model files of artifact \(digest)"))
        let config = OCI.ImageConfig(
            created: created, architecture: "amd64", os: "linux", config: runtime,
            rootfs: .init(type: "layers", diffIDs: layers.map(\.digest)), history: history)
        let configDescriptor = try writeBlob(OCI.encode(config), mediaType: OCI.configType, into: blobs)
        let imageManifest = OCI.Manifest(config: configDescriptor, layers: layers, annotations: annotations)
        let manifestData = try OCI.encode(imageManifest)
        var manifestDescriptor = try writeBlob(manifestData, mediaType: OCI.manifestType, into: blobs)
        if let name = labels.referenceName {
            manifestDescriptor.annotations = ["org.opencontainers.image.ref.name": name]
        }
        manifestDescriptor.platform = OCI.Platform(architecture: "amd64", os: "linux")

        // index.json: keep other images, replace one listed under the same name.
        let indexURL = directory.appendingPathComponent("index.json")
        var index = OCI.Index(manifests: [])
        if let data = FileManager.default.contents(atPath: indexURL.path),
            let existing = try? JSONDecoder().decode(OCI.Index.self, from: data)
        {
            index.manifests = existing.manifests.filter { old in
                let oldName = old.annotations?["org.opencontainers.image.ref.name"]
                return old.digest != manifestDescriptor.digest
                    && (oldName == nil || oldName != labels.referenceName)
            }
        }
        index.manifests.append(manifestDescriptor)
        try write(OCI.encode(index), to: indexURL)
        try write(
            Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: directory.appendingPathComponent("oci-layout"))
        return Image(
            layout: directory, digest: Digest(manifestDescriptor.digest)!, manifest: manifestData,
            blobs: [configDescriptor] + layers)
    }

    /// Writes the runtime layer (entries in `runtime`'s sorted order, owners 0, one mtime) and
    /// returns its descriptor and the server executable's digest.
    private func writeRuntimeLayer(_ runtime: ServingRuntime, into blobs: URL, mtime: Int64) throws -> (
        descriptor: OCI.Descriptor, serverDigest: Digest
    ) {
        let layer = try HashingFile(in: blobs)
        var serverDigest: Digest?
        for entry in runtime.entries {
            switch entry.content {
            case .directory:
                try layer.write(
                    Data(
                        try TarArchive.headers(
                            path: entry.path + "/", size: 0, isDirectory: true, mtime: mtime, mode: entry.mode
                        )))
            case .bytes(let bytes):
                try layer.write(
                    Data(
                        try TarArchive.headers(
                            path: entry.path, size: Int64(bytes.count), isDirectory: false, mtime: mtime,
                            mode: entry.mode)))
                try layer.write(bytes)
                try layer.write(Data(TarArchive.padding(Int64(bytes.count))))
            case .hostFile(let url):
                let data: Data
                do {
                    data = try Data(contentsOf: url, options: .mappedIfSafe)
                } catch {
                    throw ArtifactError(
                        "cannot read \(url.path) for the serving layer: \(error.localizedDescription)",
                        location: url.path, hint: "check that the file exists and is readable")
                }
                try layer.write(
                    Data(
                        try TarArchive.headers(
                            path: entry.path, size: Int64(data.count), isDirectory: false, mtime: mtime,
                            mode: entry.mode)))
                try layer.write(data)
                try layer.write(Data(TarArchive.padding(Int64(data.count))))
                if url == runtime.executable {
                    let hasher = SHA256()
                    hasher.update(data)
                    serverDigest = Digest(hex: hasher.finalize())
                }
            }
        }
        try layer.write(Data(TarArchive.trailer))
        let digest = Digest(hex: try layer.finish())
        let size = layer.size
        try HashingFile.install(layer.temporaryURL, at: blobs.appendingPathComponent(digest.hex))
        guard let serverDigest else {
            throw ArtifactError("the serving layer lacks \(ServingRuntime.executablePath)")
        }
        let descriptor = OCI.Descriptor(
            mediaType: OCI.layerType, digest: digest.description, size: size,
            annotations: ["org.opencontainers.image.title": "modelgate-serve"], platform: nil)
        return (descriptor, serverDigest)
    }

    /// Refuses, before anything is written, an artifact with a file `modelgate pull` would
    /// refuse to write (a name starting with '.', too long…): every image modelgate builds pulls.
    static func checkPullable(_ manifest: ArtifactManifest, digest: Digest) throws {
        for file in manifest.files {
            guard let refusal = LayerUnpacker.refusal(ofPath: file.path) else { continue }
            throw ArtifactError(
                "the artifact \(digest.short) holds '\(file.path)', \(refusal.words), which 'modelgate pull' refuses",
                location: file.path,
                hint:
                    "rename it or leave it out of the stage's 'outs' (a pull never writes names such as .git or .ssh), commit, and run again",
                exitStatus: .badInput)
        }
    }

    private func writeBlob(_ data: Data, mediaType: String, into blobs: URL) throws -> OCI.Descriptor {
        let file = try HashingFile(in: blobs)
        try file.write(data)
        let hex = try file.finish()
        try HashingFile.install(file.temporaryURL, at: blobs.appendingPathComponent(hex))
        return OCI.Descriptor(
            mediaType: mediaType, digest: "sha256:\(hex)", size: Int64(data.count), annotations: nil,
            platform: nil)
    }

    private func write(_ data: Data, to url: URL) throws {
        let file = try HashingFile(in: url.deletingLastPathComponent())
        try file.write(data)
        _ = try file.finish()
        try HashingFile.install(file.temporaryURL, at: url, replacing: true)
    }

    /// A valid `org.opencontainers.image.ref.name` from free text (invalid characters become '-').
    public static func referenceName(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:@+/")
        let mapped = String(text.map { allowed.contains($0) ? $0 : "-" })
        let trimmed = mapped.trimmingCharacters(in: CharacterSet(charactersIn: "-._:@+/"))
        return trimmed.isEmpty ? "latest" : trimmed
    }
}

/// The model card's place in an image: `/model/README.md`, where hubs and tools look for it.
public enum ModelCardFile {
    /// Its path under `model/`.
    public static let name = "README.md"
}
