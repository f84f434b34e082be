import Foundation

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

    /// Number of blocks in use.
    var blockCount: Int { (count + Self.blockRows - 1) / Self.blockRows }

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

    /// Runs `body` over blocks on up to `threads` threads; each call gets (worker, block index).
    /// Blocks are dealt round-robin, so a worker's blocks (and the order it adds them) are fixed.
    func parallelBlocks(threads: Int = DenseRows.threads, _ body: @escaping (Int, Int) -> Void) {
        let workers = max(1, min(threads, blockCount))
        if workers == 1 {
            for index in 0..<blockCount { body(0, index) }
            return
        }
        let job = BlockJob(body: body, total: blockCount, workers: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in job.run(worker) }
    }

    /// Worker threads for data-parallel loops: the machine's active cores, at most 8.
    static let threads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
}

/// One `parallelBlocks` call: its workers only touch disjoint state through `body`.
private final class BlockJob: @unchecked Sendable {
    let body: (Int, Int) -> Void
    let total: Int
    let workers: Int

    init(body: @escaping (Int, Int) -> Void, total: Int, workers: Int) {
        self.body = body
        self.total = total
        self.workers = workers
    }

    func run(_ worker: Int) {
        var index = worker
        while index < total {
            body(worker, index)
            index += workers
        }
    }
}
