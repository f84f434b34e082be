import Foundation
import TestSupport
import Testing

@testable import Artifacts

/// `modelgate pull` and `push` against registries that try to take credentials elsewhere, print
/// them, fill the disk or hang the command (`HostileRegistry`): the secret never reaches another
/// host nor the terminal, downloads stop at the declared size and in time, and every refusal is a
/// clear message, a documented exit code and nothing left in the target. Every command runs
/// bounded (`HostileRegistry.bounded`), so one that hangs fails its test.
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
        let pull = try registry.modelgate(
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
            try registry.modelgate(arguments + ["--insecure"], in: registry.work, environment: environment)
        )
    }

    /// Nothing of a failed pull into `target` is left: no file in it, no staging folder beside it.
    private func expectNothingKept(
        _ target: URL, registry: HostileRegistry, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            HostileRegistry.contents(of: target).isEmpty, "\(HostileRegistry.contents(of: target))",
            sourceLocation: sourceLocation)
        #expect(
            HostileRegistry.stagingFolders(in: registry.work).isEmpty,
            "\(HostileRegistry.stagingFolders(in: registry.work))", sourceLocation: sourceLocation)
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
        expectNothingKept(target, registry: registry)
        expectNoSecret(in: pull.stderr)
    }

    /// An HTTPS registry whose blobs redirect to plain HTTP (the URL carrying the password, as a
    /// signed URL might): refused, the HTTP host sees nothing, the message shows the URL redacted.
    @Test func aRedirectFromHTTPSToPlainHTTPIsRefused() throws {
        let certificate = try TestCertificate()
        let registry = try HostileRegistry(scenario: "leaky-redirect", certificate: certificate)
        let (target, pull) = try pull(registry, certificate: certificate)
        #expect(pull.status == 2, "\(pull.stderr)")
        #expect(
            pull.stderr.contains("refusing to follow a redirect from HTTPS to plain HTTP"), "\(pull.stderr)")
        #expect(
            pull.stderr.contains("http://127.0.0.2:\(registry.cdnPort)/cdn/blobs/sha256:"), "\(pull.stderr)")
        #expect(pull.stderr.contains("?sig=[redacted]"), "\(pull.stderr)")
        #expect(try registry.requests().filter { $0.server == "cdn" }.isEmpty)
        expectNothingKept(target, registry: registry)
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
        expectNothingKept(target, registry: registry)
    }

    @Test func aRedirectLoopIsBounded() throws {
        let registry = try HostileRegistry(scenario: "loop")
        let (target, pull) = try pull(registry, withCredentials: false)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(pull.stderr.contains("more than 10 redirects for"), "\(pull.stderr)")
        let blobRequests = try registry.requests().filter { $0.path.contains("/blobs/") }
        #expect(blobRequests.count == 11, "the first request and 10 redirects")
        expectNothingKept(target, registry: registry)
    }

    /// A manifest declares a 2-byte layer and the registry's body never ends (close-delimited, or
    /// announcing 1 TB): the pull ends at once with exit 3 whatever the registry goes on sending,
    /// and keeps nothing.
    @Test(arguments: ["endless", "endless-length"])
    func aBlobThatNeverEndsIsCutOffAndNothingIsKept(scenario: String) throws {
        let registry = try HostileRegistry(scenario: scenario)
        let (target, pull) = try pull(registry, withCredentials: false)
        #expect(pull.status == 3, "\(pull.stderr)")
        let declared = "sha256:2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df"  // of "ok"
        #expect(
            pull.stderr.contains("blob \(declared) is declared as 2 bytes, but the registry sends at least"),
            "\(pull.stderr)")
        #expect(pull.stderr.contains("the download was stopped"), "\(pull.stderr)")
        expectNothingKept(target, registry: registry)
    }

    /// A registry that stalls an answer (drips the layer a byte every half second, within its
    /// declared size; or sends a redirect whose body never ends, which FoundationNetworking keeps
    /// in memory without telling the delegate) is stopped once the exchange's time is up: 2
    /// seconds here, through the client's test seam, instead of 5 minutes. In process, so the
    /// fixture paces its flood (see hostile_registry.py): all URLSessions of a process share one
    /// work queue, which a flood faster than FoundationNetworking copies a redirect body would
    /// hold for as long as it lasts (the modelgate command itself simply exits).
    @Test(arguments: ["drip", "redirect-flood"])
    func aStalledAnswerIsStoppedWhenItsTimeIsUp(scenario: String) async throws {
        let registry = try HostileRegistry(scenario: scenario)
        let reference = try RegistryReference(parsing: "\(registry.address)/team/model:v1")
        let target = registry.work.appending(path: "pulled")
        let outcome = await HostileRegistry.outcome(within: 60) {
            let client = try RegistryClient(
                reference: reference, insecure: true, credentials: nil, push: false, allowance: .seconds(2))
            _ = try await client.pull(into: PullStaging(for: target), options: .defaults)
        }
        guard case .finished(let error) = outcome else {
            Issue.record("the pull was still running after 60 s")
            return
        }
        guard case RegistryError.tooSlow(_, let address, let seconds)? = error else {
            Issue.record("the pull ended with \(String(describing: error))")
            return
        }
        #expect(address.description.contains("/team/model/blobs/sha256:"), "\(address)")
        #expect(seconds >= 2)
        // The staging folder (downloads and unpacking) is gone with the pull, and no target made.
        let beside = HostileRegistry.contents(of: registry.work).filter { $0.contains(".modelgate-pull-") }
        #expect(beside.isEmpty, "\(beside)")
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    @Test func aDigestChallengeIsAClearErrorNotAHang() throws {
        let registry = try HostileRegistry(scenario: "digest")
        let (target, pull) = try pull(registry)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(
            pull.stderr.contains("asked for 'Digest' authentication, which modelgate does not speak"),
            "\(pull.stderr)")
        expectNothingKept(target, registry: registry)
    }

    /// A registry (or its token service) that puts the credentials into what modelgate prints:
    /// its error message, a redirect's URL, a layer's media type, a challenge's scheme or realm,
    /// a config's diff_id, the name of a file in a layer. The message shows the field, never the
    /// secret.
    @Test(arguments: [
        ("echo", 3, "cannot serve you, Basic [redacted]"),
        ("token-echo", 3, "rejected the credentials of 'alice'"),
        (
            "redirect-leak", 3,
            "more than 10 redirects for http://127.0.0.1:PORT/v2/team/model/manifests/v1?leak=[redacted]&n=10"
        ),
        ("media-leak", 3, "is leak-[redacted], which modelgate cannot unpack"),
        ("scheme-leak", 3, "asked for '[redacted]' authentication"),
        ("realm-leak", 3, "names a token service that is not an http(s) URL: 'leak-[redacted]'"),
        ("diffid-leak", 3, "but the image config says sha256:[redacted]"),
        ("name-leak", 3, "model/[redacted]"),
    ])
    func errorsThatEchoTheCredentialsAreRedacted(scenario: String, status: Int32, message: String) throws {
        let registry = try HostileRegistry(scenario: scenario)
        let (target, pull) = try pull(registry)
        #expect(pull.status == status, "\(pull.stderr)")
        let expected = message.replacingOccurrences(of: "PORT", with: String(registry.registryPort))
        #expect(pull.stderr.contains(expected), "\(pull.stderr)")
        expectNoSecret(in: pull.stderr + pull.stdout)
        expectNothingKept(target, registry: registry)
    }

    /// A registry that answers an upload with the password as the digest it stored.
    @Test func pushErrorsThatEchoTheCredentialsAreRedacted() throws {
        let registry = try HostileRegistry(scenario: "digest-leak")
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let push = try registry.modelgate(
            ["push", "\(registry.address)/team/model:v1", "--insecure"], in: repository.url,
            environment: try credentials(registry))
        #expect(push.status == 3, "\(push.stderr)")
        #expect(
            push.stderr.contains("the registry stored blob sha256:[redacted], not sha256:"), "\(push.stderr)")
        expectNoSecret(in: push.stderr + push.stdout)
    }

    @Test func aManifestLargerThan4MiBIsRefused() throws {
        let registry = try HostileRegistry(scenario: "huge-manifest")
        let (target, pull) = try pull(registry, withCredentials: false)
        #expect(pull.status == 3, "\(pull.stderr)")
        #expect(
            pull.stderr.contains("the manifest from \(registry.address) is larger than 4096 KiB"),
            "\(pull.stderr)")
        expectNothingKept(target, registry: registry)
    }

    /// A registry that sends uploads to another host (its storage): the blobs go there without
    /// the credentials, the manifest to the registry with them.
    @Test func uploadsSentToAnotherHostGoWithoutCredentials() throws {
        let registry = try HostileRegistry(scenario: "upload-elsewhere")
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let push = try registry.modelgate(
            ["push", "\(registry.address)/team/model:v1", "--insecure"], in: repository.url,
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

    /// An HTTPS registry that sends uploads to plain HTTP: refused before a byte goes there
    /// (as a redirect would be), with exit 2; nothing is tagged.
    @Test func anUploadLocationOnPlainHTTPAfterHTTPSIsRefused() throws {
        let certificate = try TestCertificate()
        let registry = try HostileRegistry(scenario: "upload-elsewhere", certificate: certificate)
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let push = try certificate.modelgate(
            ["push", "\(registry.address)/team/model:v1"], in: repository.url,
            environment: try credentials(registry))
        #expect(push.status == 2, "\(push.stderr)")
        #expect(push.stderr.contains("refusing to upload over plain HTTP after HTTPS"), "\(push.stderr)")
        #expect(push.stderr.contains("http://127.0.0.2:\(registry.cdnPort)/upload/"), "\(push.stderr)")
        let requests = try registry.requests()
        #expect(requests.filter { $0.server == "cdn" }.isEmpty, "\(requests.map(\.path))")
        #expect(!requests.contains { $0.method == "PUT" && $0.path.contains("/manifests/") })
        expectNoSecret(in: push.stderr)
    }
}
