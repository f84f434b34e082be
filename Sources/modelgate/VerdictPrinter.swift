import ArgumentParser
import Diagnostics
import Foundation
import Pipeline

/// Prints a run's outcome and turns its verdict into the exit status.
struct VerdictPrinter {
    let json: Bool

    /// Prints the record (gate table or JSON); throws exit 1 for a failed verdict, 3 for an error.
    func print(_ outcome: PipelineRunner.Outcome) throws {
        let record = outcome.record
        if json {
            Terminal.printJSON(data: try record.encoded())
        } else {
            // The module's `print` (Terminal.swift) replaces control characters a record may hold.
            if !record.gates.isEmpty {
                modelgate.print(RunReport.gateTable(record))
            } else if !record.metrics.isEmpty {
                modelgate.print(RunReport.metricsTable(record))
            }
            if let baseline = record.baseline {
                modelgate.print(
                    "  baseline: \(baseline.policy) -> \(baseline.commit.map { String($0.prefix(7)) } ?? "none") (\(baseline.comparison))"
                )
            }
            if !record.stages.isEmpty { modelgate.print("  time: \(RunReport.timing(record))") }
            modelgate.print(
                "verdict: \(record.verdict.rawValue) for \(outcome.subject)\(outcome.reused ? " (cached)" : "")"
            )
        }
        switch record.verdict {
        case .pass:
            return
        case .fail:
            let reproduce =
                record.commit.map { "modelgate run --rev \($0.prefix(7)) --force" }
                ?? "modelgate run --\(record.source) --force"
            Terminal.printError(
                "modelgate: gates failed: \(HookReport.failedMetrics(record))"
            )
            Terminal.printError("  reproduce: \(reproduce)")
            throw ExitCode(ExitStatus.refused.rawValue)
        case .error:
            Terminal.printError(record.error ?? "error: a stage failed")
            throw ExitCode(outcome.errorStatus.rawValue)
        }
    }
}
