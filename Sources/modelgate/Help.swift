import Diagnostics

/// Help text shared by every command.
enum Help {
    /// `text` as paragraphs (a blank line between them; single line breaks are unwrapped so the
    /// terminal can wrap), then the exit-code contract every command keeps.
    static func discussion(_ text: String = "") -> String {
        let paragraphs = text.components(separatedBy: "\n\n")
            .map {
                $0.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(
                    separator: " ")
            }
            .filter { !$0.isEmpty }
        return (paragraphs + [ExitStatus.contract]).joined(separator: "\n\n")
    }
}
