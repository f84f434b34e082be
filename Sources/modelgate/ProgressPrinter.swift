import Foundation
import Learning
import Pipeline

/// Shows a run's progress on stderr: one line per stage start and end, the stage's output indented.
final class ProgressPrinter: RunObserver {
    func stageStarted(_ stage: Stage, index: Int, of count: Int) {
        Terminal.printError("modelgate: [\(index)/\(count)] \(stage.name) …")
    }

    func stageOutput(_ stage: Stage, line: String) {
        Terminal.printError("  \(stage.name) | \(Self.shown(line))")
    }

    /// What a terminal would show of a stage's output line: the text after its last carriage
    /// return (progress bars redraw that way); the rest of its control characters are replaced
    /// when it is written, so a stage cannot move the cursor or recolour the hook's own lines.
    static func shown(_ line: String) -> String {
        guard let last = line.split(separator: "\r", omittingEmptySubsequences: true).last else { return "" }
        return String(last)
    }

    func stageFinished(_ stage: Stage, result: RunRecord.StageResult) {
        let seconds = String(format: "%.1f s", Double(result.durationMilliseconds) / 1000)
        Terminal.printError("modelgate: \(stage.name) \(Self.ended(result)) (\(seconds))")
    }

    /// How a stage ended, in progress words: "done" (it ran; the gates give the verdict later,
    /// so a stage never reads "pass" just before "commit refused") or "failed".
    static func ended(_ result: RunRecord.StageResult) -> String {
        switch result.status {
        case "pass": return "done"
        case "error": return "failed"
        default: return result.status
        }
    }

    func progressReporter(for stage: Stage) -> ProgressReporter? {
        TerminalProgress.standardError()
    }

    func notice(_ message: String) {
        Terminal.printError("modelgate: \(message)")
    }
}
