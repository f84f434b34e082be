import Checksum
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A client of the OCI distribution API (v2) over URLSession: blob existence checks, uploads
/// (POST then a monolithic PUT streamed from disk), cross-repository mounts, manifests, bearer
/// token and basic authentication.
public final class RegistryClient {
    let target: RegistryReference
    let base: URL
    let session: URLSession
    let credentials: RegistryCredentials?
    let answerer: ChallengeAnswerer
    /// The Authorization header value that worked last, reused for later requests.
    private var authorization: String?
    /// The scope asked for in bearer tokens.
    private let scope: String

    /// Makes a client for `reference`. `insecure` allows plain HTTP; credentials are never sent
    /// in clear text to a host that is not on this machine.
    public init(reference: RegistryReference, insecure: Bool, credentials: RegistryCredentials?, push: Bool)
        throws
    {
        if insecure, credentials != nil, !reference.isLoopback {
            throw ArtifactError(
                "refusing to send credentials over plain HTTP to \(reference.registry)",
                location: reference.registry,
                hint: "use HTTPS (drop --insecure); --insecure is meant for registries on this machine",
                exitStatus: .badInput)
        }
        target = reference
        base = URL(string: "\(insecure ? "http" : "https")://\(reference.registry)")!
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 300
        configuration.timeoutIntervalForResource = 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        answerer = ChallengeAnswerer(credentials: credentials)
        session = URLSession(configuration: configuration, delegate: answerer, delegateQueue: nil)
        self.credentials = credentials
        scope = "repository:\(reference.repository):\(push ? "pull,push" : "pull")"
    }

    deinit { session.finishTasksAndInvalidate() }

    // MARK: - Push

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

    /// Uploads every blob of `image` the registry lacks, then the manifest under the tag: a
    /// failure before the end leaves no tag pointing at missing blobs. `mountFrom` names, per
    /// digest, another repository of the same registry known to hold the blob.
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
            let blobPath = "/v2/\(target.repository)/blobs/\(blob.digest)"
            let (_, head) = try await send(
                "HEAD", url(blobPath), purpose: "check blob \(blob.digest.prefix(19))")
            if head.statusCode == 200 {
                existing.append(blob.digest)
                continue
            }
            try expect(head, [404], "check blob \(blob.digest.prefix(19))")
            var uploadURL: URL
            if let from = mountFrom[blob.digest], from != target.repository {
                let (_, response) = try await send(
                    "POST",
                    url(
                        "/v2/\(target.repository)/blobs/uploads/",
                        query: [("mount", blob.digest), ("from", from)]),
                    purpose: "mount blob \(blob.digest.prefix(19)) from \(from)")
                if response.statusCode == 201 {
                    mounted.append(blob.digest)
                    continue
                }
                try expect(response, [202], "start an upload")
                uploadURL = try location(response)
            } else {
                let (_, response) = try await send(
                    "POST", url("/v2/\(target.repository)/blobs/uploads/"), purpose: "start an upload")
                try expect(response, [202], "start an upload")
                uploadURL = try location(response)
            }
            let put: HTTPURLResponse
            let putBody: Data?
            if let chunkSize, blob.size > Int64(chunkSize) {
                uploadURL = try await uploadChunks(
                    of: image.blobURL(blob.digest), size: blob.size, to: uploadURL, chunkSize: chunkSize)
                (putBody, put) = try await send(
                    "PUT", appending(("digest", blob.digest), to: uploadURL),
                    headers: ["Content-Type": "application/octet-stream", "Content-Length": "0"],
                    body: .data(Data()),
                    purpose: "finish the upload of blob \(blob.digest.prefix(19))")
            } else {
                (putBody, put) = try await send(
                    "PUT", appending(("digest", blob.digest), to: uploadURL),
                    headers: [
                        "Content-Type": "application/octet-stream", "Content-Length": String(blob.size),
                    ],
                    body: .file(image.blobURL(blob.digest)),
                    purpose: "upload blob \(blob.digest.prefix(19)) (\(blob.size) bytes)")
            }
            try expect(put, [201], "upload blob \(blob.digest.prefix(19))", body: putBody)
            if let stored = put.value(forHTTPHeaderField: "Docker-Content-Digest"), stored != blob.digest {
                throw ArtifactError(
                    "the registry stored blob \(stored), not \(blob.digest): digest mismatch",
                    location: target.registry,
                    hint: "the upload was altered on the way; try again")
            }
            uploaded.append(blob.digest)
            bytes += blob.size
        }
        if let wanted = target.digest, wanted != image.digest {
            throw ArtifactError(
                "the image's digest is \(image.digest), not the \(wanted) the reference names",
                location: target.description,
                hint: "push by tag (REGISTRY/REPOSITORY:TAG), or name the digest 'modelgate package' prints")
        }
        let tag = target.tag ?? target.digest?.description ?? "latest"
        let (manifestBody, put) = try await send(
            "PUT", url("/v2/\(target.repository)/manifests/\(tag)"),
            headers: ["Content-Type": OCI.manifestType],
            body: .data(image.manifest), purpose: "upload the manifest")
        try expect(put, [201], "upload the manifest", body: manifestBody)
        if let stored = put.value(forHTTPHeaderField: "Docker-Content-Digest"),
            stored != image.digest.description
        {
            throw ArtifactError(
                "the registry stored manifest \(stored), not \(image.digest): digest mismatch",
                location: target.registry,
                hint: "the registry may have converted the manifest; check it with 'skopeo inspect'")
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
            let (_, response) = try await send(
                "PATCH", location,
                headers: [
                    "Content-Type": "application/octet-stream", "Content-Length": String(count),
                    "Content-Range": "\(offset)-\(end)",
                ],
                body: .file(chunkFile), purpose: "upload bytes \(offset)-\(end) of \(size)")
            try expect(response, [202], "upload bytes \(offset)-\(end)")
            location = try self.location(response)
            offset = end + 1
        }
        return location
    }

    // MARK: - Pull

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
    /// of its layers into `directory` (and checks them against the artifact's `manifest.json`).
    public func pull(into directory: URL, scratch: URL) async throws -> PullResult {
        try await ping()
        let accept = [OCI.manifestType, OCI.indexType, OCI.dockerManifestType, OCI.dockerListType].joined(
            separator: ", ")
        var (data, response, digest) = try await fetchManifest(target.reference, accept: accept)
        if let wanted = target.digest, digest != wanted.description {
            throw ArtifactError(
                "digest mismatch: the registry sent manifest \(digest), not \(wanted)",
                location: target.description,
                hint: "the registry or something in between altered it; do not use it")
        }
        var mediaType = response.value(forHTTPHeaderField: "Content-Type") ?? ""
        if let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let type = json["mediaType"] as? String
        {
            mediaType = type
        }
        if mediaType.hasPrefix(OCI.indexType) || mediaType.hasPrefix(OCI.dockerListType) {
            let index = try decode(OCI.Index.self, data, "the image index")
            guard
                let chosen = index.manifests.first(where: {
                    $0.platform?.os == "linux" && $0.platform?.architecture == "amd64"
                })
                    ?? index.manifests.first
            else {
                throw ArtifactError(
                    "the image index of \(target) lists no image", location: target.description)
            }
            let expected = chosen.digest
            (data, response, digest) = try await fetchManifest(expected, accept: accept)
            guard digest == expected else {
                throw ArtifactError(
                    "digest mismatch: manifest \(expected) arrived as \(digest)", location: target.description
                )
            }
        }
        let manifest = try decode(OCI.Manifest.self, data, "the image manifest")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var bytes: Int64 = Int64(data.count)
        let configFile = try await download(manifest.config, into: scratch)
        bytes += manifest.config.size
        // The uncompressed digests, to check what a compressed layer inflates to.
        let diffIDs = (try? JSONDecoder().decode(OCI.ImageConfig.self, from: Data(contentsOf: configFile)))?
            .rootfs.diffIDs
        let unpacker = try LayerUnpacker(into: directory)
        for (position, layer) in manifest.layers.enumerated() {
            let compression = try LayerCompression(
                mediaType: layer.mediaType, layer: layer.digest, target: target)
            var file = try await download(layer, into: scratch)
            bytes += layer.size
            if compression != .none {
                guard let diffIDs, position < diffIDs.count else {
                    throw ArtifactError(
                        "the image config lists no uncompressed digest for layer \(layer.digest.prefix(19)), so what it inflates to cannot be checked",
                        location: target.description, hint: "the image is malformed; rebuild or re-copy it")
                }
                let tar = scratch.appendingPathComponent(UUID().uuidString)
                let decompressor: LayerDecompressor =
                    compression == .gzip ? try GzipInflater() : try ZstdInflater()
                let digest = "sha256:" + (try LayerInflation.inflate(file, to: tar, with: decompressor))
                try? FileManager.default.removeItem(at: file)  // peak disk: one copy of each layer
                guard diffIDs[position] == digest else {
                    throw ArtifactError(
                        "digest mismatch: layer \(layer.digest.prefix(19)) inflates to \(digest), but the image config says \(diffIDs[position])",
                        location: target.description,
                        hint: "the image was altered after it was built; do not use it")
                }
                file = tar
            }
            try unpacker.add(file)
            try? FileManager.default.removeItem(at: file)
        }
        let files = try unpacker.finish()
        return PullResult(digest: digest, files: files.sorted(), bytes: bytes)
    }

    private func fetchManifest(_ reference: String, accept: String) async throws -> (
        Data, HTTPURLResponse, String
    ) {
        let (body, response) = try await send(
            "GET", url("/v2/\(target.repository)/manifests/\(reference)"), headers: ["Accept": accept],
            purpose: "read the manifest")
        if response.statusCode == 404 {
            throw ArtifactError(
                "\(target.registry)/\(target.repository):\(reference) does not exist (HTTP 404)",
                location: target.description,
                hint:
                    "check the repository and tag ('skopeo list-tags docker://\(target.registry)/\(target.repository)')",
                exitStatus: .failure)
        }
        try expect(response, [200], "read the manifest")
        let data = body ?? Data()
        return (data, response, "sha256:" + SHA256.hex(of: data))
    }

    /// Downloads blob `descriptor` into `directory` (streamed to disk) and checks its digest and size.
    private func download(_ descriptor: OCI.Descriptor, into directory: URL) async throws -> URL {
        let request = try await authorizedRequest(
            "GET", url("/v2/\(target.repository)/blobs/\(descriptor.digest)"))
        var temporary: URL
        var response: URLResponse
        do {
            (temporary, response) = try await session.download(for: request)
        } catch {
            throw transportError(error, purpose: "download blob \(descriptor.digest.prefix(19))")
        }
        let destination = directory.appendingPathComponent(UUID().uuidString)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: temporary, to: destination)
        temporary = destination
        guard let http = response as? HTTPURLResponse else {
            throw ArtifactError("no HTTP response", location: target.registry)
        }
        try expect(http, [200], "download blob \(descriptor.digest.prefix(19))")
        let (hex, size) = try FileChunks.digest(of: temporary)
        guard "sha256:\(hex)" == descriptor.digest, size == descriptor.size else {
            throw ArtifactError(
                "digest mismatch: blob \(descriptor.digest) arrived as sha256:\(hex) (\(size) bytes, expected \(descriptor.size))",
                location: target.description,
                hint: "the registry's copy is corrupt or was altered on the way; nothing was written")
        }
        return temporary
    }

    // MARK: - HTTP

    /// `GET /v2/` first: answers an authentication challenge on a request that has a body.
    ///
    /// swift-corelibs-foundation's URLSession never completes a HEAD request whose 401 answer
    /// announces a Content-Length (curl waits for a body a HEAD answer never has), so the
    /// challenge must not first arrive on the blob HEAD.
    func ping() async throws {
        let (_, response) = try await send("GET", url("/v2/"), purpose: "reach the registry API")
        if response.statusCode == 401 || response.statusCode == 403 {
            throw denied(response.statusCode, purpose: "reach the registry API")
        }
        if authorization == nil, let credentials {
            // The challenge was Basic (URLSession answered it): send the credentials up front from
            // now on, so that no upload is sent twice (once refused, once accepted).
            authorization = Self.basic(credentials)
        }
        if response.statusCode == 404 {
            throw ArtifactError(
                "\(target.registry) does not serve the registry API (/v2/ answered 404)",
                location: base.absoluteString,
                hint: "check the host and port")
        }
    }

    enum Body {
        case none
        case data(Data)
        case file(URL)
    }

    func url(_ path: String, query: [(String, String)] = []) -> URL {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        return components.url!
    }

    private func appending(_ item: (String, String), to url: URL) -> URL {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: true)!
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: item.0, value: item.1)]
        // '+' in a query means a space to some servers; digests and upload states never need it literal.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(
            of: "+", with: "%2B")
        return components.url!
    }

    private func location(_ response: HTTPURLResponse) throws -> URL {
        guard let text = response.value(forHTTPHeaderField: "Location"),
            let url = URL(string: text, relativeTo: base)
        else {
            throw ArtifactError(
                "the registry started an upload without a Location header", location: target.registry)
        }
        return url.absoluteURL
    }

    private func authorizedRequest(_ method: String, _ url: URL) async throws -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        return request
    }

    /// Sends one request; on a 401 answers the challenge (bearer token or basic) and retries once.
    func send(
        _ method: String, _ url: URL, headers: [String: String] = [:], body: Body = .none, purpose: String
    ) async throws -> (Data?, HTTPURLResponse) {
        var attempt = 0
        while true {
            var request = try await authorizedRequest(method, url)
            for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
            let data: Data
            let response: URLResponse
            do {
                switch body {
                case .none: (data, response) = try await session.data(for: request)
                case .data(let bytes): (data, response) = try await session.upload(for: request, from: bytes)
                case .file(let file):
                    // A body stream, read in chunks as curl sends: URLSession's own from-file
                    // upload pauses and resumes the transfer and crashes (a `try!` in
                    // FoundationNetworking) when the server drops the connection meanwhile.
                    guard let stream = InputStream(url: file) else {
                        throw ArtifactError("cannot read \(file.path)", location: file.path)
                    }
                    request.httpBodyStream = stream
                    (data, response) = try await session.data(for: request)
                }
            } catch let error as ArtifactError {
                throw error
            } catch {
                throw transportError(error, purpose: purpose)
            }
            guard let http = response as? HTTPURLResponse else {
                throw ArtifactError("no HTTP response", location: target.registry)
            }
            if http.statusCode == 401, attempt == 0 {
                attempt += 1
                try await authenticate(
                    http.value(forHTTPHeaderField: "WWW-Authenticate") ?? "", purpose: purpose)
                continue
            }
            return (data, http)
        }
    }

    /// Answers a `WWW-Authenticate` challenge: fetches a bearer token from the realm (with basic
    /// credentials when there are any), or uses basic authentication.
    private func authenticate(_ challenge: String, purpose: String) async throws {
        let (scheme, parameters) = Self.parseChallenge(challenge)
        switch scheme.lowercased() {
        case "bearer":
            guard let realm = parameters["realm"], var components = URLComponents(string: realm) else {
                throw ArtifactError(
                    "the registry asked for a bearer token without a realm", location: target.registry)
            }
            var items: [URLQueryItem] = []
            if let service = parameters["service"] {
                items.append(URLQueryItem(name: "service", value: service))
            }
            for requested in Set([scope] + (parameters["scope"].map { [$0] } ?? [])).sorted() {
                items.append(URLQueryItem(name: "scope", value: requested))
            }
            var request: URLRequest
            if let credentials, credentials.isIdentityToken {
                // The OAuth2 flow of the distribution token spec: the refresh token is posted,
                // with the same service and scopes, for an access token.
                guard let tokenURL = components.url else {
                    throw ArtifactError("bad token realm '\(realm)'", location: target.registry)
                }
                request = URLRequest(url: tokenURL)
                request.httpMethod = "POST"
                request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
                // One `scope` field with the scopes space-separated, as the spec and Docker send it
                // (token services that read a single form value would see only the first).
                let scopes = items.filter { $0.name == "scope" }.compactMap(\.value)
                var fields = [
                    ("grant_type", "refresh_token"), ("client_id", "modelgate"),
                    ("refresh_token", credentials.password),
                ]
                if let service = parameters["service"] { fields.append(("service", service)) }
                if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
                request.httpBody = Data(Self.formEncoded(fields).utf8)
            } else {
                components.queryItems = items
                guard let tokenURL = components.url else {
                    throw ArtifactError("bad token realm '\(realm)'", location: target.registry)
                }
                request = URLRequest(url: tokenURL)
                if let credentials {
                    request.setValue(Self.basic(credentials), forHTTPHeaderField: "Authorization")
                }
            }
            let (data, response): (Data, URLResponse)
            do {
                (data, response) = try await session.data(for: request)
            } catch {
                throw transportError(error, purpose: "get a token from \(realm)")
            }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else { throw denied(status, purpose: purpose) }
            struct Token: Decodable {
                var token: String?
                var accessToken: String?

                enum CodingKeys: String, CodingKey {
                    case token
                    case accessToken = "access_token"
                }
            }
            guard let token = try? JSONDecoder().decode(Token.self, from: data),
                let value = token.token ?? token.accessToken
            else {
                throw ArtifactError("the token service at \(realm) sent no token", location: target.registry)
            }
            authorization = "Bearer \(value)"
        case "basic":
            guard let credentials else { throw denied(401, purpose: purpose) }
            if credentials.isIdentityToken {
                throw ArtifactError(
                    "\(target.registry) wants a user and password, but the credentials found are an identity token",
                    location: credentials.origin,
                    hint:
                        "log in with a user name and password ('docker login -u USER \(target.registry)'), or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD",
                    exitStatus: .badInput)
            }
            authorization = Self.basic(credentials)
        default:
            throw ArtifactError(
                "the registry asked for authentication this client does not speak ('\(challenge)')",
                location: target.registry)
        }
    }

    /// `application/x-www-form-urlencoded` text of `fields` (RFC 3986 unreserved characters kept).
    static func formEncoded(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    static func basic(_ credentials: RegistryCredentials) -> String {
        "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
    }

    /// `Bearer realm="…",service="…",scope="…"` → ("Bearer", [realm: …, …]).
    package static func parseChallenge(_ header: String) -> (String, [String: String]) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, [:]) }
        let scheme = String(trimmed[..<space])
        var parameters: [String: String] = [:]
        var rest = Substring(trimmed[trimmed.index(after: space)...])
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\" { rest = rest.dropFirst() }
                    if let next = rest.first { value.append(next) }
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                value = String(rest.prefix { $0 != "," })
                rest = rest.dropFirst(value.count)
            }
            parameters[key] = value
        }
        return (scheme, parameters)
    }

    private func denied(_ status: Int, purpose: String) -> ArtifactError {
        if status == 403 {
            return ArtifactError(
                "\(target.registry) denied access to \(target.repository) (HTTP 403) while trying to \(purpose)",
                location: target.description,
                hint: "the account may read but not write this repository; ask its owner")
        }
        if let credentials {
            return ArtifactError(
                "\(target.registry) rejected \(credentials.isIdentityToken ? "the identity token" : "the credentials of '\(credentials.username)'") (HTTP \(status)) while trying to \(purpose)",
                location: credentials.origin,
                hint:
                    "check the user and password where they came from (\(credentials.origin)), or log in again"
            )
        }
        return ArtifactError(
            "\(target.registry) requires credentials (HTTP \(status)) to \(purpose)",
            location: target.description,
            hint:
                "log in with 'docker login \(target.registry)' (modelgate reads ~/.docker/config.json: auths, credHelpers, credsStore) or 'skopeo login --authfile ~/.docker/config.json \(target.registry)', or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD"
        )
    }

    private func expect(_ response: HTTPURLResponse, _ codes: Set<Int>, _ purpose: String, body: Data? = nil)
        throws
    {
        guard !codes.contains(response.statusCode) else { return }
        switch response.statusCode {
        case 401, 403: throw denied(response.statusCode, purpose: purpose)
        default:
            // The distribution spec's error body: {"errors": [{"code": "...", "message": "..."}]}.
            struct Errors: Decodable {
                struct Entry: Decodable {
                    var code: String?
                    var message: String?
                }
                var errors: [Entry]?
            }
            let entries = body.flatMap { try? JSONDecoder().decode(Errors.self, from: $0) }?.errors ?? []
            let detail = entries.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }
                .joined(separator: "; ")
            if entries.contains(where: { $0.code == "DIGEST_INVALID" }) {
                throw ArtifactError(
                    "digest mismatch: \(target.registry) refused to \(purpose) (\(detail))",
                    location: target.description,
                    hint:
                        "the bytes were altered on the way or on disk; run 'modelgate artifact verify' and push again"
                )
            }
            throw ArtifactError(
                "\(target.registry) answered HTTP \(response.statusCode) when asked to \(purpose)"
                    + (detail.isEmpty ? "" : " (\(detail))"),
                location: target.description,
                hint: "check the registry's log; retrying is safe (blobs already uploaded are skipped)")
        }
    }

    private func transportError(_ error: Error, purpose: String) -> ArtifactError {
        let code = (error as? URLError)?.code
        if code == .cancelled, answerer.refusedChallenge {
            return denied(401, purpose: purpose)
        }
        let detail = (error as NSError).localizedDescription
        switch code {
        case .cannotConnectToHost?, .cannotFindHost?:
            return ArtifactError(
                "cannot connect to the registry \(target.registry): connection refused (\(detail))",
                location: base.absoluteString,
                hint: "is the registry running? check the host and port")
        case .networkConnectionLost?, .badServerResponse?, .zeroByteResource?:
            return ArtifactError(
                "the registry \(target.registry) closed the connection while trying to \(purpose)",
                location: base.absoluteString,
                hint:
                    "nothing was tagged; push again once the registry is healthy (uploaded blobs are reused)")
        case .timedOut?:
            return ArtifactError(
                "the registry \(target.registry) did not answer in time while trying to \(purpose)",
                location: base.absoluteString,
                hint: "nothing was tagged; push again")
        case .secureConnectionFailed?, .serverCertificateUntrusted?, .serverCertificateHasBadDate?,
            .serverCertificateHasUnknownRoot?:
            return ArtifactError(
                "no TLS connection to \(target.registry): \(detail)", location: base.absoluteString,
                hint: "for a plain-HTTP registry on this machine add --insecure")
        default:
            if detail.contains("SSL") || detail.contains("TLS") {
                return ArtifactError(
                    "no TLS connection to \(target.registry): \(detail)", location: base.absoluteString,
                    hint: "for a plain-HTTP registry on this machine add --insecure")
            }
            return ArtifactError(
                "the request to \(target.registry) failed while trying to \(purpose): \(detail)",
                location: base.absoluteString,
                hint: "nothing was tagged; check the registry and push again")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ArtifactError(
                "\(what) from \(target.registry) is not valid: \(error)", location: target.description)
        }
    }
}

/// Answers the HTTP Basic challenges swift-corelibs-foundation's URLSession raises itself on a
/// 401 (without a delegate it waits forever): with the credentials once, else by cancelling,
/// which the client reports as "requires credentials" or "rejected the credentials".
final class ChallengeAnswerer: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let credentials: RegistryCredentials?
    private let refused = Mutex(false)

    init(credentials: RegistryCredentials?) {
        self.credentials = credentials
    }

    /// True once a challenge was cancelled for want of (working) credentials.
    var refusedChallenge: Bool { refused.withLock { $0 } }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        let method = challenge.protectionSpace.authenticationMethod
        guard method == NSURLAuthenticationMethodHTTPBasic || method == NSURLAuthenticationMethodDefault
        else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        if let credentials, challenge.previousFailureCount == 0 {
            completionHandler(
                .useCredential,
                URLCredential(
                    user: credentials.username, password: credentials.password, persistence: .forSession))
            return
        }
        refused.withLock { $0 = true }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}

/// How a pulled layer is stored: the tar as is, or compressed with gzip or zstd.
enum LayerCompression {
    case none, gzip, zstd

    /// The compression `mediaType` says; an error naming the layer for one modelgate cannot unpack.
    init(mediaType: String, layer: String, target: RegistryReference) throws {
        switch mediaType {
        case OCI.layerType, "application/vnd.docker.image.rootfs.diff.tar": self = .none
        case OCI.layerType + "+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip": self = .gzip
        case OCI.layerType + "+zstd": self = .zstd
        default:
            throw ArtifactError(
                "the layer \(layer.prefix(19)) is \(mediaType), which modelgate cannot unpack",
                location: target.description,
                hint:
                    "modelgate unpacks tar layers, plain or compressed with gzip or zstd; copy the image with 'skopeo copy --dest-compress-format gzip' first"
            )
        }
    }
}
