import Learning

/// Receives a run's progress as it happens, so the command line can show it live.
public protocol RunObserver: AnyObject {
    /// A stage is about to run (`index` counts from 1).
    func stageStarted(_ stage: Stage, index: Int, of count: Int)
    /// The stage printed a line (or a built-in stage has something to say).
    func stageOutput(_ stage: Stage, line: String)
    /// The stage ended.
    func stageFinished(_ stage: Stage, result: RunRecord.StageResult)
    /// Something worth one line: a cache hit, a skipped run.
    func notice(_ message: String)
    /// Where a built-in stage reports bytes and rows read; nil for no progress display.
    func progressReporter(for stage: Stage) -> ProgressReporter?
}

extension RunObserver {
    /// No progress display unless the observer provides one.
    public func progressReporter(for stage: Stage) -> ProgressReporter? { nil }
}
