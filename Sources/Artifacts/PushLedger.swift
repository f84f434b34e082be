import Foundation

/// Remembers which repository of which registry received each blob, so a later push of the same
/// blob to another repository of that registry can ask for a cross-repository mount instead of
/// uploading it again. Lives at `<store>/registries.json`; losing it only costs an upload.
struct PushLedger {
    let url: URL

    init(store: ArtifactStore) {
        url = store.root.appendingPathComponent("registries.json")
    }

    private func load() -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        return (try? JSONDecoder().decode([String: [String: String]].self, from: data)) ?? [:]
    }

    /// Digest → a repository of `registry` that holds it.
    func sources(on registry: String) -> [String: String] {
        load()[registry] ?? [:]
    }

    /// Records that `repository` on `registry` now holds `digests`.
    func record(_ digests: [String], registry: String, repository: String) throws {
        var all = load()
        for digest in digests { all[registry, default: [:]][digest] = repository }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let file = try HashingFile(in: url.deletingLastPathComponent())
        try file.write(try encoder.encode(all))
        _ = try file.finish()
        try HashingFile.install(file.temporaryURL, at: url, replacing: true)
    }
}

/// Publishes artifacts to registries: packages into a scratch layout, pushes, remembers.
public struct Publisher {
    let store: ArtifactStore

    /// Makes a publisher reading from `store`.
    public init(store: ArtifactStore) {
        self.store = store
    }

    /// Packages artifact `digest` (runnable with `serving`) and pushes it to `reference`.
    public func push(
        _ digest: Digest, labels: ImagePackager.Labels, to reference: RegistryReference, insecure: Bool,
        credentials: RegistryCredentials?, chunkSize: Int? = nil, serving: ServingRuntime? = nil
    ) async throws -> RegistryClient.PushResult {
        // Not under tmp/, which gc empties: a push holds no store lock while it uploads.
        let scratch = store.scratchDirectory.appendingPathComponent(
            "push-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let image = try ImagePackager(store: store).package(
            digest, into: scratch, labels: labels, serving: serving)
        let client = try RegistryClient(
            reference: reference, insecure: insecure, credentials: credentials, push: true)
        let ledger = PushLedger(store: store)
        let result = try await client.push(
            image, mountFrom: ledger.sources(on: reference.registry), chunkSize: chunkSize)
        try? ledger.record(
            image.blobs.map(\.digest), registry: reference.registry, repository: reference.repository)
        return result
    }

    /// Pulls `reference` into `directory`, verifying every digest; with `options` (overwriting,
    /// limits). On failure `directory` is left as it was.
    public func pull(
        _ reference: RegistryReference, into directory: URL, insecure: Bool,
        credentials: RegistryCredentials?,
        options: PullOptions = .defaults
    ) async throws -> RegistryClient.PullResult {
        let client = try RegistryClient(
            reference: reference, insecure: insecure, credentials: credentials, push: false)
        // Downloads and unpacking go to one staging folder on the target's file system, removed
        // at the end (or, after a crash, by the next pull there); never into the target itself.
        let staging = try PullStaging(for: directory)
        defer { staging.remove() }
        return try await client.pull(into: staging, options: options)
    }
}
