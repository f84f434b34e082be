import Artifacts

extension FuzzEntry {
    /// A registry's `WWW-Authenticate` header, as the HTTP layer hands it over (bytes), and an
    /// image reference as a user or a release script types it (`pull REGISTRY/REPO:TAG`).
    public static func challenge(_ bytes: [UInt8]) {
        _ = RegistryChallenge.parse(bytes)
        _ = try? RegistryReference.parse(bytes)
    }
}
