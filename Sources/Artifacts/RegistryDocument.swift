import Foundation

/// The JSON documents a registry sends, decoded from raw bytes and checked for values modelgate
/// would otherwise trust: one entry point per document (the fuzzing harness calls them as they
/// are). Each throws `RegistryDocument.Invalid` with a reason; none traps on any input.
package enum RegistryDocument {
    /// The largest manifest or index read, as containerd bounds them.
    package static let manifestLimit = 4 << 20
    /// The largest image config read.
    package static let configLimit = 4 << 20

    /// Why a document was refused.
    package struct Invalid: Error, Equatable {
        /// In the user's words.
        package let reason: String
    }

    /// An image manifest: every descriptor with a sha256 digest and a size from 0 up.
    package static func manifest(_ bytes: Data) throws -> OCI.Manifest {
        let manifest = try decode(OCI.Manifest.self, bytes)
        for descriptor in [manifest.config] + manifest.layers { try check(descriptor) }
        return manifest
    }

    /// An image index (or Docker manifest list), its entries checked like a manifest's.
    package static func index(_ bytes: Data) throws -> OCI.Index {
        let index = try decode(OCI.Index.self, bytes)
        for descriptor in index.manifests { try check(descriptor) }
        return index
    }

    /// The layers' uncompressed digests (`rootfs.diff_ids`) of an image config. Only that field is
    /// read: everything else in a config (`created`, `config`, `history`) is optional in the OCI
    /// spec, and an image other tools built may leave it out.
    package static func diffIDs(_ bytes: Data) throws -> [String] {
        struct Config: Decodable {
            struct RootFS: Decodable {
                var diffIDs: [String]
                enum CodingKeys: String, CodingKey { case diffIDs = "diff_ids" }
            }
            var rootfs: RootFS
        }
        return try decode(Config.self, bytes).rootfs.diffIDs
    }

    /// The `mediaType` a manifest or index declares about itself, if any.
    package static func mediaType(_ bytes: Data) -> String? {
        struct Typed: Decodable { var mediaType: String? }
        return (try? JSONDecoder().decode(Typed.self, from: bytes))?.mediaType
    }

    /// The token of a token service's answer (`token`, else `access_token`): visible ASCII only,
    /// as it goes into a header.
    package static func token(_ bytes: Data) throws -> String {
        struct Answer: Decodable {
            var token: String?
            var accessToken: String?

            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
            }
        }
        let answer = try decode(Answer.self, bytes)
        guard let token = [answer.token, answer.accessToken].compactMap({ $0 }).first(where: { !$0.isEmpty })
        else { throw Invalid(reason: "it holds no token") }
        guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Invalid(reason: "the token holds characters a header cannot carry")
        }
        return token
    }

    /// The distribution spec's error body, `{"errors": [{"code": …, "message": …}]}`: each entry
    /// as `code: message`; empty for anything else.
    package static func errors(_ bytes: Data) -> [(code: String?, message: String?)] {
        struct Errors: Decodable {
            struct Entry: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Entry]?
        }
        let entries = (try? JSONDecoder().decode(Errors.self, from: bytes))?.errors ?? []
        return entries.prefix(8).map { ($0.code, $0.message) }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ bytes: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: bytes)
        } catch let error as DecodingError {
            throw Invalid(reason: describe(error))
        } catch {
            throw Invalid(reason: "it is not JSON")
        }
    }

    private static func check(_ descriptor: OCI.Descriptor) throws {
        let hex = descriptor.digest.utf8.dropFirst(7)
        guard descriptor.digest.hasPrefix("sha256:"), hex.count == 64,
            hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw Invalid(
                reason: "the digest '\(descriptor.digest.prefix(80))' is not sha256:<64 hex digits>")
        }
        guard descriptor.size >= 0 else {
            throw Invalid(reason: "\(descriptor.digest.prefix(19)) has a negative size")
        }
    }

    /// A short reason naming the field, without echoing values.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the document" : "'\(keys.joined(separator: "."))'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)) lacks '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not JSON" : "\(path(context)) is not valid"
        @unknown default:
            return "it does not decode"
        }
    }
}
