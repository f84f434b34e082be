import Foundation

/// Entry points for fuzzing what a pull reads from a registry: raw bytes in, never a crash, a
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

    /// Unpacks `bytes` as a layer tar with `LayerUnpacker` (then `finish()`) into a fresh
    /// temporary folder, removed afterwards; limits small enough for a fuzzer's pace.
    package static func unpackLayer(_ bytes: [UInt8]) {
        withTemporaryFolder { folder in
            let file = folder.appendingPathComponent("layer.tar")
            guard (try? Data(bytes).write(to: file)) != nil else { return }
            let options = PullOptions(maxBytes: 64 << 20, maxEntries: 10_000, overwrite: false)
            guard
                let unpacker = try? LayerUnpacker(
                    into: folder.appendingPathComponent("target"), options: options)
            else { return }
            if (try? unpacker.add(file)) != nil { _ = try? unpacker.finish() }
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
