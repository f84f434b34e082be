import Dispatch
import Synchronization

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

/// Reads one CSV file as a row of byte chunks on several threads, with results that do not
/// depend on how many.
///
/// The chunks depend on the file alone: a file with N bytes of records is cut into
/// max(1, N / `chunkBytes`) chunks at evenly spaced nominal offsets, each moved to the next line
/// start, and `pass` runs once per chunk; the caller gets the results in chunk order and combines
/// them in that order (see `Parallelism`). Threads only decide which chunk runs where and when.
///
/// A chunk boundary is wrong only when it falls inside a quoted field containing a newline; the
/// reader of the chunk before detects it (it must stop exactly where the next chunk started).
/// Any mismatch or error makes the caller fall back to one sequential pass over the whole file,
/// which also reports errors with exact line numbers. Whether that happens depends on the data
/// only, so the fallback is as deterministic as the chunks.
enum ParallelRanges {
    /// Bytes per chunk: files with fewer bytes of records than twice this are read in one pass.
    static let defaultChunkBytes: Int64 = 8 << 20
    /// The most chunks a file is cut into (beyond 32 GiB, chunks grow).
    static let maximumChunks: Int64 = 4096

    /// Runs `pass` over the whole file: once per chunk, on up to `threads` threads, when the file
    /// has several chunks (the first chunk with the already-open `table`), else, or when that
    /// fails, once sequentially. `pass` gets the chunk's table, reader, progress meter (the
    /// chunks of the first thread only) and the number of chunks.
    static func read<Result: AnyObject>(
        request: TrainingRequest, csv: CSVReader, table: TableReader, threads: Int, meter: ProgressMeter,
        chunkBytes: Int64 = defaultChunkBytes,
        pass: @escaping (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result
    ) throws -> [Result] {
        var attempted = false
        if let results = try readChunks(
            request: request, csv: csv, table: table, threads: threads, meter: meter, chunkBytes: chunkBytes,
            pass: pass, attempted: &attempted)
        {
            return results
        }
        guard attempted else { return [try pass(table, csv, meter, 1)] }
        // The chunked attempt consumed the open reader: start again from the top.
        let fresh = try CSVReader(url: request.data, name: request.dataName)
        let freshTable = try TableReader(
            csv: fresh, target: request.target, targetKind: table.targetKind, features: request.features,
            policy: request.missing)
        return [try pass(freshTable, fresh, meter, 1)]
    }

    /// The nominal chunk count of a file with `bytes` bytes of records.
    static func chunkCount(bytes: Int64, chunkBytes: Int64) -> Int {
        Int(min(max(1, bytes / max(chunkBytes, 1)), maximumChunks))
    }

    private static func readChunks<Result: AnyObject>(
        request: TrainingRequest, csv: CSVReader, table: TableReader, threads: Int, meter: ProgressMeter,
        chunkBytes: Int64, pass: @escaping (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result,
        attempted: inout Bool
    ) throws -> [Result]? {
        guard let total = csv.totalBytes else { return nil }
        let dataStart = csv.recordOffset
        let chunks = chunkCount(bytes: total - dataStart, chunkBytes: chunkBytes)
        guard chunks > 1 else { return nil }
        var starts: [Int64] = [dataStart]
        for index in 1..<chunks {
            let nominal = dataStart + (total - dataStart) * Int64(index) / Int64(chunks)
            guard let start = try lineStart(atOrAfter: nominal, in: request.data, name: request.dataName)
            else {
                return nil
            }
            starts.append(start)
        }
        var nominalEnds = Array(starts.dropFirst())
        nominalEnds.append(.max)
        guard zip(starts, nominalEnds).allSatisfy({ $0 < $1 }) else { return nil }

        let workers = max(1, min(threads, chunks))
        let job = ChunkJob(
            request: request, csv: csv, table: table, meter: meter, pass: pass, starts: starts,
            ends: nominalEnds, workers: workers)
        attempted = true
        if workers == 1 {
            job.run(worker: 0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in job.run(worker: worker) }
        }
        guard !job.stops.contains(-2) else { return nil }
        for index in 0..<(chunks - 1) where job.stops[index] != starts[index + 1] { return nil }
        return job.results.map { $0! }
    }

    /// The offset just after the first line feed at or after `offset - 1`; nil at the end.
    static func lineStart(atOrAfter offset: Int64, in url: URL, name: String) throws -> Int64? {
        let source = try FileByteSource(url: url, name: name, offset: offset - 1)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var position = offset - 1
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { return nil }
            if let index = buffer[0..<count].firstIndex(of: 0x0A) { return position + Int64(index) + 1 }
            position += Int64(count)
        }
    }
}

/// The shared state of one chunked read. Each chunk's result and stop offset have their own
/// slot; workers take chunks in order from a shared counter, so exactly one runs chunk 0 with the
/// caller's reader, and only worker 0 reports progress.
private final class ChunkJob<Result: AnyObject>: @unchecked Sendable {
    let request: TrainingRequest
    let csv: CSVReader
    let table: TableReader
    let meter: ProgressMeter
    let pass: (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result
    let starts: [Int64]
    let ends: [Int64]
    let workers: Int
    let featureNames: [String]
    let header: [String]
    private let nextChunk = Atomic<Int>(0)
    private let resultSlots: UnsafeMutablePointer<Result?>
    private let stopSlots: UnsafeMutablePointer<Int64>

    init(
        request: TrainingRequest, csv: CSVReader, table: TableReader, meter: ProgressMeter,
        pass: @escaping (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result, starts: [Int64],
        ends: [Int64], workers: Int
    ) {
        self.request = request
        self.csv = csv
        self.table = table
        self.meter = meter
        self.pass = pass
        self.starts = starts
        self.ends = ends
        self.workers = workers
        featureNames = table.featureNames
        header = csv.header
        resultSlots = .allocate(capacity: starts.count)
        resultSlots.initialize(repeating: nil, count: starts.count)
        stopSlots = .allocate(capacity: starts.count)
        stopSlots.initialize(repeating: -1, count: starts.count)
    }

    deinit {
        resultSlots.deinitialize(count: starts.count)
        resultSlots.deallocate()
        stopSlots.deallocate()
    }

    var results: [Result?] { (0..<starts.count).map { resultSlots[$0] } }
    var stops: [Int64] { (0..<starts.count).map { stopSlots[$0] } }

    /// Runs the next chunk nobody has taken until none is left (so a thread the machine slows
    /// down takes fewer); stops at its first failure (the read falls back).
    func run(worker: Int) {
        while true {
            let index = nextChunk.add(1, ordering: .relaxed).oldValue
            guard index < starts.count else { return }
            do {
                let chunkCSV: CSVReader
                let chunkTable: TableReader
                if index == 0 {
                    chunkCSV = csv
                    chunkTable = table
                } else {
                    let source = try FileByteSource(
                        url: request.data, name: request.dataName, offset: starts[index])
                    chunkCSV = CSVReader(
                        source: source, name: request.dataName, header: header, offset: starts[index])
                    chunkTable = try TableReader(
                        csv: chunkCSV, target: request.target, targetKind: table.targetKind,
                        features: featureNames, policy: request.missing, allowEmpty: true)
                }
                chunkCSV.stopOffset = ends[index]
                resultSlots[index] = try pass(chunkTable, chunkCSV, worker == 0 ? meter : nil, starts.count)
                stopSlots[index] = chunkCSV.nextOffset
            } catch {
                stopSlots[index] = -2
                return
            }
        }
    }
}
