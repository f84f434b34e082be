import Foundation
import Learning
import Pipeline

extension FuzzEntry {
    /// A data file of a freshly cloned repository. The first byte chooses how it is read, the
    /// rest is the file: bit 0 a class-label target (else a number), bit 1 `missing: drop-row`,
    /// bit 2 no target (else the last column), bits 3–5 the reader's buffer size,
    /// 16 + 8 × n bytes, so that records cross refills, bit 6 also read as `modelgate init` reads
    /// it, bit 7 a record limit of 128 bytes (else the reader's 64 MiB). The file is read three
    /// times: every field of every record through every accessor, as a command stage's
    /// predictions file (`PredictionsFile`), and as a trainer reads it (errors must be
    /// `DataError`s, `file:line:column`, exit 2, never anything else); with bit 6, a fourth time
    /// as `init` reads it to choose the trainer and size the gates (the config it writes must
    /// parse or be refused as a `ConfigError`). Only inputs with bit 6 pay for that YAML round
    /// trip, so the reader keeps much of the target's speed.
    public static func csv(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        ScratchDirectory.with { scratch in
            let file = scratch.appendingPathComponent("data.csv")
            try! Data(bytes.dropFirst()).write(to: file)
            let chunkSize = 16 + 8 * Int((selector >> 3) & 7)
            let limit = selector & 0x80 == 0 ? 64 << 20 : 128
            func open() throws -> CSVReader {
                try CSVReader(
                    source: FileByteSource(url: file, name: "data.csv"), name: "data.csv",
                    chunkSize: chunkSize, maxRecordBytes: limit)
            }
            do {
                let csv = try open()
                while try csv.next() {
                    for index in 0..<csv.fieldCount {
                        _ = csv.cell(index)
                        _ = csv.string(index)
                        _ = csv.location(ofField: index)
                    }
                    _ = csv.recordHash(seed: 1)
                }
            } catch {
                precondition(error is DataError, "not a DataError: \(error)")
            }
            do {
                let file = try PredictionsFile.read(open(), name: "data.csv")
                precondition(file.isConsistent && Set(file.ids).count == file.count)
            } catch {
                precondition(error is DataError, "not a DataError: \(error)")
            }
            do {
                let csv = try open()
                let table = try TableReader(
                    csv: csv, target: selector & 4 == 0 ? csv.header.last : nil,
                    targetKind: selector & 1 == 0 ? .numeric : .label, features: nil,
                    policy: selector & 2 == 0 ? .error : .dropRow)
                var features = [Double](repeating: 0, count: table.featureColumns.count)
                while true {
                    let status = try features.withUnsafeMutableBufferPointer {
                        try table.nextRow(into: $0.baseAddress!)
                    }
                    if case .end = status { break }
                }
                _ = table.labels.sorted()
            } catch {
                precondition(error is DataError, "not a DataError: \(error)")
            }
            if selector & 0x40 != 0 { ProjectInitializer.fuzzTemplate(root: scratch) }
        }
    }
}
