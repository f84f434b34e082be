import Diagnostics

/// Help text shared by every command.
enum Help {
    /// `text` as paragraphs (a blank line between them; single line breaks are unwrapped so the
    /// terminal can wrap), then the exit-code contract every command keeps.
    static func discussion(_ text: String = "") -> String {
        // Plain Swift, no Foundation: every command's configuration is built on every start-up.
        var paragraphs: [String] = []
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = trimmingBlanks(line)
            if trimmed.isEmpty {
                if !lines.isEmpty { paragraphs.append(lines.joined(separator: " ")) }
                lines = []
            } else {
                lines.append(trimmed)
            }
        }
        if !lines.isEmpty { paragraphs.append(lines.joined(separator: " ")) }
        return (paragraphs + [ExitStatus.contract]).joined(separator: "\n\n")
    }

    private static func trimmingBlanks(_ line: Substring) -> Substring {
        var line = line
        while let first = line.first, first == " " || first == "\t" { line.removeFirst() }
        while let last = line.last, last == " " || last == "\t" { line.removeLast() }
        return line
    }
}
