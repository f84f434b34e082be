import Diagnostics
import Foundation

/// `history.json` and its parts: every record of the first-parent history, for scripts.
///
/// The records are split by position into parts of `SiteLayout.historyPart` commits
/// (`history/1.json` holds the oldest), listed by `history.json` with the facts that change with
/// every build (commit count, releases). No file grows with the whole history: a new commit
/// rewrites the newest part and the index, and a site published to a branch does not store a
/// fresh copy of every record per commit, which is how one ever-growing data file ends up as a
/// gigabyte branch. Records are copied as stored in their notes (every one within
/// `RecordLimits`); a note that is not a usable record is listed as `{"commit": …, "unreadable":
/// "<reason>"}` with the commit's other facts and no `record`.
struct HistoryExport {
    static let indexPath = "history.json"
    static let schema = 2

    let builder: SiteBuilder
    private let size: Int
    /// Readable records per part (index 0 is part 1).
    private let recordCounts: [Int]
    /// Unreadable notes per part.
    private let unreadableCounts: [Int]

    init(builder: SiteBuilder) {
        self.builder = builder
        size = builder.layout.historyPart
        var counts = [Int](repeating: 0, count: (builder.entries.count + size - 1) / size)
        var unreadable = counts
        for (position, entry) in builder.entries.enumerated() {
            guard let blob = entry.noteBlob else { continue }
            if builder.history.loader.isRecord(blob) {
                counts[position / size] += 1
            } else {
                unreadable[position / size] += 1
            }
        }
        recordCounts = counts
        unreadableCounts = unreadable
    }

    /// Positions of part `part` (numbered from 1, the oldest).
    func range(_ part: Int) -> Range<Int> {
        let start = (part - 1) * size
        return start..<min(builder.entries.count, start + size)
    }

    /// Entries of part `part` that have a note (a readable record or not).
    func records(_ part: Int) -> [SiteEntry] {
        range(part).map { builder.entries[$0] }.filter(\.isEvaluated)
    }

    /// The parts that hold at least one note.
    func parts() -> [Int] {
        recordCounts.indices.filter { recordCounts[$0] + unreadableCounts[$0] > 0 }.map { $0 + 1 }
    }

    func href(_ part: Int) -> String { "history/\(part).json" }

    /// A digest of what part `part` shows: its commits and their note blobs.
    func key(_ part: Int) -> String {
        var parts = [builder.globalKey, "history", String(size)]
        for index in range(part) { parts.append(builder.entryKey(index)) }
        return SHA256Hex.of(parts: parts)
    }

    /// Part `part`: its records, oldest first, each with its commit's facts and the record as stored.
    func part(_ part: Int) -> Data {
        var data: [UInt8] = []
        func add(_ text: String) { data.append(contentsOf: text.utf8) }
        let range = range(part)
        add("{\n\"schema\": \(Self.schema),\n\"part\": \(part),\n")
        add("\"first\": \(range.lowerBound + 1),\n\"last\": \(range.upperBound),\n\"records\": [")
        var written = 0
        for entry in records(part) {
            // Known readable from the summary cache: copied without decoding it again.
            let readable = entry.noteBlob.map { builder.history.loader.isRecord($0) } ?? false
            let raw = readable ? entry.rawNote : nil
            let commit = entry.commit
            add(written == 0 ? "\n" : ",\n")
            written += 1
            add("{\"commit\": \"\(commit.id.hex)\", ")
            add("\"parents\": [\(commit.parentIDs.map { "\"\($0.hex)\"" }.joined(separator: ", "))], ")
            add("\"date\": \"\(Format.isoDate(commit.committer.date))\", ")
            add("\"author\": \(JSONText.quote(commit.author.name)), ")
            add("\"summary\": \(JSONText.quote(commit.summary)), ")
            add("\"page\": \"\(builder.commitHref(commit.id))\",\n")
            if let raw {
                add("\"record\": ")
                data.append(contentsOf: Self.trimmingTrailingWhitespace(raw))
            } else {
                add("\"unreadable\": \(JSONText.quote(entry.unreadable ?? "the note could not be read"))")
            }
            add("}")
        }
        add("\n]\n}\n")
        return Data(data)
    }

    /// `history.json`: the model, the branch, the parts with their record counts, the releases
    /// and the deployments (newest first, each with `until`, null while live).
    func index() -> Data {
        let history = builder.history
        var text = "{\n\"schema\": \(Self.schema),\n\"model\": \(JSONText.quote(history.model)),\n"
        text += "\"branch\": \(JSONText.quote(history.branch)),\n"
        text += "\"generator\": \(JSONText.quote("\(Tool.name) \(Tool.version)")),\n"
        if let base = builder.options.baseURL { text += "\"site\": \(JSONText.quote(base)),\n" }
        text += "\"commits\": \(builder.entries.count),\n"
        var total = 0
        let parts = parts().map { part -> String in
            let range = range(part)
            let count = recordCounts[part - 1]
            total += count
            let unreadable = unreadableCounts[part - 1]
            return
                "\n{\"href\": \"\(href(part))\", \"first\": \(range.lowerBound + 1), \"last\": \(range.upperBound), \"records\": \(count)"
                + (unreadable > 0 ? ", \"unreadable\": \(unreadable)}" : "}")
        }
        text += "\"records\": \(total),\n\"parts\": [" + parts.joined(separator: ",") + "\n],\n"
        let releases = history.releases.map { release in
            var fields = [
                "\"tag\": \(JSONText.quote(release.tag))", "\"commit\": \"\(release.commit.hex)\"",
                "\"date\": \"\(Format.isoDate(release.date))\"",
                "\"environment\": \(release.environment.map(JSONText.quote) ?? "null")",
                "\"artifact\": \(release.artifact.map(JSONText.quote) ?? "null")",
            ]
            let trailers = release.trailers.map { "\(JSONText.quote($0.key)): \(JSONText.quote($0.value))" }
            fields.append("\"trailers\": {\(trailers.joined(separator: ", "))}")
            return "\n{" + fields.joined(separator: ", ") + "}"
        }
        text += "\"releases\": [" + releases.joined(separator: ",") + "\n],\n"
        text += "\"deployments\": " + builder.deploymentsJSON() + "\n}\n"
        return Data(text.utf8)
    }

    /// The note without the whitespace after its closing brace.
    static func trimmingTrailingWhitespace(_ raw: Data) -> Data.SubSequence {
        var end = raw.endIndex
        while end > raw.startIndex, [0x20, 0x0A, 0x0D, 0x09].contains(raw[end - 1]) { end -= 1 }
        return raw[raw.startIndex..<end]
    }
}
