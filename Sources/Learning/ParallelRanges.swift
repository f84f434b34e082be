import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one large CSV file as several byte ranges on several threads.
///
/// Range k starts at the first line start at or after its nominal offset. That guess is wrong
/// only when the offset falls inside a quoted field containing a newline; the reader of range
/// k−1 detects it (it must stop exactly where range k started). Any mismatch or error makes the
/// caller fall back to one sequential pass, which also reports errors with exact line numbers.
enum ParallelRanges {
    /// Files smaller than this are read sequentially.
    static let defaultMinimumBytes: Int64 = 8 << 20

    /// Runs `pass` over the whole file: on each range in parallel when the file is large (the
    /// first range with the already-open `table`), else, or when that fails, once sequentially.
    /// `pass` gets the range's table, reader, progress meter (first range only) and range count.
    static func read<Result: AnyObject>(
        request: TrainingRequest, csv: CSVReader, table: TableReader, threads: Int, meter: ProgressMeter,
        minimumBytes: Int64 = defaultMinimumBytes,
        pass: @escaping (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result
    ) throws -> [Result] {
        var attempted = false
        if let results = try readRanges(
            request: request, csv: csv, table: table, threads: threads, meter: meter,
            minimumBytes: minimumBytes,
            pass: pass, attempted: &attempted)
        {
            return results
        }
        guard attempted else { return [try pass(table, csv, meter, 1)] }
        // The parallel attempt consumed the open reader: start again from the top.
        let fresh = try CSVReader(url: request.data, name: request.dataName)
        let freshTable = try TableReader(
            csv: fresh, target: request.target, targetKind: table.targetKind, features: request.features,
            policy: request.missing)
        return [try pass(freshTable, fresh, meter, 1)]
    }

    private static func readRanges<Result: AnyObject>(
        request: TrainingRequest, csv: CSVReader, table: TableReader, threads: Int, meter: ProgressMeter,
        minimumBytes: Int64, pass: @escaping (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result,
        attempted: inout Bool
    ) throws -> [Result]? {
        guard threads > 1, let total = csv.totalBytes, total >= minimumBytes else { return nil }
        let dataStart = csv.recordOffset
        var starts: [Int64] = [dataStart]
        for index in 1..<threads {
            let nominal = dataStart + (total - dataStart) * Int64(index) / Int64(threads)
            guard let start = try lineStart(atOrAfter: nominal, in: request.data, name: request.dataName)
            else {
                return nil
            }
            starts.append(start)
        }
        var nominalEnds = Array(starts.dropFirst())
        nominalEnds.append(.max)
        guard zip(starts, nominalEnds).allSatisfy({ $0 < $1 }) else { return nil }

        let job = RangeJob(
            request: request, csv: csv, table: table, meter: meter, pass: pass, starts: starts,
            ends: nominalEnds)
        attempted = true
        DispatchQueue.concurrentPerform(iterations: threads) { index in job.run(index) }
        guard !job.stops.contains(-2) else { return nil }
        for index in 0..<(threads - 1) where job.stops[index] != starts[index + 1] { return nil }
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

/// The shared state of one parallel read. Each worker touches only its own index of `results`
/// and `stops`, and its own reader; the first worker alone uses the caller's reader and meter.
private final class RangeJob<Result: AnyObject>: @unchecked Sendable {
    let request: TrainingRequest
    let csv: CSVReader
    let table: TableReader
    let meter: ProgressMeter
    let pass: (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result
    let starts: [Int64]
    let ends: [Int64]
    let featureNames: [String]
    let header: [String]
    private let resultSlots: UnsafeMutablePointer<Result?>
    private let stopSlots: UnsafeMutablePointer<Int64>

    init(
        request: TrainingRequest, csv: CSVReader, table: TableReader, meter: ProgressMeter,
        pass: @escaping (TableReader, CSVReader, ProgressMeter?, Int) throws -> Result, starts: [Int64],
        ends: [Int64]
    ) {
        self.request = request
        self.csv = csv
        self.table = table
        self.meter = meter
        self.pass = pass
        self.starts = starts
        self.ends = ends
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

    func run(_ index: Int) {
        do {
            let rangeCSV: CSVReader
            let rangeTable: TableReader
            if index == 0 {
                rangeCSV = csv
                rangeTable = table
            } else {
                let source = try FileByteSource(
                    url: request.data, name: request.dataName, offset: starts[index])
                rangeCSV = CSVReader(
                    source: source, name: request.dataName, header: header, offset: starts[index])
                rangeTable = try TableReader(
                    csv: rangeCSV, target: request.target, targetKind: table.targetKind,
                    features: featureNames,
                    policy: request.missing, allowEmpty: true)
            }
            rangeCSV.stopOffset = ends[index]
            resultSlots[index] = try pass(rangeTable, rangeCSV, index == 0 ? meter : nil, starts.count)
            stopSlots[index] = rangeCSV.nextOffset
        } catch {
            stopSlots[index] = -2
        }
    }
}
