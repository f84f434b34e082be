import Dispatch

/// Per-index work spread over threads: `0..<count` cut into at most `threads` contiguous ranges,
/// one per thread.
///
/// **Guarantee: the same bits on any thread count.** Each index's result is computed from the
/// inputs alone and written to that index's own slot; the caller then combines the slots in index
/// order on one thread. So a sum over the results adds the same numbers in the same order as the
/// serial loop it replaces, whatever `threads` is (see `Parallelism`).
enum IndexRanges {
    /// Runs `body` once per range of `0..<count`, on up to `threads` threads; `body` must write
    /// only to the indices of the range it is given.
    static func forEach(count: Int, threads: Int, _ body: @escaping (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            body(0..<count)
            return
        }
        let job = RangeJob(body: body, count: count, workers: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in job.run(worker) }
    }
}

/// One `IndexRanges.forEach` call: its workers touch disjoint indices only, through `body`.
private final class RangeJob: @unchecked Sendable {
    let body: (Range<Int>) -> Void
    let count: Int
    let workers: Int

    init(body: @escaping (Range<Int>) -> Void, count: Int, workers: Int) {
        self.body = body
        self.count = count
        self.workers = workers
    }

    /// Worker `worker` takes the `worker`-th of `workers` near-equal contiguous ranges.
    func run(_ worker: Int) {
        let lower = count * worker / workers
        let upper = count * (worker + 1) / workers
        if lower < upper { body(lower..<upper) }
    }
}
