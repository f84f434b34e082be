import Diagnostics
import Foundation
import GitKit
import Pipeline

#if canImport(Glibc)
    import Glibc
#endif

/// The content-addressed artifact store under `<git common dir>/modelgate/store`.
///
/// Layout: `sha256/<2 hex>/<64 hex>` holds every blob (model files and manifests) once, named by
/// its SHA-256; `artifacts/<64 hex>` marks which blobs are artifact manifests; `tmp/` holds files
/// being written. Blobs appear only by rename of a complete, fsynced file, so readers never see
/// half an artifact. Shared by all worktrees of a repository, never committed.
public struct ArtifactStore: ArtifactSink, Sendable {
    /// `<common dir>/modelgate/store`.
    public let root: URL

    /// The store of `repository`.
    public init(repository: Repository) {
        root = repository.commonDirectory.appendingPathComponent("modelgate/store", isDirectory: true)
    }

    /// A store at `root` (tests).
    public init(root: URL) {
        self.root = root
    }

    var temporaryDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }
    var markerDirectory: URL { root.appendingPathComponent("artifacts", isDirectory: true) }
    /// Image layouts being pushed; gc removes only entries a day old (left by an interrupted push).
    var scratchDirectory: URL { root.appendingPathComponent("scratch", isDirectory: true) }

    /// Where the blob with digest `digest` lives.
    public func blobURL(_ digest: Digest) -> URL {
        root.appendingPathComponent("sha256/\(digest.hex.prefix(2))/\(digest.hex)")
    }

    // MARK: - Storing

    /// Stores a passing run's outputs and returns the artifact digest (`ArtifactSink`).
    public func store(outputs: [String], from checkout: URL, record: RunRecord, config: PipelineConfig) throws
        -> String
    {
        try store(outputs: outputs, from: checkout, name: config.name, record: record).description
    }

    /// Copies every output file (directories recursively) into the store, then the manifest.
    public func store(outputs: [String], from checkout: URL, name: String, record: RunRecord) throws -> Digest
    {
        let paths = try Self.expand(outputs, in: checkout)
        return try withLock {
            var files: [ArtifactManifest.File] = []
            for path in paths {
                let (digest, size) = try ingest(file: checkout.appendingPathComponent(path))
                files.append(.init(path: path, sha256: digest.hex, size: size))
            }
            let manifest = ArtifactManifest(
                name: name, tree: record.tree, fingerprint: record.fingerprint,
                verdict: record.verdict.rawValue,
                metrics: record.metrics, inputs: record.inputs, files: files, tool: record.tool,
                created: Date(timeIntervalSince1970: record.started.timeIntervalSince1970.rounded(.down)),
                source: record.source)
            let (digest, _) = try ingest(data: try manifest.encoded())
            let marker = markerDirectory.appendingPathComponent(digest.hex)
            if !FileManager.default.fileExists(atPath: marker.path) {
                let file = try HashingFile(in: temporaryDirectory)
                _ = try file.finish()
                try HashingFile.install(file.temporaryURL, at: marker)
            }
            return digest
        }
    }

    /// The regular files named by `outputs` (directories expanded), sorted and de-duplicated.
    static func expand(_ outputs: [String], in checkout: URL) throws -> [String] {
        var result = Set<String>()
        let fileManager = FileManager.default
        for output in outputs {
            let path = output.hasPrefix("./") ? String(output.dropFirst(2)) : output
            let url = checkout.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw ArtifactError(
                    "the run declared the output '\(path)' but did not write it", location: path,
                    hint: "write '\(path)' relative to the repository root, or remove it from 'outs'",
                    exitStatus: .badInput)
            }
            if isDirectory.boolValue {
                let enumerator = fileManager.enumerator(atPath: url.path)
                while let relative = enumerator?.nextObject() as? String {
                    var inner: ObjCBool = false
                    if fileManager.fileExists(
                        atPath: url.appendingPathComponent(relative).path, isDirectory: &inner),
                        !inner.boolValue
                    {
                        result.insert("\(path.hasSuffix("/") ? String(path.dropLast()) : path)/\(relative)")
                    }
                }
            } else {
                result.insert(path)
            }
        }
        if result.contains(ArtifactManifest.fileName) {
            throw ArtifactError(
                "an output is called '\(ArtifactManifest.fileName)', the name the artifact's own manifest takes",
                location: ArtifactManifest.fileName, hint: "rename the output (e.g. model/manifest.json)",
                exitStatus: .badInput)
        }
        return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Copies a file into the store by content; returns its digest and size.
    @discardableResult
    func ingest(file url: URL) throws -> (Digest, Int64) {
        let file = try HashingFile(in: temporaryDirectory)
        try file.append(contentsOf: url)
        let digest = Digest(hex: try file.finish())
        try HashingFile.install(file.temporaryURL, at: blobURL(digest))
        return (digest, file.size)
    }

    /// Stores bytes by content; returns their digest and size.
    @discardableResult
    func ingest(data: Data) throws -> (Digest, Int64) {
        let file = try HashingFile(in: temporaryDirectory)
        try file.write(data)
        let digest = Digest(hex: try file.finish())
        try HashingFile.install(file.temporaryURL, at: blobURL(digest))
        return (digest, file.size)
    }

    // MARK: - Reading

    /// Every stored artifact's digest.
    public func artifactDigests() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: markerDirectory.path)) ?? []
        return names.compactMap { Digest($0) }.sorted()
    }

    /// The manifest of artifact `digest`, read without checking the files.
    public func manifest(_ digest: Digest) throws -> ArtifactManifest {
        let url = blobURL(digest)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ArtifactError(
                "the artifact \(digest.short) is not in the store", location: url.path,
                hint:
                    "it was removed by 'modelgate gc' or never stored here; rerun with 'modelgate run --rev REV --force'"
            )
        }
        do {
            return try ArtifactManifest.decode(data)
        } catch {
            throw ArtifactError(
                "the manifest of artifact \(digest.short) is unreadable: \(error)", location: url.path,
                hint:
                    "run 'modelgate artifact verify' and re-create it with 'modelgate run --rev REV --force'")
        }
    }

    /// One problem found by `verify`.
    public struct Problem: Codable, Sendable, Equatable {
        /// The file's path in the artifact, or "manifest.json".
        public let path: String
        /// What is wrong ("missing", "sha256 … expected …", "size …").
        public let problem: String
    }

    /// The result of re-hashing an artifact.
    public struct Verification: Codable, Sendable {
        /// The artifact.
        public let artifact: String
        /// Files checked (manifest included).
        public let checked: Int
        /// Bytes hashed.
        public let bytes: Int64
        /// What is wrong; empty when the artifact is intact.
        public let problems: [Problem]
        /// True when nothing is wrong.
        public var isIntact: Bool { problems.isEmpty }
    }

    /// Re-hashes the manifest and every file of artifact `digest`.
    public func verify(_ digest: Digest) throws -> Verification {
        let manifestURL = blobURL(digest)
        guard FileManager.default.fileExists(atPath: manifestURL.path) else {
            return Verification(
                artifact: digest.description, checked: 0, bytes: 0,
                problems: [Problem(path: ArtifactManifest.fileName, problem: "missing from the store")])
        }
        let (manifestHex, manifestSize) = try FileChunks.digest(of: manifestURL)
        guard manifestHex == digest.hex else {
            return Verification(
                artifact: digest.description, checked: 1, bytes: manifestSize,
                problems: [
                    Problem(
                        path: ArtifactManifest.fileName,
                        problem: "sha256 is \(manifestHex), expected \(digest.hex)")
                ])
        }
        let manifest = try self.manifest(digest)
        var problems: [Problem] = []
        var bytes = manifestSize
        for file in manifest.files {
            guard let fileDigest = Digest(file.sha256) else {
                problems.append(Problem(path: file.path, problem: "the manifest lists an invalid sha256"))
                continue
            }
            let url = blobURL(fileDigest)
            guard FileManager.default.fileExists(atPath: url.path) else {
                problems.append(Problem(path: file.path, problem: "missing from the store"))
                continue
            }
            let (hex, size) = try FileChunks.digest(of: url)
            bytes += size
            if hex != file.sha256 {
                problems.append(
                    Problem(path: file.path, problem: "sha256 is \(hex), expected \(file.sha256)"))
            } else if size != file.size {
                problems.append(
                    Problem(path: file.path, problem: "size is \(size) bytes, expected \(file.size)"))
            }
        }
        return Verification(
            artifact: digest.description, checked: manifest.files.count + 1, bytes: bytes, problems: problems)
    }

    /// Verifies artifact `digest` and throws (exit 3) naming every corrupt file.
    @discardableResult
    public func requireIntact(_ digest: Digest, for purpose: String) throws -> ArtifactManifest {
        let verification = try verify(digest)
        guard verification.isIntact else {
            throw ArtifactError(
                "refusing to \(purpose): the artifact \(digest.short) is corrupt ("
                    + verification.problems.map { "\($0.path): \($0.problem)" }.joined(separator: "; ") + ")",
                location: root.path,
                hint:
                    "re-create it with 'modelgate run --rev REV --force' (and 'modelgate artifact verify' to check)"
            )
        }
        return try manifest(digest)
    }

    /// Copies artifact `digest` (files and `manifest.json`) into `directory`, after verifying it.
    public func export(_ digest: Digest, to directory: URL) throws -> ArtifactManifest {
        let manifest = try requireIntact(digest, for: "export")
        for file in manifest.files {
            try Self.checkRelative(file.path)
            let copy = try HashingFile(in: directory)
            try copy.append(contentsOf: blobURL(Digest(hex: file.sha256)))
            guard try copy.finish() == file.sha256 else {
                throw ArtifactError(
                    "the file '\(file.path)' changed while it was exported", location: directory.path)
            }
            try HashingFile.install(
                copy.temporaryURL, at: directory.appendingPathComponent(file.path), replacing: true)
        }
        let copy = try HashingFile(in: directory)
        try copy.append(contentsOf: blobURL(digest))
        _ = try copy.finish()
        try HashingFile.install(
            copy.temporaryURL, at: directory.appendingPathComponent(ArtifactManifest.fileName),
            replacing: true)
        return manifest
    }

    /// Refuses absolute paths and `..` components, so nothing is written outside a target directory.
    static func checkRelative(_ path: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.hasPrefix("/"), !path.isEmpty, !parts.contains(".."), !parts.contains("") else {
            throw ArtifactError(
                "the path '\(path)' would leave the target directory", location: path, exitStatus: .failure)
        }
    }

    // MARK: - Garbage collection

    /// What `gc` kept and removed.
    public struct Collection: Codable, Sendable {
        /// Artifacts kept (released or among the newest).
        public let kept: [String]
        /// Artifacts removed (or that would be, on a dry run).
        public let removed: [String]
        /// Blobs removed (files and manifests no kept artifact needs).
        public let removedBlobs: Int
        /// Bytes freed.
        public let freedBytes: Int64
        /// True when nothing was deleted.
        public let dryRun: Bool
    }

    /// Removes every artifact that is neither in `keep` nor among the `newest` most recently
    /// created, and every blob no remaining artifact needs.
    public func collectGarbage(keeping keep: Set<Digest>, newest: Int, dryRun: Bool) throws -> Collection {
        try withLock {
            var dated: [(Digest, Date)] = []
            // Recency is when the artifact was stored (its marker's mtime, sub-second), which
            // orders runs of the same second that the manifest's `created` cannot tell apart.
            for digest in artifactDigests() {
                let marker = markerDirectory.appendingPathComponent(digest.hex).path
                let stored =
                    (try? FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date)
                    ?? nil
                dated.append((digest, stored ?? .distantPast))
            }
            dated.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let newestSet = Set(dated.prefix(max(0, newest)).map(\.0))
            let kept = dated.map(\.0).filter { keep.contains($0) || newestSet.contains($0) }
            let removed = dated.map(\.0).filter { !keep.contains($0) && !newestSet.contains($0) }
            var live = Set<String>()
            for digest in kept {
                live.insert(digest.hex)
                for file in (try? manifest(digest).files) ?? [] { live.insert(file.sha256) }
            }
            var removedBlobs = 0
            var freed: Int64 = 0
            let blobs = root.appendingPathComponent("sha256", isDirectory: true)
            let fileManager = FileManager.default
            for fan in (try? fileManager.contentsOfDirectory(atPath: blobs.path)) ?? [] {
                let fanURL = blobs.appendingPathComponent(fan, isDirectory: true)
                for name in (try? fileManager.contentsOfDirectory(atPath: fanURL.path)) ?? []
                where !live.contains(name) {
                    let url = fanURL.appendingPathComponent(name)
                    let size = (try? fileManager.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? 0
                    removedBlobs += 1
                    freed += size
                    if !dryRun { try fileManager.removeItem(at: url) }
                }
            }
            if !dryRun {
                for digest in removed {
                    try? fileManager.removeItem(at: markerDirectory.appendingPathComponent(digest.hex))
                }
                // Left-overs of interrupted writes (we hold the lock, so none is in progress).
                for name in (try? fileManager.contentsOfDirectory(atPath: temporaryDirectory.path)) ?? [] {
                    try? fileManager.removeItem(at: temporaryDirectory.appendingPathComponent(name))
                }
            }
            // Layouts of pushes interrupted a day ago or more (a running push holds no lock).
            let dayAgo = Date().addingTimeInterval(-86_400)
            for name in dryRun
                ? [] : (try? fileManager.contentsOfDirectory(atPath: scratchDirectory.path)) ?? []
            {
                let url = scratchDirectory.appendingPathComponent(name)
                let modified =
                    (try? fileManager.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? nil
                if let modified, modified < dayAgo { try? fileManager.removeItem(at: url) }
            }
            return Collection(
                kept: kept.map(\.description), removed: removed.map(\.description),
                removedBlobs: removedBlobs,
                freedBytes: freed, dryRun: dryRun)
        }
    }

    // MARK: - Locking

    /// Runs `body` holding the store's lock, so a store and a gc never interleave.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent("lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ArtifactError.system("open the store lock", path: path, code: errno)
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw ArtifactError.system("lock the store", path: path, code: errno)
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
