import Checksum
import Foundation
import Synchronization
import Testing

@testable import Artifacts

#if canImport(Glibc)
    import Glibc
#endif

/// A registry that demands bearer tokens from its own token service, on loopback: answers each
/// request on a fresh connection, records what it saw.
final class BearerRegistry: @unchecked Sendable {
    struct Seen: Sendable {
        let method: String
        let target: String
        let authorization: String?
        let body: String
    }

    let port: Int
    private let listener: Int32
    let seen = Mutex<[Seen]>([])

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok, listen(fd, 16) == 0 else { throw ArtifactError("cannot listen") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in serve() }.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return }
            bytes += buffer[0..<count]
            if bytes.count >= 4 {
                headerEnd = (0...(bytes.count - 4)).first {
                    bytes[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10])
                }.map { $0 + 4 }
            }
        }
        let head = String(decoding: bytes[0..<headerEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        let method = String(parts[0])
        let target = String(parts[1])
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
        }
        if headers["expect"]?.lowercased() == "100-continue" {
            _ = "HTTP/1.1 100 Continue\r\n\r\n".withCString { write(connection, $0, strlen($0)) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(bytes[headerEnd!...])
        while body.count < length {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { break }
            body += buffer[0..<count]
        }
        seen.withLock {
            $0.append(
                Seen(
                    method: method, target: target, authorization: headers["authorization"],
                    body: String(decoding: body, as: UTF8.self)))
        }
        let (status, extra, payload) = respond(method, target, headers["authorization"], Data(body))
        var response =
            "HTTP/1.1 \(status) X\r\nConnection: close\r\nContent-Length: \(method == "HEAD" ? 0 : payload.count)\r\n"
        for (key, value) in extra { response += "\(key): \(value)\r\n" }
        response += "\r\n"
        var out = Array(response.utf8)
        if method != "HEAD" { out += payload }
        _ = out.withUnsafeBytes { write(connection, $0.baseAddress!, out.count) }
    }

    private func respond(_ method: String, _ target: String, _ authorization: String?, _ body: Data) -> (
        Int, [String: String], [UInt8]
    ) {
        if target.hasPrefix("/token") {
            if method == "POST" {
                // The OAuth2 refresh-token grant: the identity token `docker login` kept.
                let fields = Set(String(decoding: body, as: UTF8.self).split(separator: "&").map(String.init))
                let granted = fields.isSuperset(of: [
                    "grant_type=refresh_token", "refresh_token=id%2Btoken%3D", "service=fake",
                ])
                return granted
                    ? (200, ["Content-Type": "application/json"], Array(#"{"access_token":"good"}"#.utf8))
                    : (400, [:], Array(#"{"error":"invalid_grant"}"#.utf8))
            }
            let good = "Basic " + Data("ada:s3cret".utf8).base64EncodedString()
            return authorization == good
                ? (200, ["Content-Type": "application/json"], Array(#"{"token":"good"}"#.utf8))
                : (401, [:], [])
        }
        guard authorization == "Bearer good" else {
            return (
                401, ["WWW-Authenticate": #"Bearer realm="http://127.0.0.1:\#(port)/token",service="fake""#],
                Array(#"{"errors":[{"code":"UNAUTHORIZED"}]}"#.utf8)
            )
        }
        switch method {
        case "GET": return (200, [:], Array("{}".utf8))
        case "HEAD": return (200, [:], [])
        case "PUT": return (201, ["Docker-Content-Digest": "sha256:" + SHA256.hex(of: body)], [])
        default: return (405, [:], [])
        }
    }
}

@Suite struct BearerTokenTests {
    private func image() -> ImagePackager.Image {
        let manifest = Data(#"{"schemaVersion":2}"#.utf8)
        return ImagePackager.Image(
            layout: URL(fileURLWithPath: "/nonexistent"),
            digest: Digest("sha256:" + SHA256.hex(of: manifest))!, manifest: manifest,
            blobs: [
                .init(
                    mediaType: OCI.layerType, digest: "sha256:" + String(repeating: "0", count: 64), size: 1,
                    annotations: nil, platform: nil)
            ])
    }

    @Test func aBearerChallengeIsAnsweredWithATokenFromTheRealm() async throws {
        let registry = try BearerRegistry()
        let reference = try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/model:v1")
        let client = try RegistryClient(
            reference: reference, insecure: true,
            credentials: RegistryCredentials(username: "ada", password: "s3cret", origin: "test"),
            push: true)
        let result = try await client.push(image())
        #expect(result.existing.count == 1)
        let seen = registry.seen.withLock { $0 }
        let token = try #require(seen.first { $0.target.hasPrefix("/token") })
        #expect(token.target.contains("service=fake"))
        #expect(
            token.target.contains("scope=repository:team/model:pull,push")
                || token.target.contains("scope=repository%3Ateam%2Fmodel%3Apull%2Cpush"))
        #expect(seen.last?.method == "PUT")
        #expect(seen.last?.authorization == "Bearer good")
    }

    /// An identity token is posted to the token service (never sent as a password) for an access token.
    @Test func anIdentityTokenIsExchangedForAnAccessToken() async throws {
        let registry = try BearerRegistry()
        let reference = try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/model:v1")
        let client = try RegistryClient(
            reference: reference, insecure: true,
            credentials: RegistryCredentials(
                username: "<token>", password: "id+token=", origin: "test", isIdentityToken: true),
            push: true)
        _ = try await client.push(image())
        let seen = registry.seen.withLock { $0 }
        let exchange = try #require(seen.first { $0.target.hasPrefix("/token") })
        #expect(exchange.method == "POST" && exchange.authorization == nil)
        #expect(exchange.body.contains("scope=repository%3Ateam%2Fmodel%3Apull%2Cpush"))
        #expect(seen.last?.method == "PUT" && seen.last?.authorization == "Bearer good")

        let wrong = try RegistryClient(
            reference: reference, insecure: true,
            credentials: RegistryCredentials(
                username: "<token>", password: "expired", origin: "test", isIdentityToken: true),
            push: true)
        await #expect(
            throws: RegistryError.rejectedCredentials(
                registry: "127.0.0.1:\(registry.port)", identityToken: true, user: "<token>", origin: "test",
                purpose: "reach the registry API")
        ) { try await wrong.push(image()) }
    }

    @Test func wrongCredentialsForTheTokenServiceAreAClearError() async throws {
        let registry = try BearerRegistry()
        let reference = try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/model:v1")
        let client = try RegistryClient(
            reference: reference, insecure: true,
            credentials: RegistryCredentials(username: "ada", password: "nope", origin: "test"),
            push: true)
        let error = await #expect(throws: RegistryError.self) { try await client.push(image()) }
        #expect(
            error
                == .rejectedCredentials(
                    registry: "127.0.0.1:\(registry.port)", identityToken: false, user: "ada", origin: "test",
                    purpose: "reach the registry API"))
        #expect(error?.summary.contains("rejected the credentials of 'ada'") == true)
        #expect(error?.exitStatus == .failure)
        #expect(!registry.seen.withLock { $0 }.contains { $0.method == "PUT" })
    }
}
