import Dispatch

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Rows of doubles kept in memory in fixed-size blocks: growing never copies, and slack is at
/// most one block. Owns its blocks and frees them on deinit.
final class DenseRows {
    let width: Int
    static let blockRows = 16384
    private(set) var blocks: [UnsafeMutablePointer<Double>] = []
    private(set) var count = 0

    init(width: Int) {
        self.width = width
    }

    deinit { for block in blocks { block.deallocate() } }

    /// Storage for one more row; fill it before the next call. `removeLast()` takes it back.
    @inline(__always)
    func appendSlot() -> UnsafeMutablePointer<Double> {
        let offset = count % Self.blockRows
        if offset == 0 && count / Self.blockRows == blocks.count {
            blocks.append(.allocate(capacity: Self.blockRows * max(width, 1)))
        }
        count += 1
        return blocks[(count - 1) / Self.blockRows] + offset * width
    }

    /// Forgets every row and frees the memory.
    func removeAll() {
        for block in blocks { block.deallocate() }
        blocks = []
        count = 0
    }

    /// Appends every row of `other` in order and empties it, freeing each block once copied.
    func moveRows(from other: DenseRows) {
        for index in 0..<other.blockCount {
            let (rows, count, _) = other.block(index)
            for r in 0..<count { appendSlot().update(from: rows + r * width, count: width) }
            other.blocks[index].deallocate()
        }
        other.blocks = []
        other.count = 0
    }

    /// Forgets the last row.
    func removeLast() { count -= 1 }

    /// Row `index`.
    @inline(__always)
    func row(_ index: Int) -> UnsafeMutablePointer<Double> {
        blocks[index / Self.blockRows] + (index % Self.blockRows) * width
    }

    /// Block `index`: its first row, its row count, and the index of its first row.
    @inline(__always)
    func block(_ index: Int) -> (rows: UnsafeMutablePointer<Double>, count: Int, first: Int) {
        let first = index * Self.blockRows
        return (blocks[index], min(Self.blockRows, count - first), first)
    }

    /// Applies z = (x - mean) / scale to every row.
    func standardize(means: [Double], scales: [Double]) {
        for index in 0..<blockCount {
            let (rows, count, _) = block(index)
            for r in 0..<count {
                let x = rows + r * width
                for j in 0..<width { x[j] = (x[j] - means[j]) / scales[j] }
            }
        }
    }

    /// Per-column means and population standard deviations (0 replaced by 1, as StandardScaler).
    func columnScaling() -> (means: [Double], scales: [Double]) {
        var means = [Double](repeating: 0, count: width)
        var squares = [Double](repeating: 0, count: width)
        var n = 0.0
        for index in 0..<blockCount {
            let (rows, count, _) = block(index)
            for r in 0..<count {
                let x = rows + r * width
                n += 1
                for j in 0..<width {
                    let delta = x[j] - means[j]
                    means[j] += delta / n
                    squares[j] += delta * (x[j] - means[j])
                }
            }
        }
        let scales = squares.map { sum -> Double in
            let scale = (sum / max(n, 1)).squareRoot()
            return scale < 10 * Double.ulpOfOne ? 1 : scale
        }
        return (means, scales)
    }
}

extension DenseRows: RowBlocks {
    @inline(__always)
    func rows(from first: Int, count: Int, scratch: UnsafeMutablePointer<Double>) -> UnsafePointer<Double> {
        let offset = first % Self.blockRows
        if offset + count <= Self.blockRows { return UnsafePointer(row(first)) }
        for index in 0..<count { (scratch + index * width).update(from: row(first + index), count: width) }
        return UnsafePointer(scratch)
    }
}

/// Rows a data-parallel reduction reads: `DenseRows` (Doubles) or `DecimalRows` (narrow, exact).
///
/// Reductions walk the rows in blocks of `DenseRows.blockRows` whatever the storage, so the
/// partial sums (and a model's bits) are the same for both.
protocol RowBlocks: AnyObject {
    /// Values per row.
    var width: Int { get }
    /// Number of rows.
    var count: Int { get }
    /// Rows `first..<first + count`, row-major: a pointer into the storage, or the rows decoded
    /// into `scratch` (room for `count` rows), valid until the next call with that scratch.
    func rows(from first: Int, count: Int, scratch: UnsafeMutablePointer<Double>) -> UnsafePointer<Double>
}

extension RowBlocks {
    /// Number of `DenseRows.blockRows`-row blocks.
    var blockCount: Int { (count + DenseRows.blockRows - 1) / DenseRows.blockRows }

    /// Block `index`: the index of its first row and its row count.
    @inline(__always)
    func blockRange(_ index: Int) -> (first: Int, count: Int) {
        let first = index * DenseRows.blockRows
        return (first, min(DenseRows.blockRows, count - first))
    }

    /// How many partial results a reduction over these rows keeps: one per run of consecutive
    /// blocks, at most `limit`. It depends on the row count (and the caller's limit) only, never on
    /// the thread count, so the partials hold the same sums whatever runs them.
    func segmentCount(limit: Int = 16) -> Int { max(1, min(limit, blockCount)) }

    /// Runs `body(segment, block)` for every block on up to `threads` threads. Segment `s` of
    /// `segments` is a fixed run of consecutive blocks that one thread visits in order; a caller
    /// that adds block results into partial `s` and then combines the partials in segment order
    /// gets the same bits whatever `threads` is (see `Parallelism`).
    func forEachBlock(segments: Int, threads: Int, _ body: @escaping (Int, Int) -> Void) {
        let total = blockCount
        let segments = max(1, min(segments, max(total, 1)))
        let workers = max(1, min(threads, segments))
        let job = SegmentJob(body: body, blocks: total, segments: segments, workers: workers)
        if workers == 1 {
            job.run(0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in job.run(worker) }
    }
}

/// One `forEachBlock` call: its workers only touch disjoint state through `body`.
private final class SegmentJob: @unchecked Sendable {
    let body: (Int, Int) -> Void
    let blocks: Int
    let segments: Int
    let workers: Int

    init(body: @escaping (Int, Int) -> Void, blocks: Int, segments: Int, workers: Int) {
        self.body = body
        self.blocks = blocks
        self.segments = segments
        self.workers = workers
    }

    /// Worker `worker` takes segments worker, worker + workers, …; each segment's blocks in order.
    func run(_ worker: Int) {
        var segment = worker
        while segment < segments {
            for block in (segment * blocks / segments)..<((segment + 1) * blocks / segments) {
                body(segment, block)
            }
            segment += workers
        }
    }
}
