import Foundation

/// The entry point for fuzzing libarchive's reading of a layer (`FuzzEntry.tarLayer` also
/// unpacks it with `LayerUnpacker`): raw bytes in, never a crash, a
/// trap or a hang out (errors are the expected outcome and are dropped).
package enum LayerFuzzing {
    /// Reads `bytes` as a tar file with `TarReader`, every entry and all its content.
    package static func readTar(_ bytes: [UInt8]) {
        withTemporaryFolder { folder in
            let file = folder.appendingPathComponent("layer.tar")
            guard (try? Data(bytes).write(to: file)) != nil, let reader = try? TarReader(reading: file) else {
                return
            }
            while let entry = try? reader.next() {
                if case .file = entry.kind { try? reader.readData { _ in } }
            }
        }
    }

    private static func withTemporaryFolder(_ body: (URL) -> Void) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-fuzz-\(UUID().uuidString)", isDirectory: true)
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil
        else { return }
        defer { try? FileManager.default.removeItem(at: folder) }
        body(folder)
    }
}
