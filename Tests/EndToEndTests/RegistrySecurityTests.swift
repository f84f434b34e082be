import Foundation
import TestSupport
import Testing

/// `modelgate pull` and `push` against registries that try to take credentials elsewhere or fill
/// the disk (`HostileRegistry`): the secret never reaches another host, downloads stop at the
/// declared size, and every refusal is a clear message, a documented exit code and nothing left
/// in the target.
@Suite struct RegistrySecurityTests {
    private func credentials(_ registry: HostileRegistry) throws -> [String: String] {
        let empty = registry.work.appendingPathComponent("no-docker")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        return [
            "MODELGATE_REGISTRY_USER": HostileRegistry.user,
            "MODELGATE_REGISTRY_PASSWORD": HostileRegistry.password, "DOCKER_CONFIG": empty.path,
        ]
    }

    /// Real registries send blobs from S3 or a CDN: the redirect is followed, the credentials
    /// (basic, or the bearer token got with them) stay with the registry.
    @Test(arguments: ["basic", "bearer"])
    func credentialsDoNotFollowARedirectToAnotherHost(scenario: String) throws {
        let registry = try HostileRegistry(scenario: scenario)
        let target = registry.work.appendingPathComponent("pulled")
        let pull = try ModelgateBinary.run(
            ["pull", "\(registry.address)/team/model:v1", "--to", target.path, "--insecure"],
            in: registry.work, environment: try credentials(registry))
        #expect(pull.status == 0, "\(pull.stderr)")
        let requests = try registry.requests()
        let cdn = requests.filter { $0.server == "cdn" }
        #expect(cdn.count == 2, "config and layer come from the CDN: \(requests.map(\.path))")
        for request in cdn {
            #expect(request.headers["authorization"] == nil, "\(request.path): \(request.headers)")
        }
        // The registry itself did get them (so there was something to leak).
        #expect(requests.contains { $0.server == "registry" && $0.headers["authorization"] != nil })
        let model = try Data(contentsOf: target.appendingPathComponent("model.bin"))
        #expect(model == Data(String(repeating: "public model bytes\n", count: 1000).utf8))
    }
}

extension RegistrySecurityTests {
    /// `pull` of `team/model:v1` from `registry` into a fresh folder; the folder and the result.
    private func pull(
        _ registry: HostileRegistry, certificate: TestCertificate? = nil, withCredentials: Bool = true
    ) throws -> (URL, ProcessResult) {
        let target = registry.work.appendingPathComponent("pulled")
        let arguments = ["pull", "\(registry.address)/team/model:v1", "--to", target.path]
        let environment = withCredentials ? try credentials(registry) : [:]
        if let certificate {
            return (target, try certificate.modelgate(arguments, in: registry.work, environment: environment))
        }
        return (
            target,
            try ModelgateBinary.run(arguments + ["--insecure"], in: registry.work, environment: environment)
        )
    }

    /// The password, its Basic encoding and the token appear nowhere in `text`.
    private func expectNoSecret(in text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in [HostileRegistry.password, HostileRegistry.basicValue, HostileRegistry.token] {
            #expect(!text.contains(secret), "\(text)", sourceLocation: sourceLocation)
        }
    }

    /// An HTTPS registry whose Bearer challenge names a plain-HTTP token service (on another
    /// loopback address, so only the scheme is wrong): nothing goes there.
    @Test func anHTTPSRegistryWithAPlainHTTPTokenRealmIsRefusedBeforeAnythingIsSent() throws {
        let certificate = try TestCertificate()
        let registry = try HostileRegistry(scenario: "http-realm", certificate: certificate)
        let (target, pull) = try pull(registry, certificate: certificate)
        #expect(pull.status == 2, "\(pull.stderr)")
        #expect(
            pull.stderr.contains(
                "refusing to send credentials in clear text to the token service http://127.0.0.2:\(registry.cdnPort)"
            ),
            "\(pull.stderr)")
        #expect(try registry.requests().filter { $0.server == "cdn" }.isEmpty)
        #expect(try registry.requests().contains { $0.server == "registry" }, "TLS to the registry worked")
        #expect(HostileRegistry.contents(of: target).isEmpty)
        expectNoSecret(in: pull.stderr)
    }

    /// An HTTPS registry whose blobs redirect to plain HTTP: refused, the HTTP host sees nothing.
    @Test func aRedirectFromHTTPSToPlainHTTPIsRefused() throws {
        let certificate = try TestCertificate()
        let registry = try HostileRegistry(scenario: "basic", certificate: certificate)
        let (target, pull) = try pull(registry, certificate: certificate)
        #expect(pull.status == 2, "\(pull.stderr)")
        #expect(
            pull.stderr.contains("refusing to follow a redirect from HTTPS to plain HTTP"), "\(pull.stderr)")
        #expect(
            pull.stderr.contains("http://127.0.0.2:\(registry.cdnPort)/cdn/blobs/sha256:"), "\(pull.stderr)")
        #expect(try registry.requests().filter { $0.server == "cdn" }.isEmpty)
        #expect(HostileRegistry.contents(of: target).isEmpty)
        expectNoSecret(in: pull.stderr)
    }

    /// The host a blob redirect leads to asks for credentials itself: it gets none, and the
    /// message says why (URLSession would have answered with the registry's password).
    @Test func aRedirectTargetAskingForCredentialsGetsNone() throws {
        let registry = try HostileRegistry(scenario: "cdn-asks")
        let (target, pull) = try pull(registry)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(
            pull.stderr.contains(
                "http://127.0.0.2:\(registry.cdnPort), where \(registry.address) sent the request, asked for credentials"
            ), "\(pull.stderr)")
        let cdn = try registry.requests().filter { $0.server == "cdn" }
        #expect(cdn.count == 1)
        #expect(cdn.allSatisfy { $0.headers["authorization"] == nil }, "\(cdn.map(\.headers))")
        #expect(HostileRegistry.contents(of: target).isEmpty)
    }

    @Test func aRedirectLoopIsBounded() throws {
        let registry = try HostileRegistry(scenario: "loop")
        let (target, pull) = try pull(registry, withCredentials: false)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(pull.stderr.contains("more than 10 redirects for"), "\(pull.stderr)")
        let blobRequests = try registry.requests().filter { $0.path.contains("/blobs/") }
        #expect(blobRequests.count == 11, "the first request and 10 redirects")
        #expect(HostileRegistry.contents(of: target).isEmpty)
    }

    /// A manifest declares a 2-byte layer and the registry sends 50 MB (with no length, then
    /// with an honest Content-Length): the download stops at once, nothing is kept.
    @Test(arguments: ["lying", "lying-length"])
    func aBlobLargerThanDeclaredIsCutOffAndNothingIsKept(scenario: String) throws {
        let registry = try HostileRegistry(scenario: scenario)
        let (target, pull) = try pull(registry, withCredentials: false)
        #expect(pull.status == 3, "\(pull.stderr)")
        let declared = "sha256:2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df"  // of "ok"
        #expect(
            pull.stderr.contains("blob \(declared) is declared as 2 bytes, but the registry sends at least"),
            "\(pull.stderr)")
        #expect(pull.stderr.contains("the download was stopped"), "\(pull.stderr)")
        let lie = try registry.requests(once: { $0.path.hasSuffix(declared) }).first {
            $0.path.hasSuffix(declared)
        }
        let sent = try #require(lie?.sent)
        // What the server managed to hand to the kernel before modelgate hung up: socket buffers
        // on both sides (a few MB on loopback), nowhere near the 50 MB.
        #expect(sent < 16_000_000, "the registry sent \(sent) bytes")
        #expect(HostileRegistry.contents(of: target).isEmpty, "\(HostileRegistry.contents(of: target))")
    }

    @Test func aDigestChallengeIsAClearErrorNotAHang() throws {
        let registry = try HostileRegistry(scenario: "digest")
        let (target, pull) = try pull(registry)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(
            pull.stderr.contains("asked for 'Digest' authentication, which modelgate does not speak"),
            "\(pull.stderr)")
        #expect(HostileRegistry.contents(of: target).isEmpty)
    }

    /// A registry (or its token service) that echoes the Authorization header in its error:
    /// modelgate's message shows the error, never the secret.
    @Test(arguments: ["echo", "token-echo"])
    func errorsThatEchoTheCredentialsAreRedacted(scenario: String) throws {
        let registry = try HostileRegistry(scenario: scenario)
        let (target, pull) = try pull(registry)
        #expect(pull.status == 3, "\(pull.stderr)")
        if scenario == "echo" {
            #expect(pull.stderr.contains("HTTP 500"), "\(pull.stderr)")
            #expect(pull.stderr.contains("cannot serve you, Basic [redacted]"), "\(pull.stderr)")
        } else {
            #expect(pull.stderr.contains("rejected the credentials of 'alice'"), "\(pull.stderr)")
        }
        expectNoSecret(in: pull.stderr + pull.stdout)
        #expect(HostileRegistry.contents(of: target).isEmpty)
    }

    @Test func aManifestLargerThan4MiBIsRefused() throws {
        let registry = try HostileRegistry(scenario: "huge-manifest")
        let (target, pull) = try pull(registry, withCredentials: false)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(
            pull.stderr.contains("the manifest from \(registry.address) is larger than 4096 KiB"),
            "\(pull.stderr)")
        #expect(HostileRegistry.contents(of: target).isEmpty)
    }

    /// A registry that sends uploads to another host (its storage): the blobs go there without
    /// the credentials, the manifest to the registry with them.
    @Test func uploadsSentToAnotherHostGoWithoutCredentials() throws {
        let registry = try HostileRegistry(scenario: "upload-elsewhere")
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let push = try repository.modelgate(
            ["push", "\(registry.address)/team/model:v1", "--insecure"],
            environment: try credentials(registry))
        #expect(push.status == 0, "\(push.stderr)")
        let requests = try registry.requests()
        let uploads = requests.filter { $0.server == "cdn" && $0.method == "PUT" }
        #expect(uploads.count == 2, "config and layer: \(requests.map(\.path))")
        for upload in uploads { #expect(upload.headers["authorization"] == nil, "\(upload.headers)") }
        #expect(
            requests.contains {
                $0.server == "registry" && $0.method == "PUT" && $0.headers["authorization"] != nil
            })
    }
}
