import Artifacts
import Foundation

extension FuzzEntry {
    /// A JSON document from a registry, read as every type `pull` and `push` decode: image
    /// manifest, index, image config, the media-type sniffing of a manifest, the token
    /// service's answer and the distribution API's error body; plus the artifact manifest that
    /// travels inside a layer. Decoded documents are encoded again, as packaging does.
    public static func registryJSON(_ bytes: [UInt8]) {
        let data = Data(bytes)
        let decoder = JSONDecoder()
        if let manifest = try? decoder.decode(OCI.Manifest.self, from: data) {
            _ = try? JSONEncoder().encode(manifest)
        }
        if let index = try? decoder.decode(OCI.Index.self, from: data) {
            _ = try? JSONEncoder().encode(index)
        }
        if let config = try? decoder.decode(OCI.ImageConfig.self, from: data) {
            _ = try? JSONEncoder().encode(config)
        }
        if let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            _ = json["mediaType"] as? String
        }
        _ = try? decoder.decode(TokenResponse.self, from: data)
        _ = try? decoder.decode(ErrorBody.self, from: data)
        if let manifest = try? ArtifactManifest.decode(data) {
            _ = try? manifest.encoded()
        }
    }

    // The token answer and the error body are decoded by types local to functions of
    // RegistryClient.swift today; these mirror them until the registry client gives them
    // package-level decoders, which this entry should then call instead.
    private struct TokenResponse: Decodable {
        var token: String?
        var accessToken: String?

        enum CodingKeys: String, CodingKey {
            case token
            case accessToken = "access_token"
        }
    }

    private struct ErrorBody: Decodable {
        struct Entry: Decodable {
            var code: String?
            var message: String?
        }
        var errors: [Entry]?
    }
}
