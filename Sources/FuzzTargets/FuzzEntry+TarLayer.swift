import Artifacts
import Foundation

extension FuzzEntry {
    /// A pulled image layer: the bytes are the layer's tar, read entry by entry with `TarReader`,
    /// then unpacked as `pull` does (one layer,
    /// then `finish()`, which checks a `manifest.json` found inside); then again with its header
    /// checksums made right when they were not (`TarChecksums`), to get past that first check.
    /// Beyond not crashing, the unpacker must write nothing outside its directory: the entry
    /// unpacks three directories deep and fails if anything appears on the way up.
    public static func tarLayer(_ bytes: [UInt8]) {
        LayerFuzzing.readTar(bytes)
        unpack(bytes)
        let fixed = TarChecksums.fixed(bytes)
        if fixed != bytes { unpack(fixed) }
    }

    private static func unpack(_ bytes: [UInt8]) {
        ScratchDirectory.with { scratch in
            let layer = scratch.appendingPathComponent("layer.tar")
            let ancestors = [
                scratch, scratch.appendingPathComponent("a"), scratch.appendingPathComponent("a/b"),
            ]
            let output = scratch.appendingPathComponent("a/b/out", isDirectory: true)
            try! FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try! Data(bytes).write(to: layer)
            do {
                // Limits small enough for a fuzzer's pace; the defaults are 32 GiB and 100,000.
                let options = PullOptions(maxBytes: 64 << 20, maxEntries: 10_000, overwrite: false)
                let unpacker = try LayerUnpacker(into: output, options: options)
                try unpacker.add(layer)
                _ = try unpacker.finish()
            } catch {}
            let expected = [["a", "layer.tar"], ["b"], ["out"]]
            for (directory, names) in zip(ancestors, expected) {
                let found = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
                precondition(
                    found.sorted() == names, "the layer wrote outside its directory: \(found.sorted())")
            }
        }
    }
}
