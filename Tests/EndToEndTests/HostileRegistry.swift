import Foundation
import Synchronization
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
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
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

    /// Seconds a command against a hostile registry may run before it is killed.
    static let timeLimit = 120

    /// Runs `modelgate arguments` in `directory` against this registry, bounded (`bounded`).
    func modelgate(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
        -> ProcessResult
    {
        try Self.bounded([try ModelgateBinary.url.path] + arguments, in: directory, environment: environment)
    }

    /// Runs `command` (a program and its arguments) under `timeout`: terminated after
    /// `timeLimit` seconds and killed 10 seconds later, so that a command that hangs fails its
    /// test (with this error) instead of hanging the suite.
    static func bounded(_ command: [String], in directory: URL, environment: [String: String]) throws
        -> ProcessResult
    {
        let result = try ExternalTool.run(
            "timeout", ["--kill-after=10", String(timeLimit)] + command, in: directory,
            environment: environment)
        if result.status == 124 || result.status == 137 {
            throw TestFailure(
                "'\(command.joined(separator: " "))' was still running after \(timeLimit) s and was killed: \(result.stderr)"
            )
        }
        return result
    }

    /// What `operation` threw (nil when it returned), or `stillRunning` when it has not finished
    /// within `seconds`: it is then left running, so that an operation that hangs in this
    /// process (a continuation never resumed) fails its test instead of hanging the suite.
    static func outcome(
        within seconds: Int, of operation: @Sendable @escaping () async throws -> Void
    ) async -> Outcome {
        await withCheckedContinuation { continuation in
            let resumed = Mutex(false)
            let finish: @Sendable (Outcome) -> Void = { outcome in
                if resumed.withLock({ done in
                    defer { done = true }
                    return !done
                }) {
                    continuation.resume(returning: outcome)
                }
            }
            Task {
                do {
                    try await operation()
                    finish(.finished(nil))
                } catch {
                    finish(.finished(error))
                }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                finish(.stillRunning)
            }
        }
    }

    /// How `outcome(within:of:)` found an operation.
    enum Outcome: Sendable {
        /// It ended, with this error or none.
        case finished((any Error)?)
        /// It was still running.
        case stillRunning
    }

    /// The `.modelgate-pull-*` staging folders left in `directory`.
    static func stagingFolders(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
            $0.hasPrefix(".modelgate-pull-")
        }
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
/// `URLSessionCertificateAuthorityInfoFile` variable is read on Android only; checked in
/// swift-corelibs-foundation's EasyHandle.swift, `setCARootBundlePath`), and libcurl, as
/// Debian builds it, reads its CA bundle from /etc/ssl/certs whatever the environment says
/// (SSL_CERT_FILE and CURL_CA_BUNDLE are read by the openssl and curl programs, not the
/// library). So modelgate runs in a private mount namespace (`unshare --map-root-user --mount`)
/// where a tmpfs over /etc/ssl/certs holds this certificate as the only CA bundle.
///
/// That needs unprivileged user namespaces, which some machines refuse (Ubuntu 24.04 and later
/// restrict them with AppArmor, `kernel.apparmor_restrict_unprivileged_userns=1`; older Debian
/// kernels had `kernel.unprivileged_userns_clone=0`). There the HTTPS tests fail, first thing,
/// with an error naming that requirement (`requireNamespaces`): they are never skipped.
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

    /// Runs modelgate with `arguments` in `directory`, trusting this certificate, bounded like
    /// `HostileRegistry.bounded`.
    func modelgate(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
        -> ProcessResult
    {
        try Self.requireNamespaces()
        let script = """
            mount -t tmpfs tmpfs /etc/ssl/certs && cp "$1" /etc/ssl/certs/ca-certificates.crt || exit 99
            shift
            exec "$@"
            """
        let result = try HostileRegistry.bounded(
            [
                "unshare", "--map-root-user", "--mount", "sh", "-c", script, "sh", certificate.path,
                try ModelgateBinary.url.path,
            ] + arguments, in: directory, environment: environment)
        if result.status == 99 {
            throw TestFailure("cannot mount the test CA in the private mount namespace: \(result.stderr)")
        }
        return result
    }

    /// Fails with what the machine lacks unless `unshare --map-root-user --mount` works here and
    /// can mount over /etc/ssl/certs (checked once per test run).
    static func requireNamespaces() throws {
        if let problem = namespaceProblem { throw TestFailure(problem) }
    }

    private static let namespaceProblem: String? = {
        let probe = try? ExternalTool.run(
            "unshare", ["--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs tmpfs /etc/ssl/certs"],
            in: URL(fileURLWithPath: "/"))
        guard let probe, probe.status != 0 else { return probe == nil ? "'unshare' could not be run" : nil }
        return """
            the HTTPS registry tests need unprivileged user and mount namespaces \
            ('unshare --map-root-user --mount'), and this machine refuses them: \
            \(probe.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) (exit \(probe.status)). \
            Allow them (sysctl kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04 and later, \
            kernel.unprivileged_userns_clone=1 on older Debian kernels), or run the tests as root.
            """
    }()
}
