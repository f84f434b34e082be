/// Text that came from somewhere else (a run record, a note, a config, a stage's output, a
/// commit message), made safe to print on a terminal.
///
/// A terminal acts on control characters: ESC starts sequences that recolour text, move the
/// cursor, erase lines or set the window title; BEL, CR and backspace rewrite what is shown; the
/// C1 controls (U+0080–U+009F) do the same on terminals that honour them; bidirectional
/// overrides and isolates reorder what follows them; line and paragraph separators and line
/// feeds start new lines; and a few invisible characters (zero-width space, word joiner and
/// invisible operators, byte-order mark, soft hyphen, interlinear annotation marks) make two
/// names that look alike differ. A metric name holding `ESC]0;…BEL ESC[2K CR ESC[32m verdict:
/// pass` would otherwise print a fake green verdict. Joiners (ZWJ, ZWNJ) are kept: emoji
/// sequences and several scripts need them.
///
/// `isUnsafe` is the one predicate for such characters: names (`NameRules`), one-line fields of
/// run records and release tags, and paths in `modelgate.yml` refuse them; everything printed
/// passes through `sanitized`.
///
/// The guarantee: `sanitized(_:)` returns text in which no character a terminal acts on
/// survives, each replaced by a visible stand-in, so that what is printed is exactly what is
/// shown and nothing is lost silently. C0 controls and DEL become their Unicode Control Pictures
/// (ESC → `␛`, BEL → `␇`, CR → `␍`, LF → `␊`: one column each, so tables stay aligned, and
/// unmistakable for the character they stand for); characters that have no picture (C1
/// controls, bidirectional controls, U+2028/U+2029, the invisible characters) become `\u{…}`
/// with their code point. Line breaks and tabs are kept only when asked for (whole messages made
/// of several lines), never inside a table cell or a name. `cell` also bounds the size of what
/// it returns, in characters and in bytes, so a name of one character and 2 KB of combining
/// marks prints short too.
public enum TerminalText {
    /// `text` with every character a terminal would act on replaced by a visible stand-in;
    /// with `keepingLineBreaks`, `\n` and `\t` are kept (a message of several lines).
    public static func sanitized(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard needsWork(text, keepingLineBreaks: keepingLineBreaks) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if keepingLineBreaks && (scalar == "\n" || scalar == "\t") {
                result.unicodeScalars.append(scalar)
            } else if let replacement = standIn(for: scalar) {
                result += replacement
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// True for a character a terminal acts on rather than shows: C0 (line feed and tab
    /// included) and C1 controls, DEL, bidirectional marks, embeddings, overrides and isolates,
    /// the line/paragraph separators, and the invisible characters listed above.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        standIn(for: scalar) != nil
    }

    /// The first character of `text` that `isUnsafe`, if any.
    public static func firstUnsafe(in text: String) -> Unicode.Scalar? {
        guard needsWork(text, keepingLineBreaks: false) else { return nil }
        return text.unicodeScalars.first(where: isUnsafe)
    }

    /// `text` sanitised and cut to at most `limit` characters and `limit × bytesPerCharacter`
    /// bytes, the cut marked with `…`.
    public static func cell(_ text: String, limit: Int) -> String {
        let limit = max(1, limit)
        // Only the part that can be shown is sanitised: a huge text costs no more than a short one.
        let budget = limit * bytesPerCharacter
        guard text.utf8.count > budget else { return truncated(sanitized(text), limit: limit) }
        let head = String(decoding: text.utf8.prefix(budget + 1), as: UTF8.self)
        return truncated(sanitized(head) + "…", limit: limit)
    }

    /// The most bytes one shown character may take on average in `truncated`: an emoji sequence
    /// (a family, a flag with tags) is up to about 28 bytes, text in any script 1 to 4.
    public static let bytesPerCharacter = 16

    /// The most Unicode scalars one character may hold in `truncated`: a base and 30 combining
    /// marks, the bound of Unicode's Stream-Safe Text Format (UAX #15). Longer clusters exist
    /// only to flood a screen.
    public static let scalarsPerCharacter = 31

    /// `text` cut to at most `limit` characters (at least 1) and about `limit ×
    /// bytesPerCharacter` bytes, the last character `…` when it was cut. A character of more
    /// than `scalarsPerCharacter` scalars ends the text: only its first scalar is kept.
    public static func truncated(_ text: String, limit: Int) -> String {
        let limit = max(1, limit)
        // Characters are at least one byte: a short text needs no counting.
        guard text.utf8.count > limit else { return text }
        let budget = limit * bytesPerCharacter
        var result = ""
        var count = 0
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            if count == limit {
                // One character too many: the last one kept makes room for the mark.
                result.removeLast()
                return result + "…"
            }
            if bytes + size > budget || character.unicodeScalars.count > scalarsPerCharacter {
                if count + 1 < limit, let first = character.unicodeScalars.first, bytes + 4 <= budget {
                    result.unicodeScalars.append(first)
                }
                return result + "…"
            }
            result.append(character)
            count += 1
            bytes += size
        }
        return result
    }

    /// The visible stand-in for an unsafe character, nil for a safe one.
    private static func standIn(for scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x00...0x1F:
            return String(Unicode.Scalar(0x2400 + scalar.value)!)
        case 0x7F:
            return "\u{2421}"
        case 0x80...0x9F, 0x00AD, 0x061C, 0x200B, 0x200E, 0x200F, 0x2028...0x202E, 0x2060...0x2064,
            0x2066...0x2069, 0xFEFF, 0xFFF9...0xFFFB:
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default:
            return nil
        }
    }

    /// A quick byte scan: false when no unsafe character can be in `text`, which is almost always.
    private static func needsWork(_ text: String, keepingLineBreaks: Bool) -> Bool {
        text.utf8.contains { byte in
            switch byte {
            case 0x0A, 0x09: return !keepingLineBreaks
            // C0 and DEL; 0xC2 leads U+0080–U+00BF (C1, soft hyphen), 0xD8 U+061C, 0xE2
            // U+2000–U+2FFF, 0xEF U+F000–U+FFFF (byte-order mark, annotation marks).
            case 0x00...0x1F, 0x7F, 0xC2, 0xD8, 0xE2, 0xEF: return true
            default: return false
            }
        }
    }
}
