import Foundation
import Pipeline

/// Registry credentials as `docker login` leaves them in Docker's client config
/// (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`).
///
/// Docker's order: a `credHelpers` entry for the registry names a credential helper for it;
/// otherwise `credsStore` names one for every registry; otherwise the `auths` entry holds the
/// credentials itself. A helper is the program `docker-credential-NAME` on `PATH`, which
/// answers `get` with the server's address on stdin and `{"Username", "Secret"}` on stdout
/// (the protocol of docker/docker-credential-helpers). When the helper knows nothing about the
/// registry, an `auths` entry with credentials is still used. A username of `<token>` (from a
/// helper) or an `identitytoken` (in `auths`) is an OAuth2 refresh token, exchanged at the
/// registry's token service (`RegistryClient`).
struct DockerCredentials {
    let file: URL
    let environment: [String: String]
    /// How long a helper may take, in seconds (it may be waiting on a keychain prompt nobody sees).
    var helperTimeout = 30

    init(environment: [String: String]) {
        let directory =
            environment["DOCKER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        file = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
        self.environment = environment
    }

    private struct Config: Decodable {
        struct Entry: Decodable {
            var auth: String?
            var username: String?
            var password: String?
            var identityToken: String?

            enum CodingKeys: String, CodingKey {
                case auth, username, password
                case identityToken = "identitytoken"
            }
        }
        var auths: [String: Entry]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    /// The credentials for `registry` (`host[:port]`), or nil when the config has none.
    func lookup(registry: String) throws -> RegistryCredentials? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let config: Config
        do {
            config = try JSONDecoder().decode(Config.self, from: data)
        } catch {
            throw ArtifactError(
                "the Docker config file is not valid JSON: \(error)", location: file.path,
                hint: "fix it, or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD",
                exitStatus: .badInput)
        }
        let helper =
            config.credHelpers?.first { RegistryCredentials.normalize($0.key) == registry }.map {
                (name: $0.value, key: "credHelpers")
            } ?? config.credsStore.flatMap { $0.isEmpty ? nil : (name: $0, key: "credsStore") }
        if let helper, let found = try ask(helper: helper.name, configKey: helper.key, registry: registry) {
            return found
        }
        for (key, entry) in config.auths ?? [:] where RegistryCredentials.normalize(key) == registry {
            if let token = entry.identityToken, !token.isEmpty {
                return RegistryCredentials(
                    username: "<token>", password: token, origin: file.path, isIdentityToken: true)
            }
            if let auth = entry.auth, let decoded = Data(base64Encoded: auth),
                let text = String(data: decoded, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            {
                return RegistryCredentials(
                    username: String(text[..<colon]), password: String(text[text.index(after: colon)...]),
                    origin: file.path)
            }
            if let username = entry.username, let password = entry.password {
                return RegistryCredentials(username: username, password: password, origin: file.path)
            }
        }
        return nil
    }

    /// The address helpers file Docker Hub's credentials under; every other registry by its host.
    static func serverAddress(for registry: String) -> String {
        ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(registry)
            ? "https://index.docker.io/v1/" : registry
    }

    /// Runs `docker-credential-NAME get` for `registry`; nil when it has no credentials for it.
    func ask(helper name: String, configKey: String, registry: String) throws -> RegistryCredentials? {
        let program = "docker-credential-\(name)"
        let origin = "\(program) (\(configKey) in \(file.path))"
        guard let executable = Self.find(program, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        else {
            throw ArtifactError(
                "the Docker config names the credential helper '\(name)' (\(configKey)), but \(program) is not on PATH",
                location: file.path,
                hint:
                    "install \(program), remove the '\(configKey)' entry, or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD",
                exitStatus: .badInput)
        }
        let answer = try run(executable, input: Self.serverAddress(for: registry), origin: origin)
        guard answer.status == 0 else {
            // The helpers' protocol says "not found" on stdout with a failing status.
            if answer.output.lowercased().contains("credentials not found") { return nil }
            let said = answer.output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ArtifactError(
                "\(program) failed (exit \(answer.status)) getting the credentials for \(registry): \(said)",
                location: origin,
                hint:
                    "run 'echo \(Self.serverAddress(for: registry)) | \(program) get' to see why, or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD"
            )
        }
        struct Reply: Decodable {
            var username: String?
            var secret: String?
            enum CodingKeys: String, CodingKey {
                case username = "Username"
                case secret = "Secret"
            }
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(answer.output.utf8)),
            let username = reply.username, let secret = reply.secret
        else {
            throw ArtifactError(
                "\(program) answered something that is not credentials: \(answer.output.prefix(200))",
                location: origin,
                hint:
                    "it should print {\"Username\": …, \"Secret\": …}; check its version, or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD",
                exitStatus: .badInput)
        }
        // "<token>" is how helpers say the secret is an identity token (docker-credential-helpers).
        return RegistryCredentials(
            username: username, password: secret, origin: origin, isIdentityToken: username == "<token>")
    }

    /// The first executable `name` in the colon-separated `path`.
    static func find(_ name: String, path: String) -> String? {
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable get` with `input` on stdin, in its own process group: after
    /// `helperTimeout` (or on Ctrl-C) the helper and everything it started are stopped, so a
    /// helper waiting on a keychain prompt cannot hang the command. Its stdout and stderr come
    /// back merged (a helper prints nothing on stderr when it succeeds).
    private func run(_ executable: String, input: String, origin: String) throws -> (
        status: Int32, output: String
    ) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-credential-helper-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var environment = self.environment
        environment["MODELGATE_HELPER"] = executable
        environment["MODELGATE_SERVER"] = input
        let execution = CommandExecution(
            command: #"printf '%s\n' "$MODELGATE_SERVER" | "$MODELGATE_HELPER" get"#,
            directory: FileManager.default.temporaryDirectory, environment: environment,
            timeout: .seconds(helperTimeout), log: log)
        var lines: [String] = []
        let ending: CommandExecution.Ending
        do {
            ending = try execution.run { lines.append($0) }
        } catch {
            throw ArtifactError("could not start \(executable): \(error)", location: origin)
        }
        let output = lines.joined(separator: "\n")
        switch ending {
        case .exited(let status):
            return (status, output)
        case .signalled(let signal):
            return (128 + signal, output + "\n(killed by signal \(signal))")
        case .timedOut:
            throw ArtifactError(
                "\(executable) did not answer within \(Int(helperTimeout)) s", location: origin,
                hint:
                    "it may be waiting for a keychain to be unlocked; run it by hand, or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD"
            )
        case .interrupted:
            throw ArtifactError("interrupted while \(executable) was running", location: origin)
        }
    }
}
