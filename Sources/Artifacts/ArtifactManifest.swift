import Foundation
import Pipeline

/// What an artifact holds and where it came from: stored as `manifest.json` beside the files.
///
/// The manifest names the evaluated tree and the pipeline fingerprint, not the commit: the store
/// is called before the commit exists for a staged (pre-commit) run, and an amended or rebased
/// commit with the same inputs reuses the verdict and so the very same artifact. The commit →
/// artifact link is the run record (the note's `artifact` field) and, in images, the
/// `org.opencontainers.image.revision` annotation.
public struct ArtifactManifest: Codable, Sendable, Equatable {
    /// The version of this layout.
    public static let currentSchema = 1
    /// The file name used when the manifest travels beside the model files (export, image layer).
    public static let fileName = "manifest.json"

    /// One model file.
    public struct File: Codable, Sendable, Equatable {
        /// Path relative to the repository root (as the stage wrote it).
        public let path: String
        /// Lowercase hex SHA-256 of the content.
        public let sha256: String
        /// Size in bytes.
        public let size: Int64
    }

    /// Layout version.
    public var schema = ArtifactManifest.currentSchema
    /// The model's name (`name:` in modelgate.yml).
    public var name: String
    /// The evaluated tree (for a staged run, the tree the index would commit).
    public var tree: String?
    /// The pipeline fingerprint of the run that produced the files.
    public var fingerprint: String
    /// Always "pass": only passing runs are stored.
    public var verdict: String
    /// Every metric of the run.
    public var metrics: [String: Double]
    /// Input paths → git blob ids (data, code, parameters).
    public var inputs: [String: String]
    /// The model files, sorted by path.
    public var files: [File]
    /// "modelgate VERSION" that produced the files.
    public var tool: String
    /// When the run started; also the time stamp of packaged images.
    public var created: Date
    /// "rev", "staged" or "worktree".
    public var source: String

    /// Canonical JSON (sorted keys, ISO 8601 dates): the bytes whose SHA-256 is the artifact digest.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Reads a manifest written by `encoded()`.
    public static func decode(_ data: Data) throws -> ArtifactManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(ArtifactManifest.self, from: data)
    }

    /// Metrics as compact, key-sorted JSON on one line (`{"r2":0.92}`), for annotations and trailers.
    public var metricsJSON: String { Self.compactJSON(metrics) }

    static func compactJSON(_ metrics: [String: Double]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(metrics)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// A `sha256:<64 hex>` digest.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Parses `sha256:<hex>` (or bare hex); nil when malformed.
    public init?(_ text: String) {
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.hex = hex
    }

    init(hex: String) { self.hex = hex }

    /// `sha256:<hex>`.
    public var description: String { "sha256:\(hex)" }
    /// The first 12 hex digits, for messages.
    public var short: String { "sha256:\(hex.prefix(12))" }

    /// Orders by hex digits.
    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    /// Decodes `sha256:<hex>`.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a sha256 digest: \(text)"))
        }
        self = digest
    }

    /// Encodes `sha256:<hex>`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
