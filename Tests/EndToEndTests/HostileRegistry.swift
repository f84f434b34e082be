import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `Tests/Fixtures/registry/hostile_registry.py`: a registry on 127.0.0.1 that misbehaves as
/// `scenario` says, and a CDN on 127.0.0.2, both on free ports; every request they received is
/// on record. Stopped when released.
final class HostileRegistry {
    /// One request as the fixture recorded it.
    struct Request: Decodable {
        /// "registry" or "cdn".
        let server: String
        let method: String
        let path: String
        /// Header names lowercased.
        let headers: [String: String]
        /// Body bytes written before the answer ended or the connection closed.
        let sent: Int
    }

    static let user = "alice"
    static let password = "alice-s3cret-password"
    static let token = "tok-SECRET-4242"
    /// What the basic credentials look like on the wire.
    static let basicValue = Data("\(user):\(password)".utf8).base64EncodedString()
    /// The script, beside the other fixtures.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/registry/hostile_registry.py")

    let directory: TemporaryDirectory
    let registryPort: Int
    let cdnPort: Int
    private let process: Process
    /// The fixture's stdin: it stops when this reaches its end (if the test runner dies).
    private let input = Pipe()
    /// `127.0.0.1:PORT`.
    var address: String { "127.0.0.1:\(registryPort)" }
    /// Where a test can put its files (removed with the registry).
    var work: URL { directory.appending("work") }

    init(scenario: String, certificate: TestCertificate? = nil) throws {
        directory = try TemporaryDirectory(prefix: "modelgate-hostile")
        try FileManager.default.createDirectory(
            at: directory.appending("work"), withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExternalTool.path("python3"))
        process.arguments =
            [Self.script.path, directory.url.path, scenario]
            + (certificate.map { ["--tls", $0.certificate.path, $0.key.path] } ?? [])
        let log = directory.appending("server.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        self.process = process
        let portsFile = directory.appending("ports.json")
        for _ in 0..<400 where !FileManager.default.fileExists(atPath: portsFile.path) && process.isRunning {
            usleep(25_000)
        }
        struct Ports: Decodable {
            let registry: Int
            let cdn: Int
        }
        guard let data = FileManager.default.contents(atPath: portsFile.path),
            let ports = try? JSONDecoder().decode(Ports.self, from: data)
        else {
            process.terminate()
            process.waitUntilExit()
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw TestFailure("hostile_registry.py did not start: \(text)")
        }
        registryPort = ports.registry
        cdnPort = ports.cdn
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// The requests recorded so far.
    func requests() throws -> [Request] {
        guard let text = try? String(contentsOf: directory.appending("requests.jsonl"), encoding: .utf8)
        else {
            return []
        }
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(Request.self, from: Data($0.utf8))
        }
    }

    /// The requests, once one matching `condition` is on record: the fixture records a streamed
    /// answer when its connection closes, which may come a moment after modelgate exits. Gives
    /// up after ten seconds (the test then fails on what is missing, not on the time).
    func requests(once condition: (Request) -> Bool) throws -> [Request] {
        for _ in 0..<400 {
            let all = try requests()
            if all.contains(where: condition) { return all }
            usleep(25_000)
        }
        return try requests()
    }

    /// Every file under `directory`, relative, sorted (hidden ones included).
    static func contents(of directory: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return (enumerator.allObjects as? [String] ?? []).sorted()
    }
}

/// A self-signed certificate for 127.0.0.1 made with `openssl req`, and a way to run modelgate
/// so that it trusts it.
///
/// FoundationNetworking on Linux has no API for extra trust anchors (its
/// `URLSessionCertificateAuthorityInfoFile` variable is read on Android only), and libcurl, as
/// Debian builds it, reads its CA bundle from /etc/ssl/certs whatever the environment says. So
/// modelgate runs in a private mount namespace (`unshare --map-root-user --mount`, no privilege
/// needed) where a tmpfs over /etc/ssl/certs holds this certificate as the only CA bundle.
final class TestCertificate {
    let directory: TemporaryDirectory
    var certificate: URL { directory.appending("cert.pem") }
    var key: URL { directory.appending("key.pem") }

    init() throws {
        directory = try TemporaryDirectory(prefix: "modelgate-tls")
        let made = try ExternalTool.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path,
            ], in: directory.url)
        guard made.status == 0 else { throw TestFailure("openssl req failed: \(made.stderr)") }
    }

    /// Runs modelgate with `arguments` in `directory`, trusting this certificate.
    func modelgate(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
        -> ProcessResult
    {
        let script = """
            mount -t tmpfs tmpfs /etc/ssl/certs && cp "$1" /etc/ssl/certs/ca-certificates.crt || exit 99
            shift
            exec "$@"
            """
        let result = try ExternalTool.run(
            "unshare",
            [
                "--map-root-user", "--mount", "sh", "-c", script, "sh", certificate.path,
                try ModelgateBinary.url.path,
            ]
                + arguments, in: directory, environment: environment)
        if result.status == 99 {
            throw TestFailure("cannot make a private mount namespace for the test CA: \(result.stderr)")
        }
        return result
    }
}
