import Foundation
import TestSupport
import Testing

/// A credential helper's secret stays in memory: no file under TMPDIR or in the repository,
/// and nothing modelgate prints, ever holds it, whatever the helper does.
@Suite struct CredentialHelperSecretTests {
    enum Behaviour: String, CaseIterable, Sendable {
        case answers, warnsOnStderr, printsGarbage, fails, hangs
    }

    /// How long modelgate waits for the helper: far longer than the helper needs to look, on
    /// however loaded a machine, since the `hangs` case asserts that it looked before it was
    /// stopped (the other cases end as soon as the helper has looked).
    static let timeout = 20

    /// The helper's script: it prints the secret as `behaviour` says, and while modelgate
    /// waits for it, looks for the secret in TMPDIR (where modelgate once logged its output).
    /// `found` appears (renamed into place) only once the look is over, so its existence says
    /// the helper looked, and its lines what it found.
    static func script(_ behaviour: Behaviour, secret: String, found: URL) -> String {
        let scan = #"""
            sleep 0.3; grep -rl -- "\#(secret)" "$TMPDIR" > '\#(found.path).partial' 2>/dev/null
            mv '\#(found.path).partial' '\#(found.path)'
            """#
        let answer = #"printf '{"ServerURL": "%s", "Username": "ada", "Secret": "\#(secret)"}\n' "$server""#
        let body: String
        switch behaviour {
        case .answers: body = "\(answer)\n\(scan)"
        case .warnsOnStderr: body = "echo 'warning: the keychain is slow (\(secret))' >&2\n\(answer)\n\(scan)"
        case .printsGarbage: body = "echo 'Secret: \(secret)'\n\(scan)"
        case .fails:
            body = "echo 'error: \(secret) was rejected'\necho 'debug: \(secret)' >&2\n\(scan)\nexit 1"
        case .hangs:
            body = "echo 'debug: \(secret)' >&2\nprintf '{\"Secret\": \"\(secret)\"'\n\(scan)\nsleep 600"
        }
        return "#!/bin/sh\nread -r server\n\(body)\n"
    }

    @Test(arguments: Behaviour.allCases)
    func theSecretStaysInMemory(_ behaviour: Behaviour) throws {
        let secret = "s3cret-\(UUID().uuidString)"
        let registry = try TestRegistry(user: "ada", password: secret)
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        // The helper and the Docker config (which hold the secret, as a keychain would) live
        // apart from the places searched: TMPDIR, the repository.
        let tools = try TemporaryDirectory(prefix: "modelgate-keychain")
        let temporary = try TemporaryDirectory(prefix: "modelgate-tmpdir")
        let found = tools.appending("found-during-run")
        try ExecutableFile.write(
            Self.script(behaviour, secret: secret, found: found),
            to: tools.appending("docker-credential-secretstore"))
        try Data(#"{"credsStore": "secretstore"}"#.utf8).write(to: tools.appending("config.json"))
        let environment = [
            "DOCKER_CONFIG": tools.url.path, "TMPDIR": temporary.url.path,
            "PATH": tools.url.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "MODELGATE_CREDENTIAL_HELPER_TIMEOUT": String(Self.timeout),
        ]
        let push = try repository.modelgate(
            ["push", "\(registry.address)/team/demo:v1", "--insecure"], environment: environment)

        switch behaviour {
        case .answers, .warnsOnStderr:
            #expect(push.status == 0, "\(push.stderr)")
        case .printsGarbage:
            #expect(push.status == 2)
            #expect(
                push.stderr.contains("answered \(secret.count + 9) bytes that are not credentials"),
                "\(push.stderr)")
        case .fails:
            #expect(push.status == 3)
            #expect(push.stderr.contains("docker-credential-secretstore failed (exit 1)"), "\(push.stderr)")
            #expect(push.stderr.contains("echo \(registry.address) | docker-credential-secretstore get"))
        case .hangs:
            #expect(push.status == 3)
            #expect(
                push.stderr.contains("did not answer within \(Self.timeout) s and was stopped"),
                "\(push.stderr)")
        }
        #expect(
            !push.stdout.contains(secret) && !push.stderr.contains(secret), "\(push.stdout)\(push.stderr)")
        // The helper did run (and looked), and saw no file holding what it printed.
        #expect(FileManager.default.fileExists(atPath: found.path))
        #expect(try String(contentsOf: found, encoding: .utf8).isEmpty)
        for folder in [temporary.url, repository.repo.directory.url] {
            let holding = try filesHolding(secret, under: folder)
            #expect(holding.isEmpty, "\(holding)")
        }
        let objects = try ProcessRunner.run(
            "git", ["cat-file", "--batch-all-objects", "--batch"], in: repository.url)
        #expect(!objects.stdout.contains(secret))
    }

    /// Paths of the regular files under `folder` whose bytes contain `text`.
    func filesHolding(_ text: String, under folder: URL) throws -> [String] {
        let needle = Data(text.utf8)
        var holding: [String] = []
        let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        for case let url as URL in enumerator ?? FileManager.DirectoryEnumerator() {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true,
                let data = try? Data(contentsOf: url)
            else { continue }
            if data.range(of: needle) != nil { holding.append(url.path) }
        }
        return holding
    }
}
