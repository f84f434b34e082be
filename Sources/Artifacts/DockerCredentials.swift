import Diagnostics
import Foundation
import Processes

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
package struct DockerCredentials {
    let file: URL
    let environment: [String: String]
    /// How long a helper may take, in seconds (it may be waiting on a keychain prompt nobody
    /// sees); `MODELGATE_CREDENTIAL_HELPER_TIMEOUT` sets it.
    var helperTimeout = 30

    init(environment: [String: String]) {
        let directory =
            environment["DOCKER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        file = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
        self.environment = environment
        if let seconds = environment["MODELGATE_CREDENTIAL_HELPER_TIMEOUT"].flatMap({ Int($0) }), seconds > 0
        {
            helperTimeout = min(seconds, 86_400)
        }
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
        let helper = CredentialHelperError.Helper(
            program: program, configKey: configKey, configFile: file.path,
            serverAddress: Self.serverAddress(for: registry))
        guard let executable = Self.find(program, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        else { throw CredentialHelperError.notOnPath(helper) }
        let answer = try run(executable, helper: helper)
        guard answer.ending == .exited(0) else {
            // The helpers' protocol says "not found" on stdout with a failing status.
            if String(decoding: answer.output, as: UTF8.self).lowercased().contains("credentials not found") {
                return nil
            }
            let status: String
            switch answer.ending {
            case .exited(let code): status = "exit \(code)"
            case .signalled(let signal): status = "killed by signal \(signal)"
            case .timedOut: throw CredentialHelperError.timedOut(helper, seconds: helperTimeout)
            case .interrupted: throw CredentialHelperError.interrupted(helper)
            }
            throw CredentialHelperError.failed(
                helper, status: status, outputBytes: answer.output.count, errorBytes: answer.error.count)
        }
        guard let (username, secret) = Self.credentials(inAnswer: answer.output) else {
            throw CredentialHelperError.notCredentials(helper, outputBytes: answer.output.count)
        }
        // "<token>" is how helpers say the secret is an identity token (docker-credential-helpers).
        return RegistryCredentials(
            username: username, password: secret, origin: helper.origin,
            isIdentityToken: username == "<token>")
    }

    /// The username and secret of a helper's answer (`{"Username": …, "Secret": …}` on its
    /// stdout), nil when the bytes are not one. The fuzzing entry point for helper answers.
    package static func credentials(inAnswer bytes: [UInt8]) -> (username: String, secret: String)? {
        struct Reply: Decodable {
            var username: String?
            var secret: String?
            enum CodingKeys: String, CodingKey {
                case username = "Username"
                case secret = "Secret"
            }
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(bytes)),
            let username = reply.username, let secret = reply.secret
        else { return nil }
        return (username, secret)
    }

    /// The first executable `name` in the colon-separated `path`.
    static func find(_ name: String, path: String) -> String? {
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Most bytes a helper may print on either stream; an answer is a few hundred bytes.
    static let outputLimit = 1 << 20

    /// Runs `executable get` with the server's address on stdin, in its own process group:
    /// after `helperTimeout` (or on Ctrl-C) the helper and everything it started are stopped,
    /// so a helper waiting on a keychain prompt cannot hang the command. Its stdout and stderr
    /// come back through two pipes into memory, at most `outputLimit` bytes each; they are
    /// never written anywhere, and never quoted in a message (either may hold the secret).
    private func run(_ executable: String, helper: CredentialHelperError.Helper) throws
        -> ChildProcess.Collected
    {
        var child = ChildProcess(executable, ["get"])
        child.baseEnvironment = environment
        child.input = Array((helper.serverAddress + "\n").utf8)
        child.stopsOnInterrupt = true
        child.timeout = .seconds(helperTimeout)
        do {
            return try child.collect(limit: Self.outputLimit)
        } catch ChildProcessError.outputTooLarge(_, let stream, let limit) {
            throw CredentialHelperError.tooMuchOutput(
                helper, stream: stream == .output ? "stdout" : "stderr", limit: limit)
        } catch let error as ChildProcessError {
            throw CredentialHelperError.cannotStart(helper, reason: error.summary)
        }
    }
}

/// A Docker credential helper could not give credentials. No case carries what the helper
/// printed: its stdout may hold the secret, and its stderr too (a shell helper traced with
/// `set -x` prints every command it runs); the messages give byte counts and how to see the
/// output oneself.
public enum CredentialHelperError: UserFacingError, Equatable {
    /// Which helper, named where.
    public struct Helper: Equatable, Sendable {
        /// `docker-credential-NAME`.
        public var program: String
        /// `credHelpers` or `credsStore`.
        public var configKey: String
        /// The Docker config file that names it.
        public var configFile: String
        /// What it is asked about (its stdin).
        public var serverAddress: String

        /// `docker-credential-NAME (credsStore in /path/config.json)`.
        public var origin: String { "\(program) (\(configKey) in \(configFile))" }
    }

    /// The config names a helper that is not on PATH.
    case notOnPath(Helper)
    /// It could not be started.
    case cannotStart(Helper, reason: String)
    /// It failed (exit status or signal, as text) and said something other than "not found".
    case failed(Helper, status: String, outputBytes: Int, errorBytes: Int)
    /// It succeeded but its stdout is not `{"Username": …, "Secret": …}`.
    case notCredentials(Helper, outputBytes: Int)
    /// It printed more than `limit` bytes on `stream` and was stopped.
    case tooMuchOutput(Helper, stream: String, limit: Int)
    /// It did not answer in time and was stopped with everything it started.
    case timedOut(Helper, seconds: Int)
    /// Ctrl-C stopped it.
    case interrupted(Helper)

    private static let fallback = "or set MODELGATE_REGISTRY_USER and MODELGATE_REGISTRY_PASSWORD"
    private static let notShown = "not shown here, since a credential helper's output may hold a secret"

    private var helper: Helper {
        switch self {
        case .notOnPath(let helper), .cannotStart(let helper, _), .failed(let helper, _, _, _),
            .notCredentials(let helper, _), .tooMuchOutput(let helper, _, _), .timedOut(let helper, _),
            .interrupted(let helper):
            return helper
        }
    }

    /// What went wrong, on one line.
    public var summary: String {
        let program = helper.program
        switch self {
        case .notOnPath(let helper):
            return
                "the Docker config names the credential helper '\(program.dropFirst("docker-credential-".count))' (\(helper.configKey)), but \(program) is not on PATH"
        case .cannotStart(_, let reason):
            return "could not run \(program): \(reason)"
        case .failed(let helper, let status, let outputBytes, let errorBytes):
            return
                "\(program) failed (\(status)) getting the credentials for \(helper.serverAddress); it printed \(outputBytes) bytes on stdout and \(errorBytes) on stderr, \(Self.notShown)"
        case .notCredentials(_, let outputBytes):
            return "\(program) answered \(outputBytes) bytes that are not credentials (\(Self.notShown))"
        case .tooMuchOutput(_, let stream, let limit):
            return
                "\(program) printed more than \(limit) bytes on \(stream) and was stopped; an answer is a few hundred bytes"
        case .timedOut(_, let seconds):
            return "\(program) did not answer within \(seconds) s and was stopped"
        case .interrupted:
            return "interrupted while \(program) was running"
        }
    }

    /// The helper and the config file that names it.
    public var location: String? {
        if case .notOnPath(let helper) = self { return helper.configFile }
        return helper.origin
    }

    /// How to see what it says, or to do without it.
    public var hint: String? {
        let byHand = "run 'echo \(helper.serverAddress) | \(helper.program) get' to see what it says"
        switch self {
        case .notOnPath(let helper):
            return "install \(helper.program), remove the '\(helper.configKey)' entry, \(Self.fallback)"
        case .notCredentials:
            return
                "it should print {\"Username\": …, \"Secret\": …}; \(byHand), check its version, \(Self.fallback)"
        case .timedOut:
            return "it may be waiting for a keychain to be unlocked; \(byHand), \(Self.fallback)"
        case .interrupted:
            return nil
        case .cannotStart, .failed, .tooMuchOutput:
            return "\(byHand), \(Self.fallback)"
        }
    }

    /// A config naming a missing helper, or a helper answering garbage, is bad input (2); a
    /// helper that fails or hangs is an error (3).
    public var exitStatus: ExitStatus {
        switch self {
        case .notOnPath, .notCredentials: return .badInput
        default: return .failure
        }
    }
}
