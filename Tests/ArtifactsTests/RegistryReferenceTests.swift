import Foundation
import TestSupport
import Testing

@testable import Artifacts

@Suite struct RegistryReferenceTests {
    @Test func parsesRegistryRepositoryTagAndDigest() throws {
        let plain = try RegistryReference(parsing: "127.0.0.1:5000/team/housing:v1.4")
        #expect(plain.registry == "127.0.0.1:5000")
        #expect(plain.repository == "team/housing")
        #expect(plain.tag == "v1.4")
        #expect(plain.reference == "v1.4")
        #expect(plain.isLoopback)
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let pinned = try RegistryReference(parsing: "docker://registry.example.com/housing@\(digest)")
        #expect(pinned.digest?.description == digest)
        #expect(pinned.reference == digest)
        #expect(!pinned.isLoopback)
        #expect(try RegistryReference(parsing: "localhost/x").reference == "latest")
        for bad in ["housing:v1", "host.example/UPPER:v1", "host.example/a:-bad", "host.example/a@sha256:12"]
        {
            #expect(throws: ArtifactError.self) { try RegistryReference(parsing: bad) }
        }
    }

    @Test func credentialsComeFromTheEnvironmentOrTheDockerConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mg-docker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let auth = Data("ada:pa:ss".utf8).base64EncodedString()
        try Data(
            #"{"auths": {"https://reg.example.com:5000/v1/": {"auth": "\#(auth)"}, "other.example": {"username": "bo", "password": "x"}}}"#
                .utf8
        ).write(to: directory.appendingPathComponent("config.json"))
        let fromFile = try RegistryCredentials.lookup(
            registry: "reg.example.com:5000", environment: ["DOCKER_CONFIG": directory.path])
        #expect(fromFile?.username == "ada")
        #expect(fromFile?.password == "pa:ss")
        #expect(
            try RegistryCredentials.lookup(
                registry: "other.example", environment: ["DOCKER_CONFIG": directory.path])?.username == "bo")
        #expect(
            try RegistryCredentials.lookup(
                registry: "none.example", environment: ["DOCKER_CONFIG": directory.path]) == nil)
        let fromEnvironment = try RegistryCredentials.lookup(
            registry: "reg.example.com:5000",
            environment: [
                "DOCKER_CONFIG": directory.path, "MODELGATE_REGISTRY_USER": "env",
                "MODELGATE_REGISTRY_PASSWORD": "pw",
            ])
        #expect(fromEnvironment?.username == "env")
    }

    /// A credential helper speaking docker-credential-helpers' protocol, for `credsStore` and `credHelpers`.
    static func writeHelper(named name: String, in directory: URL, user: String) throws {
        let script = """
            #!/bin/sh
            read -r server
            [ "$1" = get ] || exit 2
            case "$server" in
            reg.example.com:5000|https://index.docker.io/v1/|other.example)
                printf '{"ServerURL": "%s", "Username": "\(user)", "Secret": "pw for %s"}\n' "$server" "$server" ;;
            token.example) printf '{"ServerURL": "%s", "Username": "<token>", "Secret": "t"}\n' "$server" ;;
            broken.example) echo "the keychain is locked" >&2; exit 3 ;;
            garbage.example) echo "hello" ;;
            *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """
        try ExecutableFile.write(script, to: directory.appendingPathComponent("docker-credential-\(name)"))
    }

    @Test func credentialsComeFromDockerCredentialHelpers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mg-docker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeHelper(named: "store", in: directory, user: "ada")
        try Self.writeHelper(named: "special", in: directory, user: "bo")
        let auth = Data("file:user".utf8).base64EncodedString()
        try Data(
            #"{"credsStore": "store", "credHelpers": {"other.example": "special", "missing.example": "nope"}, "auths": {"fallback.example": {"auth": "\#(auth)"}, "idt.example": {"identitytoken": "abc"}}}"#
                .utf8
        ).write(to: directory.appendingPathComponent("config.json"))
        let environment = ["DOCKER_CONFIG": directory.path, "PATH": directory.path + ":/usr/bin:/bin"]
        func lookup(_ registry: String) throws -> RegistryCredentials? {
            try RegistryCredentials.lookup(registry: registry, environment: environment)
        }

        let stored = try #require(try lookup("reg.example.com:5000"))
        #expect(stored.username == "ada" && stored.password == "pw for reg.example.com:5000")
        #expect(stored.origin.contains("docker-credential-store (credsStore in"))
        // Docker Hub's credentials are filed under its v1 address.
        #expect(try lookup("docker.io")?.password == "pw for https://index.docker.io/v1/")
        // A credHelpers entry wins over credsStore for its registry.
        #expect(try lookup("other.example")?.username == "bo")
        // The helper knows nothing: an auths entry still counts; without one there are no credentials.
        #expect(try lookup("fallback.example")?.username == "file")
        #expect(try lookup("unknown.example") == nil)
        let fromAuths = try #require(try lookup("idt.example"))  // `docker login` kept an identity token
        #expect(fromAuths.isIdentityToken && fromAuths.password == "abc")

        /// The error looking up `registry` throws.
        func failure(_ registry: String) throws -> ArtifactError {
            do { _ = try lookup(registry) } catch let error as ArtifactError { return error }
            throw TestFailure("looking up \(registry) did not fail")
        }
        let token = try #require(try lookup("token.example"))
        #expect(token.isIdentityToken && token.password == "t")
        let broken = try failure("broken.example")
        #expect(broken.summary.contains("the keychain is locked") && broken.exitStatus == .failure)
        #expect(broken.hint?.contains("docker-credential-store get") == true)
        let garbage = try failure("garbage.example")
        #expect(garbage.summary.contains("not credentials") && garbage.exitStatus == .badInput)
        let missing = try failure("missing.example")
        #expect(missing.summary.contains("docker-credential-nope is not on PATH"))
        #expect(missing.location == directory.appendingPathComponent("config.json").path)
        #expect(missing.exitStatus == .badInput)
        // The environment's variables still come first.
        var withUser = environment
        withUser["MODELGATE_REGISTRY_USER"] = "env"
        withUser["MODELGATE_REGISTRY_PASSWORD"] = "pw"
        #expect(
            try RegistryCredentials.lookup(registry: "reg.example.com:5000", environment: withUser)?.username
                == "env")
    }

    /// A helper that hangs (here it ignores SIGTERM and leaves a child holding its output) is
    /// stopped with everything it started once the timeout passes.
    @Test func aHangingCredentialHelperIsStopped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mg-docker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try ExecutableFile.write(
            "#!/bin/sh\ntrap '' TERM\nread -r server\nsleep 91 &\nsleep 92\n",
            to: directory.appendingPathComponent("docker-credential-stuck"))
        try Data(#"{"credsStore": "stuck"}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        var credentials = DockerCredentials(
            environment: ["DOCKER_CONFIG": directory.path, "PATH": directory.path + ":/usr/bin:/bin"])
        credentials.helperTimeout = 1
        let started = ContinuousClock.now
        do {
            _ = try credentials.lookup(registry: "reg.example.com")
            Issue.record("a hanging helper gave credentials")
        } catch let error as ArtifactError {
            #expect(error.summary.contains("did not answer within 1 s"))
            #expect(error.exitStatus == .failure)
        }
        #expect(ContinuousClock.now - started < .seconds(20))
        let left = try ProcessRunner.run("pgrep", ["-f", "sleep 9[12]"], in: directory)
        #expect(left.stdout.isEmpty, "still running: \(left.stdout)")
    }

    @Test func readsTrailersAndGTONames() {
        let trailers = ReleaseBook.trailers(
            of: "Release\n\nbody\n\nModelgate-Artifact: sha256:x\nModelgate-Metrics: {\"r2\":1}\n")
        #expect(trailers["Modelgate-Artifact"] == "sha256:x")
        #expect(trailers["Modelgate-Metrics"] == #"{"r2":1}"#)
        #expect(ReleaseBook.parseGTO("housing@v1.2.3")?.version == "v1.2.3")
        #expect(ReleaseBook.parseGTO("housing#prod#4")?.environment == "prod")
        #expect(ReleaseBook.parseGTO("housing#prod#4")?.number == 4)
        #expect(ReleaseBook.parseGTO("v1.0") == nil)
        #expect(ReleaseBook.parseGTO("Housing@v1.0.0") == nil)
        #expect(ReleaseBook.isSemanticVersion("1.2.3-rc.1+build.5"))
        #expect(!ReleaseBook.isSemanticVersion("1.02.3"))
    }
}
