import Artifacts

extension FuzzEntry {
    /// A registry's `WWW-Authenticate` header, as the HTTP layer hands it over (text).
    public static func challenge(_ bytes: [UInt8]) {
        _ = RegistryClient.parseChallenge(String(decoding: bytes, as: UTF8.self))
    }
}
