import Diagnostics

/// Help text shared by every command.
enum Help {
    /// `text` as paragraphs (a blank line between them; single line breaks are unwrapped so the
    /// terminal can wrap), then the exit-code contract every command keeps.
    static func discussion(_ text: String = "") -> String {
        // Every command's configuration, and so this, is built on every start-up: it works on
        // UTF-8 bytes (blanks and line breaks are ASCII, so no character is split), a tenth of the
        // cost of splitting Characters.
        var paragraphs: [String] = []
        var paragraph: [UInt8] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let trimmed = trimmingBlanks(line)
            if trimmed.isEmpty {
                if !paragraph.isEmpty { paragraphs.append(String(decoding: paragraph, as: UTF8.self)) }
                paragraph = []
            } else {
                if !paragraph.isEmpty { paragraph.append(UInt8(ascii: " ")) }
                paragraph.append(contentsOf: trimmed)
            }
        }
        if !paragraph.isEmpty { paragraphs.append(String(decoding: paragraph, as: UTF8.self)) }
        return (paragraphs + [ExitStatus.contract]).joined(separator: "\n\n")
    }

    private static func trimmingBlanks(_ line: Substring.UTF8View) -> Substring.UTF8View {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = line.firstIndex(where: { !isBlank($0) }),
            let last = line.lastIndex(where: { !isBlank($0) })
        else { return line[line.endIndex...] }
        return line[first...last]
    }
}
