import Diagnostics
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Decides which host may see which credential of a registry, and answers its challenges.
///
/// The guarantee: the password, an identity token and every bearer token got with them reach
/// only the registry (the scheme, host and port the reference names) and the token service its
/// challenge names, never a host a redirect leads to, and never travel in clear text off this
/// machine. The mechanism, all of it in this file:
///
/// - **Requests.** `authorization(for:)` gives the Authorization header only to a URL of the
///   registry's own origin; uploads sent elsewhere (a Location on another host) go without it.
/// - **Upload locations** (`uploadLocation`) follow the redirect rule: resolved against the URL
///   that answered, never from HTTPS to plain HTTP.
/// - **Redirects.** URLSession follows redirects with every header of the request; the session
///   delegate's `willPerformHTTPRedirection` (`RegistryTransport`, below) asks `redirect(_:from:)`
///   first: a change of scheme, host or port drops the Authorization header, HTTPS to HTTP is
///   refused, a request whose body holds a secret (the identity-token exchange) goes to no other
///   origin, and more than `redirectLimit` redirects end the request, each with its error.
/// - **Built-in challenges.** swift-corelibs-foundation answers a `401` with a Basic (or Digest)
///   challenge itself, through the delegate, by resending the *original* request with the
///   credential, whatever host challenged (a Digest answer even traps). The delegate declines
///   every such challenge, so no credential is ever handed to URLSession; the 401 then reaches
///   `RegistryClient.send`, which answers it here (`answer`) only when it came from the registry.
/// - **Basic credentials** go to the registry, or to the token service its Bearer challenge names
///   when that service is HTTPS, or plain HTTP on a loopback address while the registry itself is
///   plain HTTP on this machine (`--insecure` locally: nothing is encrypted there anyway). Anything
///   else is refused with exit 2 before a byte is sent (`mayReceiveCredentials`).
/// - **Loopback** is decided by parsing the host as an address (127.0.0.0/8, ::1, ::ffff:127.x),
///   never by its spelling: `127.evil.example` is a name like any other. The name `localhost`
///   counts too, because the transport (libcurl, from 7.78) resolves it to 127.0.0.1 and ::1
///   itself without asking /etc/hosts or DNS (checked on Debian's 7.88 with a hosts file pointing
///   it elsewhere: curl still connected to 127.0.0.1), so no resolver can send it off the machine.
/// - **Messages.** Token-service answers are never shown, and any text from a registry goes
///   through `redact`, which blanks the password, its Basic encoding and every token (each also
///   percent-encoded, as a URL would carry it) and makes the rest printable. Every field of a
///   `RegistryError` that holds registry text is a `RedactedText`, which only `redact` makes, so
///   an error cannot be built from registry text that skipped it; errors of other modules that
///   hold what a layer said are wrapped by `redacting(_:)`.
final class RegistryAuth: Sendable {
    /// Redirects one request may follow (URLSession's own bound is 20).
    static let redirectLimit = 10
    /// The largest token-service answer read.
    static let tokenLimit = 1 << 20

    /// The registry's origin, the only one that sees the Authorization header.
    let registry: Origin
    /// `host[:port]` as the user wrote it, for messages.
    let registryName: String
    let credentials: RegistryCredentials?
    /// The scope asked for in bearer tokens.
    let scope: String
    /// The Authorization header that worked last, and every secret to keep out of messages.
    private let state = Mutex<(authorization: String?, secrets: [String])>((nil, []))

    /// Refuses (exit 2) credentials for a plain-HTTP registry that is not on this machine.
    init(registry: Origin, name: String, credentials: RegistryCredentials?, scope: String) throws {
        if credentials != nil, !registry.isSecure, !registry.isLoopback {
            throw RegistryError.credentialsOverPlainHTTP(registry: name)
        }
        self.registry = registry
        registryName = name
        self.credentials = credentials
        self.scope = scope
        if let credentials {
            let secrets = [credentials.password, Self.basicValue(credentials)].flatMap(Self.forms)
            state.withLock { $0.secrets = secrets }
        }
    }

    /// The ways `secret` may appear in text: as is and percent-encoded (none when it is empty).
    private static func forms(_ secret: String) -> [String] {
        guard !secret.isEmpty else { return [] }
        let encoded = formEncoded([("", secret)]).dropFirst()
        return encoded == secret ? [secret] : [secret, String(encoded)]
    }

    /// The Authorization header for a request to `url`: only ever for the registry's origin.
    func authorization(for url: URL) -> String? {
        guard Origin(url) == registry else { return nil }
        return state.withLock { $0.authorization }
    }

    /// True when Basic credentials or an identity token may be sent to `origin`.
    func mayReceiveCredentials(_ origin: Origin) -> Bool {
        if origin == registry || origin.isSecure { return true }
        return origin.isLoopback && registry.isLoopback && !registry.isSecure
    }

    /// `text` (from a registry) with every secret blanked (the longest first, so none is left
    /// half-blanked), every character a terminal acts on shown as a visible stand-in
    /// (`TerminalText`), and at most `limit` characters.
    func redact(_ text: String, limit: Int = 300) -> RedactedText {
        var result = text
        for secret in state.withLock({ $0.secrets }).sorted(by: { $0.count > $1.count }) {
            result = result.replacingOccurrences(of: secret, with: "[redacted]")
        }
        return RedactedText(TerminalText.cell(result, limit: limit))
    }

    /// `error` (of another module, e.g. unpacking a layer, whose text may quote what the
    /// registry sent) with its summary, location and hint redacted.
    func redacting(_ error: any UserFacingError) -> RedactedError {
        RedactedError(
            error, summary: redact(error.summary, limit: 2000),
            location: error.location.map { redact($0, limit: 2000) },
            hint: error.hint.map { redact($0, limit: 2000) })
    }

    // MARK: - Redirects

    /// What to do with a redirect of a request from `from` to `request.url`, after `count`
    /// redirects so far; `carriesSecret` for a request whose body holds a credential.
    func redirect(_ request: URLRequest, from: URL?, count: Int, carriesSecret: Bool) -> Result<
        URLRequest, RegistryError
    > {
        let target = request.url?.absoluteString ?? "?"
        guard count <= Self.redirectLimit else {
            return .failure(
                .tooManyRedirects(url: redact(from?.absoluteString ?? target), limit: Self.redirectLimit))
        }
        guard let to = Origin(request.url), let previous = Origin(from) else {
            return .failure(.badRedirect(to: redact(target)))
        }
        if previous.isSecure, !to.isSecure {
            return .failure(.insecureRedirect(from: redact(from?.absoluteString ?? "?"), to: redact(target)))
        }
        guard to != previous else { return .success(request) }
        if carriesSecret { return .failure(.secretRedirected(to: redact(target))) }
        var stripped = request
        stripped.setValue(nil, forHTTPHeaderField: "Authorization")
        stripped.setValue(nil, forHTTPHeaderField: "Cookie")
        return .success(stripped)
    }

    /// Where an upload goes on: the `Location` header an answer from `source` gave, resolved
    /// against `source` (as a redirect's is). Another host is allowed (a registry's storage) and
    /// gets no Authorization header (`authorization(for:)`); plain HTTP after HTTPS is refused,
    /// as for a redirect, before anything is sent there.
    func uploadLocation(_ header: String?, from source: URL) throws -> URL {
        guard let header, let url = URL(string: header, relativeTo: source)?.absoluteURL,
            let to = Origin(url)
        else {
            throw RegistryError.noUploadLocation(registry: registryName)
        }
        if let previous = Origin(source), previous.isSecure, !to.isSecure {
            throw RegistryError.insecureUploadLocation(
                from: redact(source.absoluteString), to: redact(url.absoluteString))
        }
        return url
    }

    // MARK: - Challenges

    /// Answers a 401 of the registry: fetches a bearer token from the realm the challenge names
    /// (with the credentials, where they may go), or takes Basic credentials; the caller retries.
    func answer(
        _ header: String, from url: URL?, purpose: String, transport: RegistryTransport, session: URLSession
    ) async throws {
        guard Origin(url) == registry else {
            throw RegistryError.credentialsAskedByAnotherHost(
                host: redact(url.flatMap(Origin.init)?.description ?? "another host"), registry: registryName)
        }
        let challenges = RegistryChallenge.parse(Array(header.utf8))
        guard let challenge = RegistryChallenge.preferred(challenges) else {
            throw credentials == nil ? missingCredentials(purpose) : rejected(purpose)
        }
        switch challenge.scheme.lowercased() {
        case "bearer":
            let token = try await fetchToken(
                challenge, purpose: purpose, transport: transport, session: session)
            state.withLock {
                $0.authorization = "Bearer \(token)"
                $0.secrets += Self.forms(token)
            }
        case "basic":
            guard let credentials else { throw missingCredentials(purpose) }
            if credentials.isIdentityToken {
                throw RegistryError.identityTokenAtBasicRegistry(
                    registry: registryName, origin: credentials.origin)
            }
            let value = "Basic " + Self.basicValue(credentials)
            // Sent once already and refused: the credentials are wrong.
            if state.withLock({ $0.authorization }) == value { throw rejected(purpose) }
            state.withLock { $0.authorization = value }
        default:
            throw RegistryError.unsupportedChallenge(registry: registryName, scheme: redact(challenge.scheme))
        }
    }

    /// Gets a token from the realm `challenge` names: GET with Basic credentials, or the OAuth2
    /// refresh-token grant for an identity token (distribution's token spec).
    private func fetchToken(
        _ challenge: RegistryChallenge, purpose: String, transport: RegistryTransport, session: URLSession
    ) async throws -> String {
        let realmText = challenge.parameters["realm"] ?? ""
        guard var components = URLComponents(string: realmText), let realm = components.url,
            let realmOrigin = Origin(realm)
        else {
            throw RegistryError.badTokenRealm(registry: registryName, realm: redact(realmText))
        }
        // Checked before anything is sent: the realm is the registry's word, and may be hostile.
        if credentials != nil, !mayReceiveCredentials(realmOrigin) {
            throw RegistryError.insecureTokenRealm(
                realm: redact(realmOrigin.description), registry: registryName)
        }
        let scopes = Set([scope] + (challenge.parameters["scope"].map { [$0] } ?? [])).sorted()
        var request: URLRequest
        var carriesSecret = false
        if let credentials, credentials.isIdentityToken {
            // One `scope` field, the scopes space-separated, as the spec and Docker send it.
            var fields = [
                ("grant_type", "refresh_token"), ("client_id", "modelgate"),
                ("refresh_token", credentials.password),
            ]
            if let service = challenge.parameters["service"] { fields.append(("service", service)) }
            if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
            request = URLRequest(url: realm)
            request.httpMethod = "POST"
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(Self.formEncoded(fields).utf8)
            carriesSecret = true
        } else {
            var items = components.queryItems ?? []
            if let service = challenge.parameters["service"] {
                items.append(URLQueryItem(name: "service", value: service))
            }
            items += scopes.map { URLQueryItem(name: "scope", value: $0) }
            components.queryItems = items
            guard let url = components.url else {
                throw RegistryError.badTokenRealm(registry: registryName, realm: redact(realmText))
            }
            request = URLRequest(url: url)
            if let credentials {
                request.setValue("Basic " + Self.basicValue(credentials), forHTTPHeaderField: "Authorization")
            }
        }
        let reply: RegistryTransport.Reply
        do {
            reply = try await transport.perform(
                request, on: session,
                limit: .document(what: "the token service's answer", limit: Self.tokenLimit),
                carriesSecret: carriesSecret)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.requestFailed(
                registry: registryName, address: redact(realmOrigin.description), purpose: "get a token",
                detail: redact((error as NSError).localizedDescription))
        }
        switch reply.response.statusCode {
        case 200: break
        case 400, 401, 403:
            // The body is not shown: a token service may echo what it was sent.
            throw credentials == nil ? missingCredentials(purpose) : rejected(purpose)
        default:
            throw RegistryError.tokenServiceFailed(
                realm: redact(realmOrigin.description), status: reply.response.statusCode)
        }
        guard let token = try? RegistryDocument.token(reply.body) else {
            throw RegistryError.noToken(realm: redact(realmOrigin.description))
        }
        return token
    }

    private func missingCredentials(_ purpose: String) -> RegistryError {
        .requiresCredentials(registry: registryName, purpose: purpose)
    }

    /// The credentials were refused (401 after they were sent).
    func rejected(_ purpose: String) -> RegistryError {
        guard let credentials else { return missingCredentials(purpose) }
        return .rejectedCredentials(
            registry: registryName, identityToken: credentials.isIdentityToken, user: credentials.username,
            origin: credentials.origin, purpose: purpose)
    }

    /// `application/x-www-form-urlencoded` text of `fields` (RFC 3986 unreserved characters kept).
    static func formEncoded(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    /// `user:password` in base64, as the Basic scheme sends it.
    static func basicValue(_ credentials: RegistryCredentials) -> String {
        Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
    }
}

// MARK: - The session delegate's part

extension RegistryTransport {
    /// Every redirect passes `RegistryAuth.redirect` first (see the guarantee above).
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void
    ) {
        // An exchange already ended gets no answer: its cancellation ends the task, and an answer
        // given after that lands traps FoundationNetworking (see `beginRedirect`).
        guard let (count, carriesSecret) = beginRedirect(of: task) else { return }
        defer { endRedirect(of: task) }
        switch auth.redirect(request, from: response.url, count: count, carriesSecret: carriesSecret) {
        case .success(let next): completionHandler(next)
        case .failure(let refusal):
            // Answering nil ends the task with the redirect as its answer; no cancel.
            end(task, with: refusal)
            completionHandler(nil)
        }
    }

    /// Declines every challenge URLSession would answer itself (Basic, Digest): the 401 goes back
    /// to `RegistryClient.send`, which answers only the registry's own (`RegistryAuth.answer`).
    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @Sendable @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        keepResponse(of: task)
        // Declining cancels the task, which syncs with the transfer thread: not from this queue.
        DispatchQueue.global().async { completionHandler(.cancelAuthenticationChallenge, nil) }
    }
}

/// Text a registry sent (a URL, a header, a field of its documents, its transport's error), fit to
/// print: every secret of the exchange blanked and every character a terminal acts on shown as a
/// stand-in. Only `RegistryAuth.redact` makes one, so a `RegistryError`, whose fields of registry
/// text all have this type, cannot carry text that skipped it.
public struct RedactedText: Equatable, Sendable, CustomStringConvertible {
    /// The text as it is printed.
    public let description: String

    fileprivate init(_ text: String) { description = text }

    /// True when nothing is left to print.
    var isEmpty: Bool { description.isEmpty }
}

/// An error of another module (unpacking a layer, checking the image's manifest.json) whose text
/// may quote what a registry sent, redacted like every registry text (`RegistryAuth.redacting`).
public struct RedactedError: UserFacingError {
    /// The error as it was thrown.
    public let underlying: any UserFacingError
    /// The underlying summary, redacted.
    public let summary: String
    /// The underlying location, redacted.
    public let location: String?
    /// The underlying hint, redacted.
    public let hint: String?
    /// The underlying exit status.
    public var exitStatus: ExitStatus { underlying.exitStatus }

    fileprivate init(
        _ underlying: any UserFacingError, summary: RedactedText, location: RedactedText?, hint: RedactedText?
    ) {
        self.underlying = underlying
        self.summary = summary.description
        self.location = location?.description
        self.hint = hint?.description
    }
}

/// The scheme, host and port of a URL: what decides whether two URLs are the same server.
struct Origin: Equatable, Sendable, CustomStringConvertible {
    /// `http` or `https`.
    let scheme: String
    /// Lowercased, an IPv6 address without brackets.
    let host: String
    /// Explicit, or the scheme's default.
    let port: Int

    /// The origin of `url`; nil unless it is an absolute http(s) URL with a host.
    init?(_ url: URL?) {
        guard let url, let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = url.host?.lowercased(), !host.isEmpty
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.scheme = scheme
        self.host = host
        port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    /// True for HTTPS.
    var isSecure: Bool { scheme == "https" }
    /// True for a loopback address (see `LoopbackHost`).
    var isLoopback: Bool { LoopbackHost.isLoopback(host) }

    /// `scheme://host:port`.
    var description: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// Whether a host is this machine, decided by parsing it as an address, never by its spelling.
package enum LoopbackHost {
    /// True for 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and the name `localhost` (see
    /// `RegistryAuth` for why that name is safe); `host` may carry IPv6 brackets.
    package static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        guard !name.isEmpty, !name.contains("\0") else { return false }
        if name == "localhost" || name == "localhost." { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, name, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, name, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        let loopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
        let mappedLoopback =
            bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            && bytes[12] == 127
        return loopback || mappedLoopback
    }
}
