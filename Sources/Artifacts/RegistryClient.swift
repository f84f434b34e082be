import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A client of the OCI distribution API (v2) over URLSession.
///
/// This file is the core: one HTTP exchange (`send`) and its errors. The session delegate that
/// streams every response body within a bound is `RegistryTransport`; pushing and pulling are in
/// `RegistryClient+Push.swift` and `RegistryClient+Pull.swift`; which host may see which
/// credential is decided in `RegistryAuth.swift` alone, and challenges are parsed in
/// `RegistryChallenge.swift`.
public final class RegistryClient {
    let target: RegistryReference
    let base: URL
    let session: URLSession
    let transport: RegistryTransport
    var auth: RegistryAuth { transport.auth }

    /// Makes a client for `reference`. `insecure` allows plain HTTP; credentials are never sent
    /// in clear text to a host that is not on this machine (`RegistryAuth`).
    public convenience init(
        reference: RegistryReference, insecure: Bool, credentials: RegistryCredentials?, push: Bool
    ) throws {
        try self.init(
            reference: reference, insecure: insecure, credentials: credentials, push: push,
            allowance: ExchangeBudget.allowance)
    }

    /// The same, with `allowance` for `ExchangeBudget` (shorter in tests that wait for it).
    init(
        reference: RegistryReference, insecure: Bool, credentials: RegistryCredentials?, push: Bool,
        allowance: Duration
    ) throws {
        guard let base = URL(string: "\(insecure ? "http" : "https")://\(reference.registry)"),
            let origin = Origin(base)
        else { throw RegistryError.badRegistryAddress(reference.registry) }
        target = reference
        self.base = base
        transport = RegistryTransport(
            auth: try RegistryAuth(
                registry: origin, name: reference.registry, credentials: credentials,
                scope: "repository:\(reference.repository):\(push ? "pull,push" : "pull")"),
            allowance: allowance)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 300
        configuration.timeoutIntervalForResource = 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // No store of any kind: nothing a registry sends is replayed to another request.
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(
            configuration: configuration, delegate: transport, delegateQueue: BoundedDelegateQueue())
    }

    deinit { session.finishTasksAndInvalidate() }

    enum Body {
        case none
        case data(Data)
        case file(URL)
    }

    /// Sends one request; a 401 is answered once (`RegistryAuth.answer`: bearer token or basic)
    /// and the request sent again. The Authorization header goes only to the registry's origin.
    func send(
        _ method: String, _ url: URL, headers: [String: String] = [:], body: Body = .none,
        limit: ResponseLimit = .informative, purpose: String
    ) async throws -> RegistryTransport.Reply {
        var answered = false
        while true {
            var request = URLRequest(url: url)
            request.httpMethod = method
            if let authorization = auth.authorization(for: url) {
                request.setValue(authorization, forHTTPHeaderField: "Authorization")
            }
            for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
            var upload: Data?
            var streamed: Int64 = 0
            switch body {
            case .none: break
            case .data(let bytes): upload = bytes
            case .file(let file):
                streamed =
                    (try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize).flatMap { $0 }
                    .map(Int64.init) ?? 0
                // A body stream, read in chunks as curl sends: URLSession's own from-file
                // upload pauses and resumes the transfer and crashes (a `try!` in
                // FoundationNetworking) when the server drops the connection meanwhile.
                guard let stream = InputStream(url: file) else {
                    throw ArtifactError("cannot read \(file.path)", location: file.path)
                }
                request.httpBodyStream = stream
            }
            let reply: RegistryTransport.Reply
            do {
                reply = try await transport.perform(
                    request, upload: upload, sending: streamed, on: session, limit: limit)
            } catch let error as RegistryError {
                throw error
            } catch let error as ArtifactError {
                throw error
            } catch {
                throw transportError(error, purpose: purpose)
            }
            if reply.response.statusCode == 401, !answered {
                answered = true
                try await auth.answer(
                    reply.response.value(forHTTPHeaderField: "WWW-Authenticate") ?? "",
                    from: reply.response.url ?? url, purpose: purpose, transport: transport, session: session)
                continue
            }
            return reply
        }
    }

    /// `GET /v2/` first: answers an authentication challenge on a request that has a body.
    ///
    /// swift-corelibs-foundation's URLSession never completes a HEAD request whose 401 answer
    /// announces a Content-Length (curl waits for a body a HEAD answer never has), so the
    /// challenge must not first arrive on the blob HEAD.
    func ping() async throws {
        let purpose = "reach the registry API"
        let reply = try await send("GET", try url("/v2/"), purpose: purpose)
        switch reply.response.statusCode {
        case 401, 403: try expect(reply, [], purpose)
        case 404: throw RegistryError.notARegistry(registry: target.registry, address: base.absoluteString)
        default: break
        }
    }

    /// A URL of the registry's API.
    func url(_ path: String, query: [(String, String)] = []) throws -> URL {
        var components = URLComponents()
        components.scheme = base.scheme
        components.host = base.host
        components.port = base.port
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw RegistryError.badRegistryAddress(target.registry) }
        return url
    }

    /// Fails with the registry's own words (redacted) unless the status is one of `codes`.
    func expect(_ reply: RegistryTransport.Reply, _ codes: Set<Int>, _ purpose: String) throws {
        let response = reply.response
        guard !codes.contains(response.statusCode) else { return }
        switch response.statusCode {
        case 401:
            if let origin = Origin(response.url), origin != auth.registry {
                throw RegistryError.credentialsAskedByAnotherHost(
                    host: auth.redact(origin.description), registry: target.registry)
            }
            throw auth.rejected(purpose)
        case 403:
            throw RegistryError.accessDenied(
                registry: target.registry, repository: target.repository, reference: target.description,
                purpose: purpose)
        default:
            let entries = RegistryDocument.errors(reply.body)
            let detail = auth.redact(
                entries.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }
                    .joined(separator: "; "))
            if entries.contains(where: { $0.code == "DIGEST_INVALID" }) {
                throw RegistryError.uploadDigestRejected(
                    registry: target.registry, purpose: purpose, detail: detail, reference: target.description
                )
            }
            throw RegistryError.unexpectedStatus(
                registry: target.registry, status: response.statusCode, purpose: purpose, detail: detail,
                reference: target.description)
        }
    }

    /// A transport failure in the user's words.
    func transportError(_ error: Error, purpose: String) -> RegistryError {
        let detail = auth.redact((error as NSError).localizedDescription)
        let address = auth.redact(base.absoluteString)
        switch (error as? URLError)?.code {
        case .cannotConnectToHost?, .cannotFindHost?:
            return .cannotConnect(registry: target.registry, address: address, detail: detail)
        case .networkConnectionLost?, .badServerResponse?, .zeroByteResource?:
            return .connectionClosed(registry: target.registry, address: address, purpose: purpose)
        case .timedOut?:
            return .timedOut(registry: target.registry, address: address, purpose: purpose)
        case .secureConnectionFailed?, .serverCertificateUntrusted?, .serverCertificateHasBadDate?,
            .serverCertificateHasUnknownRoot?:
            return .tlsFailed(registry: target.registry, address: address, detail: detail)
        default:
            if detail.description.contains("SSL") || detail.description.contains("TLS") {
                return .tlsFailed(registry: target.registry, address: address, detail: detail)
            }
            return .requestFailed(
                registry: target.registry, address: address, purpose: purpose, detail: detail)
        }
    }
}
