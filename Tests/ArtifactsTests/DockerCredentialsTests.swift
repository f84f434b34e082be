import Foundation
import TestSupport
import Testing

@testable import Artifacts

@Suite struct DockerCredentialsTests {
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
            warning.example)
                echo "warning: the keychain is slow today" >&2
                printf '{"Username": "\(user)", "Secret": "warned"}\n' ;;
            broken.example) echo "the keychain is locked: pw for broken" >&2; echo "pw for broken"; exit 3 ;;
            garbage.example) echo "Secret=pw for garbage" ;;
            chatty.example) head -c 3000000 /dev/zero ;;
            *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """
        try ExecutableFile.write(script, to: directory.appendingPathComponent("docker-credential-\(name)"))
    }

    @Test func credentialsComeFromDockerCredentialHelpers() throws {
        let directory = try TemporaryDirectory(prefix: "mg-docker")
        try Self.writeHelper(named: "store", in: directory.url, user: "ada")
        try Self.writeHelper(named: "special", in: directory.url, user: "bo")
        let auth = Data("file:user".utf8).base64EncodedString()
        try Data(
            #"{"credsStore": "store", "credHelpers": {"other.example": "special", "missing.example": "nope"}, "auths": {"fallback.example": {"auth": "\#(auth)"}, "idt.example": {"identitytoken": "abc"}}}"#
                .utf8
        ).write(to: directory.appending("config.json"))
        let environment = [
            "DOCKER_CONFIG": directory.url.path, "PATH": directory.url.path + ":/usr/bin:/bin",
        ]
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
        let token = try #require(try lookup("token.example"))
        #expect(token.isIdentityToken && token.password == "t")
        // A warning on stderr does not spoil the answer on stdout.
        #expect(try lookup("warning.example")?.password == "warned")

        /// The error looking up `registry` throws.
        func failure(_ registry: String) throws -> CredentialHelperError {
            do { _ = try lookup(registry) } catch let error as CredentialHelperError { return error }
            throw TestFailure("looking up \(registry) did not fail")
        }
        let helper = CredentialHelperError.Helper(
            program: "docker-credential-store", configKey: "credsStore",
            configFile: directory.appending("config.json").path, serverAddress: "broken.example")
        let broken = try failure("broken.example")
        #expect(broken == .failed(helper, status: "exit 3", outputBytes: 14, errorBytes: 38))
        #expect(broken.exitStatus == .failure)
        #expect(broken.hint?.contains("echo broken.example | docker-credential-store get") == true)
        var garbageHelper = helper
        garbageHelper.serverAddress = "garbage.example"
        let garbage = try failure("garbage.example")
        #expect(garbage == .notCredentials(garbageHelper, outputBytes: 22))
        #expect(garbage.exitStatus == .badInput)
        var chattyHelper = helper
        chattyHelper.serverAddress = "chatty.example"
        #expect(
            try failure("chatty.example")
                == .tooMuchOutput(chattyHelper, stream: "stdout", limit: DockerCredentials.outputLimit))
        // What a helper printed is never quoted: it may be the secret.
        for error in [broken, garbage] {
            #expect(!error.renderedMessage.contains("pw for"), "\(error.renderedMessage)")
        }
        let missing = try failure("missing.example")
        #expect(missing.summary.contains("docker-credential-nope is not on PATH"))
        #expect(missing.location == directory.appending("config.json").path)
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
        let directory = try TemporaryDirectory(prefix: "mg-docker")
        let marker = "sleep 9\(UInt32.random(in: 10_000...99_999))"
        try ExecutableFile.write(
            "#!/bin/sh\ntrap '' TERM\nread -r server\n\(marker)1 &\n\(marker)2\n",
            to: directory.appending("docker-credential-stuck"))
        try Data(#"{"credsStore": "stuck"}"#.utf8).write(to: directory.appending("config.json"))
        let credentials = DockerCredentials(environment: [
            "DOCKER_CONFIG": directory.url.path, "PATH": directory.url.path + ":/usr/bin:/bin",
            "MODELGATE_CREDENTIAL_HELPER_TIMEOUT": "1",
        ])
        do {
            _ = try credentials.lookup(registry: "reg.example.com")
            Issue.record("a hanging helper gave credentials")
        } catch let error as CredentialHelperError {
            guard case .timedOut(_, seconds: 1) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(error.summary.contains("did not answer within 1 s"))
            #expect(error.exitStatus == .failure)
        }
        let left = try ProcessRunner.run("pgrep", ["-f", marker], in: directory.url)
        #expect(left.stdout.isEmpty, "still running: \(left.stdout)")
    }
}
