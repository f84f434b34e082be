import CLibCryptoDigest
import Learning

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The model a server answers for: a built-in model file found in an artifact directory, with the
/// names it is known by (model, version, commit, artifact digest).
///
/// An artifact directory is what `modelgate artifact export` writes and what an image holds under
/// `/model`: `manifest.json` beside the model files at their repository paths. The built-in model
/// is the one file the manifest lists that reads as a model file; of several, the quantised one
/// (an optimize stage's output, made for deployment), else `--file` chooses. A directory without a manifest is searched at its top level; a path to a model file
/// is served as is.
public struct ServedModel: Sendable {
    /// The name in URLs (`/v2/models/{name}`): `--name`, else the manifest's, else the file's stem.
    public let name: String
    /// `model_version` in responses: `--model-version`, else the short commit, else the short
    /// artifact digest, else "1".
    public let version: String
    /// The commit the model was trained at (passed by `modelgate serve`), or "".
    public let commit: String
    /// `sha256:…` of `manifest.json` (the artifact digest), or "" without a manifest.
    public let artifact: String
    /// The model file's path inside the directory.
    public let path: String
    /// The parsed model.
    public let model: ModelFile
    /// Its predictor.
    public let predictor: RowPredictor

    /// What `--model DIR` and the naming flags ask for.
    public struct Selection: Sendable {
        /// The artifact directory or a model file.
        public var location: String
        /// The model file inside the directory, when it holds several.
        public var file: String?
        /// Overrides the model name.
        public var name: String?
        /// The commit to report.
        public var commit: String?
        /// Overrides the version.
        public var version: String?

        /// A selection; see the properties.
        public init(
            location: String, file: String? = nil, name: String? = nil, commit: String? = nil,
            version: String? = nil
        ) {
            self.location = location
            self.file = file
            self.name = name
            self.commit = commit
            self.version = version
        }
    }

    /// The fields of `manifest.json` the server uses (the full type lives in Artifacts, which the
    /// server does not link).
    private struct Manifest: Decodable {
        struct File: Decodable { let path: String }
        let name: String
        let files: [File]
    }

    /// Finds and reads the model `selection` names.
    public static func load(_ selection: Selection) throws -> ServedModel {
        let location = URL(fileURLWithPath: selection.location)
        var status = stat()
        guard stat(location.path, &status) == 0 else {
            throw ServingError(
                .modelNotFound, "'\(selection.location)' does not exist", location: selection.location,
                hint: "pass an artifact directory ('modelgate artifact export') or a model.json")
        }
        var manifestName: String?
        var artifact = ""
        var candidates: [String]
        let isDirectory = status.st_mode & S_IFMT == S_IFDIR
        let directory = isDirectory ? location : location.deletingLastPathComponent()
        if !isDirectory {
            candidates = [location.lastPathComponent]
        } else if let data = try? Data(contentsOf: location.appendingPathComponent("manifest.json")) {
            let manifest: Manifest
            do {
                manifest = try JSONDecoder().decode(Manifest.self, from: data)
            } catch {
                throw ServingError(
                    .badModel, "'\(selection.location)/manifest.json' is not an artifact manifest",
                    location: "\(selection.location)/manifest.json")
            }
            manifestName = manifest.name
            artifact = Self.digest(of: data)
            candidates = manifest.files.map(\.path).filter { $0.hasSuffix(".json") && isContained($0) }
        } else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: location.path)) ?? []
            candidates = names.filter { $0.hasSuffix(".json") }.sorted()
        }
        if let file = selection.file {
            guard isContained(file) else {
                throw ServingError(
                    .badOption, "--file '\(file)' must be a relative path inside the directory",
                    location: file)
            }
            candidates = [file]
        }
        var found: [(path: String, model: ModelFile)] = []
        for path in candidates {
            let url = directory.appendingPathComponent(path)
            if let model = try? ModelFile.read(from: url, name: path) { found.append((path, model)) }
        }
        // An optimize stage's output is the model made for deployment: it wins over its source.
        if found.count > 1, found.contains(where: { $0.model.quantization != nil }) {
            found.removeAll { $0.model.quantization == nil }
        }
        guard let chosen = found.first else {
            throw ServingError(
                .notBuiltin,
                "'\(selection.location)' holds no built-in model file\(selection.file.map { " at '\($0)'" } ?? "")",
                location: selection.location,
                hint:
                    "modelgate-serve serves models of builtin: stages (linear-regression, logistic-regression, kmeans); a command stage's model needs its own server"
            )
        }
        guard found.count == 1 else {
            throw ServingError(
                .ambiguousModel,
                "'\(selection.location)' holds \(found.count) built-in model files: \(found.map(\.path).joined(separator: ", "))",
                location: selection.location, hint: "choose one with --file PATH")
        }
        let model = chosen.model
        guard !model.features.isEmpty, !model.coefficients.isEmpty,
            model.coefficients.allSatisfy({ $0.allSatisfy(\.isFinite) })
        else {
            throw ServingError(
                .badModel, "'\(chosen.path)' has no features, no coefficients or a non-finite coefficient",
                location: chosen.path)
        }
        let stem = URL(fileURLWithPath: chosen.path).deletingPathExtension().lastPathComponent
        let name = selection.name ?? manifestName ?? stem
        let commit = selection.commit ?? ""
        let version =
            selection.version ?? (commit.isEmpty ? nil : String(commit.prefix(12)))
            ?? (artifact.isEmpty ? "1" : String(artifact.dropFirst(7).prefix(12)))
        return ServedModel(
            name: name, version: version, commit: commit, artifact: artifact, path: chosen.path, model: model,
            predictor: RowPredictor(model))
    }

    /// `sha256:<hex>` of `data`, over a static libcrypto directly: the Checksum module also reads
    /// files, with Foundation's `FileHandle`, and linking it would bring all of Foundation and
    /// ICU's data (about 40 MB) into `modelgate-serve`, which links FoundationEssentials only.
    static func digest(of data: Data) -> String {
        var context = SHA256_CTX()
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        SHA256_Init(&context)
        data.withUnsafeBytes { bytes in _ = SHA256_Update(&context, bytes.baseAddress, bytes.count) }
        SHA256_Final(&digest, &context)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        return "sha256:"
            + String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// A relative path without `..`: a manifest cannot point the server outside its directory.
    private static func isContained(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !parts.contains("..") && !parts.contains("")
    }
}
