import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension RegistryClient {
    /// What a push did.
    public struct PushResult: Codable, Sendable {
        /// The manifest digest the registry stored.
        public let digest: String
        /// `registry/repository:tag@digest`.
        public let reference: String
        /// Blobs uploaded.
        public let uploaded: [String]
        /// Blobs the registry already had.
        public let existing: [String]
        /// Blobs mounted from another repository of the registry.
        public let mounted: [String]
        /// Bytes sent.
        public let bytes: Int64
    }

    /// Uploads every blob of `image` the registry lacks (POST then a monolithic PUT streamed from
    /// disk, or PATCH chunks; a cross-repository mount where `mountFrom` names, per digest,
    /// another repository of the same registry known to hold it), then the manifest under the
    /// tag: a failure before the end leaves no tag pointing at missing blobs.
    public func push(_ image: ImagePackager.Image, mountFrom: [String: String] = [:], chunkSize: Int? = nil)
        async throws
        -> PushResult
    {
        var uploaded: [String] = []
        var existing: [String] = []
        var mounted: [String] = []
        var bytes: Int64 = 0
        try await ping()
        for blob in image.blobs {
            let short = blob.digest.prefix(19)
            let head = try await send(
                "HEAD", try url("/v2/\(target.repository)/blobs/\(blob.digest)"),
                purpose: "check blob \(short)")
            if head.response.statusCode == 200 {
                existing.append(blob.digest)
                continue
            }
            try expect(head, [404], "check blob \(short)")
            var uploadURL: URL
            if let from = mountFrom[blob.digest], from != target.repository {
                let mount = try await send(
                    "POST",
                    try url(
                        "/v2/\(target.repository)/blobs/uploads/",
                        query: [("mount", blob.digest), ("from", from)]),
                    purpose: "mount blob \(short) from \(from)")
                if mount.response.statusCode == 201 {
                    mounted.append(blob.digest)
                    continue
                }
                try expect(mount, [202], "start an upload")
                uploadURL = try location(mount.response)
            } else {
                let start = try await send(
                    "POST", try url("/v2/\(target.repository)/blobs/uploads/"), purpose: "start an upload")
                try expect(start, [202], "start an upload")
                uploadURL = try location(start.response)
            }
            let put: RegistryTransport.Reply
            if let chunkSize, blob.size > Int64(chunkSize) {
                uploadURL = try await uploadChunks(
                    of: image.blobURL(blob.digest), size: blob.size, to: uploadURL, chunkSize: chunkSize)
                put = try await send(
                    "PUT", try appending(("digest", blob.digest), to: uploadURL),
                    headers: ["Content-Type": "application/octet-stream", "Content-Length": "0"],
                    body: .data(Data()), purpose: "finish the upload of blob \(short)")
            } else {
                put = try await send(
                    "PUT", try appending(("digest", blob.digest), to: uploadURL),
                    headers: [
                        "Content-Type": "application/octet-stream", "Content-Length": String(blob.size),
                    ],
                    body: .file(image.blobURL(blob.digest)),
                    purpose: "upload blob \(short) (\(blob.size) bytes)")
            }
            try expect(put, [201], "upload blob \(short)")
            if let stored = put.response.value(forHTTPHeaderField: "Docker-Content-Digest"),
                stored != blob.digest
            {
                throw RegistryError.storedDigestMismatch(
                    kind: "blob", stored: auth.redact(stored, limit: 100), sent: blob.digest,
                    registry: target.registry)
            }
            uploaded.append(blob.digest)
            bytes += blob.size
        }
        if let wanted = target.digest, wanted != image.digest {
            throw RegistryError.referenceDigestMismatch(
                image: image.digest.description, wanted: wanted.description, reference: target.description)
        }
        let tag = target.tag ?? target.digest?.description ?? "latest"
        let put = try await send(
            "PUT", try url("/v2/\(target.repository)/manifests/\(tag)"),
            headers: ["Content-Type": OCI.manifestType], body: .data(image.manifest),
            purpose: "upload the manifest")
        try expect(put, [201], "upload the manifest")
        if let stored = put.response.value(forHTTPHeaderField: "Docker-Content-Digest"),
            stored != image.digest.description
        {
            throw RegistryError.storedDigestMismatch(
                kind: "manifest", stored: auth.redact(stored, limit: 100), sent: image.digest.description,
                registry: target.registry)
        }
        bytes += Int64(image.manifest.count)
        return PushResult(
            digest: image.digest.description,
            reference: "\(target.registry)/\(target.repository):\(tag)@\(image.digest)",
            uploaded: uploaded, existing: existing, mounted: mounted, bytes: bytes)
    }

    /// Sends the file in PATCH requests of at most `chunkSize` bytes, following the Location the
    /// registry returns; returns the last Location. Each chunk is copied to a temporary file and
    /// streamed from there, so memory stays flat whatever the chunk size.
    private func uploadChunks(of file: URL, size: Int64, to start: URL, chunkSize: Int) async throws -> URL {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let chunkFile = file.deletingLastPathComponent().appendingPathComponent(".chunk-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: chunkFile) }
        var location = start
        var offset: Int64 = 0
        while offset < size {
            guard FileManager.default.createFile(atPath: chunkFile.path, contents: nil) else {
                throw ArtifactError("cannot write \(chunkFile.path)", location: chunkFile.path)
            }
            let writer = try FileHandle(forWritingTo: chunkFile)
            var count = 0
            while count < chunkSize,
                let piece = try handle.read(upToCount: min(FileChunks.chunkSize, chunkSize - count)),
                !piece.isEmpty
            {
                try writer.write(contentsOf: piece)
                count += piece.count
            }
            try writer.close()
            guard count > 0 else {
                throw ArtifactError("\(file.path) ended early while it was uploaded", location: file.path)
            }
            let end = offset + Int64(count) - 1
            let patch = try await send(
                "PATCH", location,
                headers: [
                    "Content-Type": "application/octet-stream", "Content-Length": String(count),
                    "Content-Range": "\(offset)-\(end)",
                ],
                body: .file(chunkFile), purpose: "upload bytes \(offset)-\(end) of \(size)")
            try expect(patch, [202], "upload bytes \(offset)-\(end)")
            location = try self.location(patch.response)
            offset = end + 1
        }
        return location
    }

    /// `url` with `item` added to its query.
    private func appending(_ item: (String, String), to url: URL) throws -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            throw RegistryError.noUploadLocation(registry: target.registry)
        }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: item.0, value: item.1)]
        // '+' in a query means a space to some servers; digests and upload states never need it literal.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(
            of: "+", with: "%2B")
        guard let result = components.url else {
            throw RegistryError.noUploadLocation(registry: target.registry)
        }
        return result
    }

    /// The upload URL a response names (absolute, or relative to the URL that answered), by
    /// the rule of `RegistryAuth.uploadLocation`.
    private func location(_ response: HTTPURLResponse) throws -> URL {
        try auth.uploadLocation(response.value(forHTTPHeaderField: "Location"), from: response.url ?? base)
    }
}
