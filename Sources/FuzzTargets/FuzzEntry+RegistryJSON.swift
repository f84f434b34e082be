import Artifacts
import Foundation

extension FuzzEntry {
    /// A JSON document from a registry, read as every document `pull` and `push` decode (image
    /// manifest, index, the image config's diff_ids, the media-type sniffing of a manifest, the
    /// token service's answer, the distribution API's error body), as the artifact manifest that
    /// travels inside a layer, and as a credential helper's answer. Decoded documents are
    /// encoded again, as packaging does.
    public static func registryJSON(_ bytes: [UInt8]) {
        let data = Data(bytes)
        if let manifest = try? RegistryDocument.manifest(data) { _ = try? JSONEncoder().encode(manifest) }
        if let index = try? RegistryDocument.index(data) { _ = try? JSONEncoder().encode(index) }
        _ = try? RegistryDocument.diffIDs(data)
        _ = RegistryDocument.mediaType(data)
        _ = try? RegistryDocument.token(data)
        _ = RegistryDocument.errors(data)
        if let manifest = try? ArtifactManifest.decode(data) { _ = try? manifest.encoded() }
        _ = DockerCredentials.credentials(inAnswer: bytes)
    }
}
