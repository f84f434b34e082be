import Diagnostics

/// What went wrong talking to a registry, in the user's words.
///
/// Exit codes: 2 when modelgate refuses what the registry asks for (credentials over plain HTTP,
/// a redirect from HTTPS to HTTP, an identity token where a password is wanted), 3 for everything
/// else the registry or the network did (`RegistryError.exitStatus`). No case carries a secret:
/// every field that holds text a registry sent (URLs it named, headers, fields of its documents,
/// its transport's errors) is a `RedactedText`, which only `RegistryAuth.redact` makes.
public enum RegistryError: UserFacingError, Equatable {
    // MARK: Refused by policy (exit 2)

    /// `--insecure` with credentials for a registry that is not on this machine.
    case credentialsOverPlainHTTP(registry: String)
    /// The reference's registry part is not a `host[:port]`.
    case badRegistryAddress(String)
    /// A Bearer challenge names a token service that would get the credentials in clear text.
    case insecureTokenRealm(realm: RedactedText, registry: String)
    /// A redirect from HTTPS to plain HTTP.
    case insecureRedirect(from: RedactedText, to: RedactedText)
    /// An upload location, after HTTPS, on plain HTTP.
    case insecureUploadLocation(from: RedactedText, to: RedactedText)
    /// The registry wants a password, but the credentials are an identity token.
    case identityTokenAtBasicRegistry(registry: String, origin: String)

    // MARK: Authentication (exit 3)

    /// No credentials, and the registry wants some.
    case requiresCredentials(registry: String, purpose: String)
    /// The registry or its token service refused the credentials.
    case rejectedCredentials(
        registry: String, identityToken: Bool, user: String, origin: String, purpose: String)
    /// HTTP 403.
    case accessDenied(registry: String, repository: String, reference: String, purpose: String)
    /// A host other than the registry (a redirect target) asked for credentials.
    case credentialsAskedByAnotherHost(host: RedactedText, registry: String)
    /// A challenge in a scheme modelgate does not answer (Digest, Negotiate…).
    case unsupportedChallenge(registry: String, scheme: RedactedText)
    /// A Bearer challenge without a usable `realm`.
    case badTokenRealm(registry: String, realm: RedactedText)
    /// The token service answered, but not with a token.
    case noToken(realm: RedactedText)
    /// The token service failed (not a refusal of the credentials).
    case tokenServiceFailed(realm: RedactedText, status: Int)

    // MARK: Transport (exit 3)

    /// More redirects than `limit` for one request.
    case tooManyRedirects(url: RedactedText, limit: Int)
    /// A redirect to another host for a request whose body carries a secret.
    case secretRedirected(to: RedactedText)
    /// A redirect to something that is not an http(s) URL.
    case badRedirect(to: RedactedText)
    /// Nothing listens at the registry's address.
    case cannotConnect(registry: String, address: RedactedText, detail: RedactedText)
    /// The connection ended before the answer did.
    case connectionClosed(registry: String, address: RedactedText, purpose: String)
    /// No answer in time.
    case timedOut(registry: String, address: RedactedText, purpose: String)
    /// An answer still unfinished past its deadline (`ExchangeBudget`), `seconds` after it began.
    case tooSlow(registry: String, address: RedactedText, seconds: Int)
    /// TLS failed (certificate, handshake).
    case tlsFailed(registry: String, address: RedactedText, detail: RedactedText)
    /// Any other transport failure.
    case requestFailed(registry: String, address: RedactedText, purpose: String, detail: RedactedText)

    // MARK: What the registry sent (exit 3)

    /// A document (manifest, index, token answer…) larger than modelgate reads into memory.
    case responseTooLarge(what: String, limit: Int, registry: String)
    /// A blob whose body outgrew the size its descriptor declares; `received` is what had
    /// arrived (or what Content-Length announced) when the download was stopped.
    case blobTooLarge(digest: String, declared: Int64, received: Int64, registry: String)
    /// A blob declares more bytes than the disk has free.
    case insufficientSpace(digest: String, declared: Int64, available: Int64, directory: String)
    /// The registry answered with an unexpected status.
    case unexpectedStatus(
        registry: String, status: Int, purpose: String, detail: RedactedText, reference: String)
    /// The registry refused an upload's digest (`DIGEST_INVALID`).
    case uploadDigestRejected(registry: String, purpose: String, detail: RedactedText, reference: String)
    /// The manifest or repository does not exist.
    case notFound(registry: String, repository: String, reference: String, target: String)
    /// `/v2/` answered 404.
    case notARegistry(registry: String, address: String)
    /// An upload started without a Location header, or with one that is not a URL.
    case noUploadLocation(registry: String)
    /// No HTTP answer at all.
    case noHTTPResponse(registry: String)
    /// A JSON document that does not decode, or holds impossible values.
    case invalidDocument(what: String, reason: RedactedText, reference: String)
    /// A blob's bytes do not hash to its digest, or its size differs.
    case blobDigestMismatch(digest: String, actual: String, size: Int64, declared: Int64, reference: String)
    /// A manifest's bytes do not hash to the digest asked for.
    case manifestDigestMismatch(expected: String, actual: String, reference: String)
    /// What the registry says it stored is not what was sent.
    case storedDigestMismatch(kind: String, stored: RedactedText, sent: String, registry: String)
    /// The reference names a digest the pushed image does not have.
    case referenceDigestMismatch(image: String, wanted: String, reference: String)
    /// An image index without any image.
    case emptyIndex(reference: String)
    /// A layer in a format modelgate cannot unpack.
    case unsupportedLayer(digest: String, mediaType: RedactedText, reference: String)
    /// A compressed layer whose uncompressed digest the image config does not list.
    case missingDiffID(digest: String, reference: String)
    /// A compressed layer that inflates to another digest than the config lists.
    case layerDigestMismatch(digest: String, inflated: String, expected: RedactedText, reference: String)

    /// What went wrong, in one line.
    public var summary: String {
        switch self {
        case .credentialsOverPlainHTTP(let registry):
            "refusing to send credentials over plain HTTP to \(registry)"
        case .badRegistryAddress(let registry): "'\(registry)' is not a registry address (host[:port])"
        case .insecureTokenRealm(let realm, let registry):
            "refusing to send credentials in clear text to the token service \(realm) that \(registry) names"
        case .insecureRedirect(let from, let to):
            "refusing to follow a redirect from HTTPS to plain HTTP (\(from) -> \(to))"
        case .insecureUploadLocation(let from, let to):
            "refusing to upload over plain HTTP after HTTPS (\(from) named \(to) as the upload location)"
        case .identityTokenAtBasicRegistry(let registry, _):
            "\(registry) wants a user and password, but the credentials found are an identity token"
        case .requiresCredentials(let registry, let purpose):
            "\(registry) requires credentials (HTTP 401) to \(purpose)"
        case .rejectedCredentials(let registry, let identityToken, let user, _, let purpose):
            "\(registry) rejected \(identityToken ? "the identity token" : "the credentials of '\(user)'") (HTTP 401) while trying to \(purpose)"
        case .accessDenied(let registry, let repository, _, let purpose):
            "\(registry) denied access to \(repository) (HTTP 403) while trying to \(purpose)"
        case .credentialsAskedByAnotherHost(let host, let registry):
            "\(host), where \(registry) sent the request, asked for credentials; modelgate gives them only to the registry"
        case .unsupportedChallenge(let registry, let scheme):
            "the registry \(registry) asked for '\(scheme)' authentication, which modelgate does not speak"
        case .badTokenRealm(let registry, let realm):
            realm.isEmpty
                ? "\(registry) asked for a bearer token without naming a token service (realm)"
                : "\(registry) names a token service that is not an http(s) URL: '\(realm)'"
        case .noToken(let realm): "the token service at \(realm) sent no token"
        case .tokenServiceFailed(let realm, let status):
            "the token service at \(realm) answered HTTP \(status)"
        case .tooManyRedirects(let url, let limit): "more than \(limit) redirects for \(url)"
        case .secretRedirected(let to):
            "refusing to send a request carrying credentials on to another host (\(to))"
        case .badRedirect(let to): "the registry redirected to '\(to)', which is not an http(s) URL"
        case .cannotConnect(let registry, _, let detail):
            "cannot connect to the registry \(registry): connection refused (\(detail))"
        case .connectionClosed(let registry, _, let purpose):
            "the registry \(registry) closed the connection while trying to \(purpose)"
        case .timedOut(let registry, _, let purpose):
            "the registry \(registry) did not answer in time while trying to \(purpose)"
        case .tooSlow(let registry, _, let seconds):
            "an answer from \(registry) was still unfinished after \(seconds >= 120 ? "\(seconds / 60) minutes" : "\(seconds) seconds"), too slow to wait for; modelgate stopped it"
        case .tlsFailed(let registry, _, let detail): "no TLS connection to \(registry): \(detail)"
        case .requestFailed(let registry, _, let purpose, let detail):
            "the request to \(registry) failed while trying to \(purpose): \(detail)"
        case .responseTooLarge(let what, let limit, let registry):
            "\(what) from \(registry) is larger than \(limit / 1024) KiB, more than modelgate reads"
        case .blobTooLarge(let digest, let declared, let received, _):
            "blob \(digest) is declared as \(declared) bytes, but the registry sends at least \(received) bytes; the download was stopped"
        case .insufficientSpace(let digest, let declared, let available, _):
            "blob \(digest) is declared as \(declared) bytes, but only \(available) bytes are free"
        case .unexpectedStatus(let registry, let status, let purpose, let detail, _):
            "\(registry) answered HTTP \(status) when asked to \(purpose)"
                + (detail.isEmpty ? "" : " (\(detail))")
        case .uploadDigestRejected(let registry, let purpose, let detail, _):
            "digest mismatch: \(registry) refused to \(purpose) (\(detail))"
        case .notFound(let registry, let repository, let reference, _):
            "\(registry)/\(repository):\(reference) does not exist (HTTP 404)"
        case .notARegistry(let registry, _): "\(registry) does not serve the registry API (/v2/ answered 404)"
        case .noUploadLocation(let registry):
            "\(registry) started an upload without a usable Location header"
        case .noHTTPResponse(let registry): "\(registry) sent no HTTP response"
        case .invalidDocument(let what, let reason, _): "\(what) is not valid: \(reason)"
        case .blobDigestMismatch(let digest, let actual, let size, let declared, _):
            "digest mismatch: blob \(digest) arrived as \(actual) (\(size) bytes, expected \(declared))"
        case .manifestDigestMismatch(let expected, let actual, _):
            "digest mismatch: the registry sent manifest \(actual), not \(expected)"
        case .storedDigestMismatch(let kind, let stored, let sent, _):
            "the registry stored \(kind) \(stored), not \(sent): digest mismatch"
        case .referenceDigestMismatch(let image, let wanted, _):
            "the image's digest is \(image), not the \(wanted) the reference names"
        case .emptyIndex(let reference): "the image index of \(reference) lists no image"
        case .unsupportedLayer(let digest, let mediaType, _):
            "the layer \(digest.prefix(19)) is \(mediaType), which modelgate cannot unpack"
        case .missingDiffID(let digest, _):
            "the image config lists no uncompressed digest for layer \(digest.prefix(19)), so what it inflates to cannot be checked"
        case .layerDigestMismatch(let digest, let inflated, let expected, _):
            "digest mismatch: layer \(digest.prefix(19)) inflates to \(inflated), but the image config says \(expected)"
        }
    }

    /// The registry, address, reference or file concerned.
    public var location: String? {
        switch self {
        case .credentialsOverPlainHTTP(let registry), .badRegistryAddress(let registry),
            .insecureTokenRealm(_, let registry),
            .requiresCredentials(let registry, _), .credentialsAskedByAnotherHost(_, let registry),
            .unsupportedChallenge(let registry, _), .badTokenRealm(let registry, _),
            .responseTooLarge(_, _, let registry), .blobTooLarge(_, _, _, let registry),
            .storedDigestMismatch(_, _, _, let registry), .noUploadLocation(let registry),
            .noHTTPResponse(let registry):
            registry
        case .insecureRedirect(_, let to), .insecureUploadLocation(_, let to), .secretRedirected(let to),
            .badRedirect(let to):
            to.description
        case .identityTokenAtBasicRegistry(_, let origin), .rejectedCredentials(_, _, _, let origin, _):
            origin
        case .accessDenied(_, _, let reference, _), .unexpectedStatus(_, _, _, _, let reference),
            .uploadDigestRejected(_, _, _, let reference), .notFound(_, _, _, let reference),
            .invalidDocument(_, _, let reference), .blobDigestMismatch(_, _, _, _, let reference),
            .manifestDigestMismatch(_, _, let reference), .referenceDigestMismatch(_, _, let reference),
            .emptyIndex(let reference), .unsupportedLayer(_, _, let reference),
            .missingDiffID(_, let reference),
            .layerDigestMismatch(_, _, _, let reference):
            reference
        case .noToken(let realm), .tokenServiceFailed(let realm, _): realm.description
        case .tooManyRedirects(let url, _): url.description
        case .cannotConnect(_, let address, _), .connectionClosed(_, let address, _),
            .timedOut(_, let address, _), .tooSlow(_, let address, _), .tlsFailed(_, let address, _),
            .requestFailed(_, let address, _, _):
            address.description
        case .notARegistry(_, let address): address
        case .insufficientSpace(_, _, _, let directory): directory
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .credentialsOverPlainHTTP:
            "use HTTPS (drop --insecure); --insecure is meant for registries on this machine"
        case .badRegistryAddress: "write REGISTRY/REPOSITORY:TAG, e.g. 127.0.0.1:5000/team/housing:v1.4"
        case .insecureTokenRealm:
            "the registry's token service must use HTTPS (or, for a plain-HTTP registry on this machine, be on this machine too); fix the registry's auth configuration"
        case .insecureRedirect:
            "the registry (or its storage) must serve over HTTPS; nothing was sent to the plain-HTTP address"
        case .insecureUploadLocation:
            "the registry (or its storage) must take uploads over HTTPS; nothing was sent to the plain-HTTP address"
        case .identityTokenAtBasicRegistry(let registry, _):
            "log in with a user name and password ('docker login -u USER \(registry)'), or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD"
        case .requiresCredentials(let registry, _):
            "log in with 'docker login \(registry)' (modelgate reads ~/.docker/config.json: auths, credHelpers, credsStore) or 'skopeo login --authfile ~/.docker/config.json \(registry)', or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD"
        case .rejectedCredentials(_, _, _, let origin, _):
            "check the user and password where they came from (\(origin)), or log in again"
        case .accessDenied: "the account may read but not write this repository; ask its owner"
        case .credentialsAskedByAnotherHost:
            "the registry's storage should serve blobs without credentials (pre-signed URLs); check the registry's storage configuration"
        case .unsupportedChallenge: "modelgate speaks Basic and Bearer (token) authentication"
        case .badTokenRealm, .noToken, .tokenServiceFailed:
            "check the registry's token service; its answer is not shown, as it may hold credentials"
        case .tooManyRedirects, .badRedirect: "the registry's redirects are broken; check its configuration"
        case .secretRedirected: "the token service must answer the exchange itself"
        case .cannotConnect: "is the registry running? check the host and port"
        case .connectionClosed:
            "nothing was tagged; push again once the registry is healthy (uploaded blobs are reused)"
        case .timedOut: "nothing was tagged; push again"
        case .tooSlow:
            "the registry or the network is stuck or far too slow; try again later, or use another registry"
        case .tlsFailed: "for a plain-HTTP registry on this machine add --insecure"
        case .requestFailed: "nothing was tagged; check the registry and push again"
        case .responseTooLarge: "the registry is misbehaving; do not use it"
        case .blobTooLarge:
            "the registry sent more than the manifest declares; nothing was kept, do not use this image"
        case .insufficientSpace: "free some disk space, or pull into a directory on another file system"
        case .unexpectedStatus:
            "check the registry's log; retrying is safe (blobs already uploaded are skipped)"
        case .uploadDigestRejected:
            "the bytes were altered on the way or on disk; run 'modelgate artifact verify' and push again"
        case .notFound(let registry, let repository, _, _):
            "check the repository and tag ('skopeo list-tags docker://\(registry)/\(repository)')"
        case .notARegistry: "check the host and port"
        case .noUploadLocation, .noHTTPResponse, .invalidDocument, .emptyIndex:
            "the registry is misbehaving or the image is malformed; rebuild or re-copy it"
        case .blobDigestMismatch:
            "the registry's copy is corrupt or was altered on the way; nothing was written"
        case .manifestDigestMismatch: "the registry or something in between altered it; do not use it"
        case .storedDigestMismatch(let kind, _, _, _):
            kind == "blob"
                ? "the upload was altered on the way; try again"
                : "the registry may have converted the manifest; check it with 'skopeo inspect'"
        case .referenceDigestMismatch:
            "push by tag (REGISTRY/REPOSITORY:TAG), or name the digest 'modelgate package' prints"
        case .unsupportedLayer:
            "modelgate unpacks tar layers, plain or compressed with gzip or zstd; copy the image with 'skopeo copy --dest-compress-format gzip' first"
        case .missingDiffID: "the image is malformed; rebuild or re-copy it"
        case .layerDigestMismatch: "the image was altered after it was built; do not use it"
        }
    }

    /// 2 for what modelgate refuses on principle, 3 for what the registry or the network did.
    public var exitStatus: ExitStatus {
        switch self {
        case .credentialsOverPlainHTTP, .badRegistryAddress, .insecureTokenRealm, .insecureRedirect,
            .insecureUploadLocation, .identityTokenAtBasicRegistry:
            .badInput
        default: .failure
        }
    }
}
