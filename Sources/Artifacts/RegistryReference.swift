import Foundation

/// `REGISTRY/REPOSITORY[:TAG][@sha256:…]`, e.g. `127.0.0.1:5000/team/housing:v1.4`.
///
/// The registry is always explicit (a host with a dot or a port, or `localhost`): modelgate never
/// guesses Docker Hub.
public struct RegistryReference: Sendable, Equatable, CustomStringConvertible {
    /// `host[:port]`.
    public let registry: String
    /// The repository path, e.g. `team/housing`.
    public let repository: String
    /// The tag, when given (`latest` when neither tag nor digest is).
    public let tag: String?
    /// The manifest digest, when given.
    public let digest: Digest?

    /// Parses `text`; bad input (exit 2) with an example when it is not a reference.
    public init(parsing text: String) throws {
        func bad(_ why: String) -> ArtifactError {
            ArtifactError(
                "'\(text)' is not an image reference: \(why)", location: text,
                hint: "write REGISTRY/REPOSITORY:TAG, e.g. 127.0.0.1:5000/team/housing:v1.4",
                exitStatus: .badInput)
        }
        var rest = text
        if rest.hasPrefix("docker://") { rest = String(rest.dropFirst(9)) }
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            guard let parsed = Digest(String(rest[rest.index(after: at)...])) else {
                throw bad("the digest is not sha256:<64 hex>")
            }
            digest = parsed
            rest = String(rest[..<at])
        }
        guard let slash = rest.firstIndex(of: "/") else { throw bad("it names no registry") }
        let registry = String(rest[..<slash])
        guard registry.contains(".") || registry.contains(":") || registry == "localhost" else {
            throw bad("'\(registry)' does not look like a registry host (it needs a dot or a port)")
        }
        guard Self.isRegistryAddress(registry) else {
            throw bad("'\(registry)' is not a host[:port] (a DNS name, an IPv4 address or [an IPv6 address])")
        }
        var path = String(rest[rest.index(after: slash)...])
        var tag: String?
        if let colon = path.lastIndex(of: ":"), !path[colon...].contains("/") {
            tag = String(path[path.index(after: colon)...])
            path = String(path[..<colon])
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        let componentCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard !components.isEmpty,
            components.allSatisfy({
                !$0.isEmpty && $0.allSatisfy(componentCharacters.contains)
                    && ($0.first!.isLetter || $0.first!.isNumber)
            })
        else {
            throw bad("the repository '\(path)' must be lowercase letters, digits and . _ - separated by /")
        }
        if let tag {
            let tagCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
            guard !tag.isEmpty, tag.count <= 128, tag.allSatisfy(tagCharacters.contains), tag.first != ".",
                tag.first != "-"
            else {
                throw bad("the tag '\(tag)' may hold only letters, digits, '.', '_' and '-' (up to 128)")
            }
        }
        self.registry = registry
        repository = path
        self.tag = tag
        self.digest = digest
    }

    /// `init(parsing:)` over raw bytes (read as UTF-8): the fuzzing entry point.
    package static func parse(_ bytes: [UInt8]) throws -> RegistryReference {
        try RegistryReference(parsing: String(decoding: bytes, as: UTF8.self))
    }

    /// What goes after `/manifests/`: the digest when given, else the tag (default `latest`).
    public var reference: String { digest?.description ?? tag ?? "latest" }

    /// `registry/repository[:tag][@digest]`.
    public var description: String {
        "\(registry)/\(repository)" + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }

    /// True for a registry on this machine: its host parses as an address in 127.0.0.0/8 or ::1,
    /// or is `localhost` (`LoopbackHost`); `127.evil.example` is a name, not an address.
    public var isLoopback: Bool {
        let host =
            registry.hasPrefix("[")
            ? String(registry.dropFirst().prefix { $0 != "]" }) : String(registry.prefix { $0 != ":" })
        return LoopbackHost.isLoopback(host)
    }

    /// `host[:port]`: DNS labels of letters, digits and inner hyphens, or `[IPv6]`; a port of 1 to
    /// 65535. The registry part becomes a URL's authority, so nothing else may pass.
    static func isRegistryAddress(_ text: String) -> Bool {
        var host = Substring(text)
        var port: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return false }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return false }
                port = rest.dropFirst()
            }
            guard host.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == ".") }),
                host.contains(":")
            else { return false }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return false }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            guard
                labels.allSatisfy({ label in
                    !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                        && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                })
            else { return false }
        }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(port), (1...65535).contains(number)
            else { return false }
        }
        return true
    }
}

/// A user name and password for a registry.
public struct RegistryCredentials: Sendable, Equatable {
    /// The user.
    public let username: String
    /// The password or token.
    public let password: String
    /// Where they came from, for messages ("MODELGATE_REGISTRY_USER", "~/.docker/config.json").
    public let origin: String
    /// True when `password` is an identity token (the OAuth2 refresh token `docker login` keeps
    /// for some registries): it is exchanged at the registry's token service, never sent as a
    /// password.
    public let isIdentityToken: Bool

    /// Makes credentials.
    public init(username: String, password: String, origin: String, isIdentityToken: Bool = false) {
        self.username = username
        self.password = password
        self.origin = origin
        self.isIdentityToken = isIdentityToken
    }

    /// `MODELGATE_REGISTRY_USER`/`MODELGATE_REGISTRY_PASSWORD` when both are set, else what
    /// Docker's client config holds for `registry`: its credential helper (`credHelpers`,
    /// `credsStore`) or its `auths` entry (see `DockerCredentials`).
    public static func lookup(
        registry: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RegistryCredentials? {
        if let user = environment["MODELGATE_REGISTRY_USER"],
            let password = environment["MODELGATE_REGISTRY_PASSWORD"]
        {
            return RegistryCredentials(
                username: user, password: password, origin: "MODELGATE_REGISTRY_USER/PASSWORD")
        }
        return try DockerCredentials(environment: environment).lookup(registry: registry)
    }

    /// `https://host:5000/v1/` → `host:5000`.
    static func normalize(_ key: String) -> String {
        var text = key
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) {
            text = String(text.dropFirst(scheme.count))
        }
        return String(text.prefix { $0 != "/" })
    }
}
