import Foundation

/// Takes an image's layer tars in order and writes their model files into a directory.
///
/// `pull` hands each layer over as soon as it is downloaded (and inflated), so that only one
/// layer is on disk at a time, and calls `finish()` once every layer is in.
package final class LayerUnpacker {
    let directory: URL
    private var files: [String] = []

    /// An unpacker writing into `directory`.
    package init(into directory: URL) throws {
        self.directory = directory
    }

    /// Unpacks the model files of the tar at `layer`.
    package func add(_ layer: URL) throws {
        files += try LayerExtractor.extract(layer, into: directory)
    }

    /// Checks the files against the artifact's manifest; returns the paths written.
    package func finish() throws -> [String] {
        try LayerExtractor.checkAgainstManifest(directory, files: files)
        return files
    }
}

/// Unpacks the `model/` part of a tar layer into a directory, safely (no links, no paths that
/// leave the directory), each file written atomically.
enum LayerExtractor {
    /// Writes the regular files under `model/` of the tar at `layer` into `directory`; returns their paths.
    static func extract(_ layer: URL, into directory: URL) throws -> [String] {
        let handle = try FileHandle(forReadingFrom: layer)
        defer { try? handle.close() }
        var written: [String] = []
        for entry in try TarArchive.entries(of: layer) {
            var path = entry.path
            if path.hasPrefix("./") { path = String(path.dropFirst(2)) }
            guard path.hasPrefix("model/") else { continue }
            path = String(path.dropFirst(6))
            if path.isEmpty || path.hasSuffix("/") || entry.type == UInt8(ascii: "5") { continue }
            guard entry.type == UInt8(ascii: "0") else {
                throw ArtifactError(
                    "the layer holds '\(entry.path)', which is not a regular file", location: layer.path)
            }
            try ArtifactStore.checkRelative(path)
            let file = try HashingFile(in: directory)
            try handle.seek(toOffset: UInt64(entry.offset))
            var remaining = entry.size
            while remaining > 0 {
                guard
                    let chunk = try handle.read(upToCount: Int(min(remaining, Int64(FileChunks.chunkSize)))),
                    !chunk.isEmpty
                else {
                    throw ArtifactError("the layer ends inside '\(entry.path)'", location: layer.path)
                }
                try file.write(chunk)
                remaining -= Int64(chunk.count)
            }
            _ = try file.finish()
            try HashingFile.install(
                file.temporaryURL, at: directory.appendingPathComponent(path), replacing: true)
            written.append(path)
        }
        return written
    }

    /// When the files include modelgate's `manifest.json`, re-hashes every file it lists.
    static func checkAgainstManifest(_ directory: URL, files: [String]) throws {
        guard files.contains(ArtifactManifest.fileName),
            let data = FileManager.default.contents(
                atPath: directory.appendingPathComponent(ArtifactManifest.fileName).path),
            let manifest = try? ArtifactManifest.decode(data)
        else { return }
        for file in manifest.files {
            let (hex, size) = try FileChunks.digest(of: directory.appendingPathComponent(file.path))
            guard hex == file.sha256, size == file.size else {
                throw ArtifactError(
                    "digest mismatch: '\(file.path)' has sha256 \(hex), but the artifact's manifest says \(file.sha256)",
                    location: directory.path, hint: "the image was altered after packaging; do not deploy it")
            }
        }
    }
}
