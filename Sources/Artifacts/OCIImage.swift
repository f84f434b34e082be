import Foundation

/// OCI image-spec 1.1 media types and JSON documents, as modelgate writes and reads them.
public enum OCI {
    /// `application/vnd.oci.image.manifest.v1+json`.
    public static let manifestType = "application/vnd.oci.image.manifest.v1+json"
    /// `application/vnd.oci.image.index.v1+json`.
    public static let indexType = "application/vnd.oci.image.index.v1+json"
    /// `application/vnd.oci.image.config.v1+json`.
    public static let configType = "application/vnd.oci.image.config.v1+json"
    /// An uncompressed tar layer: its digest is also its diff id, and model files rarely compress.
    public static let layerType = "application/vnd.oci.image.layer.v1.tar"
    /// Docker's schema 2 manifest and list, accepted when pulling.
    static let dockerManifestType = "application/vnd.docker.distribution.manifest.v2+json"
    static let dockerListType = "application/vnd.docker.distribution.manifest.list.v2+json"

    /// A content descriptor.
    public struct Descriptor: Codable, Sendable, Equatable {
        /// The media type of the referenced content.
        public var mediaType: String
        /// Its digest.
        public var digest: String
        /// Its size in bytes.
        public var size: Int64
        /// Annotations, if any.
        public var annotations: [String: String]?
        /// For index entries: the platform.
        public var platform: Platform?
    }

    /// An image's platform.
    public struct Platform: Codable, Sendable, Equatable {
        /// e.g. amd64.
        public var architecture: String
        /// e.g. linux.
        public var os: String
    }

    /// An image manifest.
    public struct Manifest: Codable, Sendable, Equatable {
        /// Always 2.
        public var schemaVersion = 2
        /// The manifest's own media type.
        public var mediaType: String? = OCI.manifestType
        /// The image configuration.
        public var config: Descriptor
        /// The layers, base first.
        public var layers: [Descriptor]
        /// Annotations (org.opencontainers.image.*, dev.modelgate.*).
        public var annotations: [String: String]?
    }

    /// An image index (also the `index.json` of a layout).
    public struct Index: Codable, Sendable, Equatable {
        /// Always 2.
        public var schemaVersion = 2
        /// The index's media type.
        public var mediaType: String? = OCI.indexType
        /// The manifests.
        public var manifests: [Descriptor]
    }

    /// The image configuration (only the fields a model image needs).
    public struct ImageConfig: Codable, Sendable, Equatable {
        /// Creation time, RFC 3339.
        public var created: String
        /// CPU architecture.
        public var architecture: String
        /// Operating system.
        public var os: String
        /// Runtime configuration: labels mirror the manifest's annotations.
        public var config: RuntimeConfig
        /// The layers' uncompressed digests.
        public var rootfs: RootFS
        /// One entry per layer.
        public var history: [History]

        /// Labels and working directory; a runnable image also sets its user, entrypoint and ports.
        public struct RuntimeConfig: Codable, Sendable, Equatable {
            /// Labels.
            public var labels: [String: String]
            /// Working directory.
            public var workingDirectory: String
            /// `uid:gid` the process runs as (absent: root).
            public var user: String?
            /// The program and its arguments.
            public var entrypoint: [String]?
            /// `"8080/tcp": {}` per port the process listens on.
            public var exposedPorts: [String: Empty]?
            /// `NAME=value` pairs.
            public var environment: [String]?

            /// Makes a runtime configuration.
            public init(
                labels: [String: String], workingDirectory: String, user: String? = nil,
                entrypoint: [String]? = nil, exposedPorts: [String: Empty]? = nil,
                environment: [String]? = nil
            ) {
                self.labels = labels
                self.workingDirectory = workingDirectory
                self.user = user
                self.entrypoint = entrypoint
                self.exposedPorts = exposedPorts
                self.environment = environment
            }

            enum CodingKeys: String, CodingKey {
                case labels = "Labels"
                case workingDirectory = "WorkingDir"
                case user = "User"
                case entrypoint = "Entrypoint"
                case exposedPorts = "ExposedPorts"
                case environment = "Env"
            }
        }

        /// `{}`, the value of each `ExposedPorts` key.
        public struct Empty: Codable, Sendable, Equatable {
            /// Makes one.
            public init() {}
        }

        /// `{"type": "layers", "diff_ids": [...]}`.
        public struct RootFS: Codable, Sendable, Equatable {
            /// Always "layers".
            public var type: String
            /// Digests of the uncompressed layers.
            public var diffIDs: [String]

            enum CodingKeys: String, CodingKey {
                case type
                case diffIDs = "diff_ids"
            }
        }

        /// How a layer was made.
        public struct History: Codable, Sendable, Equatable {
            /// When.
            public var created: String
            /// By what.
            public var createdBy: String
            /// A note.
            public var comment: String?

            enum CodingKeys: String, CodingKey {
                case created, comment
                case createdBy = "created_by"
            }
        }
    }

    /// Canonical bytes for a JSON document: compact, keys sorted, so the digest is stable.
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// RFC 3339 UTC with whole seconds.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
