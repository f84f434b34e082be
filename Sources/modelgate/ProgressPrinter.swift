import Foundation
import Learning
import Pipeline

/// Shows a run's progress on stderr: one line per stage start and end, the stage's output indented.
final class ProgressPrinter: RunObserver {
    func stageStarted(_ stage: Stage, index: Int, of count: Int) {
        Terminal.printError("modelgate: [\(index)/\(count)] \(stage.name) …")
    }

    func stageOutput(_ stage: Stage, line: String) {
        Terminal.printError("  \(stage.name) | \(line)")
    }

    func stageFinished(_ stage: Stage, result: RunRecord.StageResult) {
        let seconds = String(format: "%.1f s", Double(result.durationMilliseconds) / 1000)
        Terminal.printError("modelgate: \(stage.name) \(result.status) (\(seconds))")
    }

    func progressReporter(for stage: Stage) -> ProgressReporter? {
        TerminalProgress.standardError()
    }

    func notice(_ message: String) {
        Terminal.printError("modelgate: \(message)")
    }
}
