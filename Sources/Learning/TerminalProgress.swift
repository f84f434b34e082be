import Diagnostics

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

/// A one-line progress bar on standard error: phase, bytes read, rows, rate and ETA.
///
/// Only drawn when standard error is a terminal; `standardError()` returns nil otherwise, so
/// logs and pipes stay clean.
public final class TerminalProgress: ProgressReporter {
    private let start = ProcessInfo.processInfo.systemUptime
    private var drawn = false

    /// A bar on standard error when it is a terminal, else nil.
    public static func standardError() -> TerminalProgress? {
        isatty(STDERR_FILENO) == 1 ? TerminalProgress() : nil
    }

    private init() {}

    /// Draws the latest state (throttled).
    public func report(_ update: ProgressUpdate) {
        let elapsed = ProcessInfo.processInfo.systemUptime - start
        guard elapsed >= 0.3 else { return }  // quick runs show nothing
        // The phase names the data file (a path from the config): sanitised like all terminal text.
        let line = TerminalText.sanitized(Self.line(update, elapsed: elapsed))
        Self.show("\r\u{1B}[K" + line)
        drawn = true
    }

    /// Clears the bar.
    public func finish() {
        if drawn { Self.show("\r\u{1B}[K") }
        drawn = false
    }

    /// The text of the bar, e.g. `reading data.csv [######......] 41% 120 MB/290 MB 1,200,000 rows ETA 3s`.
    public static func line(_ update: ProgressUpdate, elapsed: Double) -> String {
        var parts = [update.phase]
        if let total = update.totalBytes, total > 0 {
            let fraction = min(1, Double(update.bytesRead) / Double(total))
            let filled = Int(fraction * 24)
            parts.append(
                "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "]"
            )
            parts.append("\(Int(fraction * 100))%")
            parts.append("\(megabytes(update.bytesRead))/\(megabytes(total))")
            if fraction > 0.01 && fraction < 1 {
                parts.append("ETA \(Int((elapsed / fraction - elapsed).rounded()))s")
            }
        } else {
            parts.append(megabytes(update.bytesRead))
        }
        parts.append("\(update.rows) rows")
        return parts.joined(separator: " ")
    }

    /// Whole megabytes, rounded as printf's `%.0f` rounds (half to even).
    private static func megabytes(_ bytes: Int64) -> String {
        "\(Int((Double(bytes) / 1_000_000).rounded(.toNearestOrEven))) MB"
    }

    /// Writes `text` to standard error unbuffered, as the bar must appear at once.
    private static func show(_ text: String) {
        StandardError.emit(text)
    }
}
