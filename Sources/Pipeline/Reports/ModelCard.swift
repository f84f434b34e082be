import Foundation
import GitKit
import Yams

/// A release's model card: Markdown with Hugging Face front matter, for the site, the
/// artifact's image (`/model/README.md`) and any hub that reads model cards.
///
/// The front matter is YAML written by Yams from typed values (`library_name: modelgate`, tags,
/// and a `model-index` whose `results` give the task, the dataset and each finite metric with
/// its `type` and `value`, the structure Hugging Face documents), so no record string can
/// break out of it. The body starts with the repository's own `MODEL_CARD.md` at the released
/// commit (intended use, limitations; its own front matter, if any, is dropped) or a note that
/// there is none, then the facts from the run record: metrics with their intervals where a gate
/// computed one, gates, the data the run read and the lineage (commit, fingerprint, artifact
/// digest, who vouched for the verdict). Every record string goes through
/// `MarkdownReport.text`, so it can add neither Markdown nor HTML.
public struct ModelCard: Sendable {
    /// The release the card describes.
    public struct Release: Sendable {
        /// The tag's name.
        public var tag: String
        /// A GTO version (`v1.2.0`), when the tag has one.
        public var version: String?
        /// The environment it was released to, when it says.
        public var environment: String?
        /// When it was tagged.
        public var date: Date?

        /// A release `tag` of `version` to `environment` on `date`.
        public init(tag: String, version: String? = nil, environment: String? = nil, date: Date? = nil) {
            self.tag = tag
            self.version = version
            self.environment = environment
            self.date = date
        }
    }

    /// The model's name (`name:` of the config).
    public var model: String
    /// The release, when the card is for one.
    public var release: Release?
    /// The released commit.
    public var commit: ObjectID
    /// Its run record.
    public var record: RunRecord
    /// Who vouched for the record under the trust policy, when there is one.
    public var signer: String?
    /// `MODEL_CARD.md` of the commit's tree, when it has one.
    public var authored: String?

    /// The name of the repository's own model card.
    public static let authoredFileName = "MODEL_CARD.md"
    /// The most bytes of `MODEL_CARD.md` taken.
    public static let authoredLimit = 256 << 10

    /// A card for `record` of `commit`.
    public init(
        model: String, release: Release?, commit: ObjectID, record: RunRecord, signer: String?,
        authored: String?
    ) {
        self.model = model
        self.release = release
        self.commit = commit
        self.record = record
        self.signer = signer
        self.authored = authored
    }

    /// `MODEL_CARD.md` at the root of `commit`'s tree (at most `authoredLimit` bytes), or nil.
    public static func authoredText(in repository: Repository, commit: ObjectID) -> String? {
        guard
            let entry = try? repository.treeEntries(commit: commit, matching: [authoredFileName]).first(
                where: {
                    $0.path == authoredFileName && $0.mode != .gitlink
                }),
            let size = try? repository.objectSize(entry.id), size <= authoredLimit,
            let data = try? repository.blob(entry.id)
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Front matter

    struct FrontMatter: Encodable {
        var libraryName = "modelgate"
        var tags: [String]
        var modelIndex: [Entry]

        enum CodingKeys: String, CodingKey {
            case libraryName = "library_name"
            case tags
            case modelIndex = "model-index"
        }

        struct Entry: Encodable {
            var name: String
            var results: [Result]
        }

        struct Result: Encodable {
            var task: Task
            var dataset: Dataset
            var metrics: [Metric]
        }

        struct Task: Encodable {
            var type: String
            var name: String
        }

        struct Dataset: Encodable {
            var type: String
            var name: String
        }

        struct Metric: Encodable {
            var type: String
            var value: Double
            var name: String
            var verified = false
        }
    }

    /// The task in Hugging Face's names, from the metrics the run reported.
    var task: FrontMatter.Task {
        let names = Set(record.metrics.keys)
        if !names.isDisjoint(with: ["accuracy", "f1", "precision", "recall", "roc_auc", "log_loss"]) {
            return .init(type: "tabular-classification", name: "Tabular Classification")
        }
        if !names.isDisjoint(with: ["r2", "rmse", "mse", "mae"]) {
            return .init(type: "tabular-regression", name: "Tabular Regression")
        }
        return .init(type: "other", name: "Other")
    }

    /// The data files the run read (CSV, TSV, Parquet, JSON Lines), sorted.
    var dataFiles: [(path: String, blob: String)] {
        let suffixes = [".csv", ".tsv", ".parquet", ".jsonl"]
        return record.inputs.filter { path, _ in suffixes.contains { path.lowercased().hasSuffix($0) } }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The evaluation data: a data file named like a test set, else the first one.
    var dataset: FrontMatter.Dataset {
        let files = dataFiles.map(\.path)
        guard let chosen = files.first(where: { $0.lowercased().contains("test") }) ?? files.first else {
            return .init(type: "custom", name: "\(model) data")
        }
        return .init(type: chosen, name: chosen)
    }

    /// The YAML between the `---` lines.
    public func frontMatter() throws -> String {
        let metrics = record.metrics.keys.sorted().compactMap { name -> FrontMatter.Metric? in
            guard let value = record.metrics[name], value.isFinite else { return nil }
            return .init(type: name, value: value, name: name)
        }
        var tags = ["modelgate", task.type]
        if let environment = release?.environment { tags.append(environment) }
        let matter = FrontMatter(
            tags: tags,
            modelIndex: [.init(name: model, results: [.init(task: task, dataset: dataset, metrics: metrics)])]
        )
        return try YAMLEncoder().encode(matter)
    }

    // MARK: - Markdown

    /// The whole card: front matter, then the body.
    public func render() throws -> String {
        "---\n" + (try frontMatter()) + "---\n\n" + body()
    }

    /// The card without its front matter.
    public func body() -> String {
        let text = MarkdownReport.text
        // Values as a person reads them (ReadableNumber); the front matter keeps full precision.
        func format(_ value: Double?, _ metric: String) -> String {
            ReadableNumber.value(value, metric: metric)
        }
        // Inside a code span escapes show literally: drop backticks and line breaks instead.
        func code(_ value: String) -> String {
            "`"
                + String(
                    value.unicodeScalars.filter { $0 != "`" && !$0.properties.isWhitespace || $0 == " " }
                        .prefix(200).map(Character.init)) + "`"
        }
        var lines: [String] = []
        let title = release.map { "\(text(model)) \(text($0.version ?? $0.tag))" } ?? text(model)
        lines.append("# \(title)")
        lines.append("")
        if let authored {
            lines.append(Self.withoutFrontMatter(authored).trimmingCharacters(in: .whitespacesAndNewlines))
        } else {
            lines.append(
                "_This repository has no `\(Self.authoredFileName)`: add one at its root (intended use, limitations, ethical considerations) and the next card starts with it._"
            )
        }
        lines.append("")
        lines.append("## Metrics")
        lines.append("")
        if record.metrics.isEmpty {
            lines.append("The run reported no metrics.")
        } else {
            lines.append("| metric | value | interval |")
            lines.append("|---|--:|---|")
            for name in record.metrics.keys.sorted() {
                var interval = ""
                if let gate = record.gates.first(where: {
                    $0.metric == name && ($0.kind == .min || $0.kind == .max) && $0.interval?.count == 2
                }), let bounds = gate.interval, let confidence = gate.confidence {
                    interval =
                        "[\(format(bounds[0], name)), \(format(bounds[1], name))] at \(ReadableNumber.value(confidence * 100)) %"
                }
                lines.append("| \(text(name)) | \(format(record.metrics[name], name)) | \(interval) |")
            }
        }
        lines.append("")
        lines.append("## Gates")
        lines.append("")
        if record.gates.isEmpty {
            lines.append("No gates are configured.")
        } else {
            lines.append("| metric | rule | value | baseline | result |")
            lines.append("|---|---|--:|--:|---|")
            for gate in record.gates {
                lines.append(
                    "| \(text(gate.metric)) | \(text(RunReport.describeLimit(gate))) | \(format(gate.value, gate.metric)) | \(format(gate.baseline, gate.metric)) | \(text(gate.status.rawValue)) |"
                )
            }
            for line in record.gates.compactMap(RunReport.significanceLine) {
                lines.append("")
                lines.append("- \(text(line))")
            }
        }
        lines.append("")
        lines.append("## Data")
        lines.append("")
        let files = dataFiles
        if files.isEmpty {
            lines.append(
                "The run read \(record.inputs.count) files; none is a data file modelgate recognises.")
        } else {
            lines.append("The run read \(record.inputs.count) files; its data:")
            lines.append("")
            lines.append("| file | git blob |")
            lines.append("|---|---|")
            for file in files.prefix(50) { lines.append("| \(text(file.path)) | \(code(file.blob)) |") }
            if files.count > 50 { lines.append("| … \(files.count - 50) more | |") }
        }
        lines.append("")
        lines.append("## Lineage")
        lines.append("")
        lines.append("- commit: `\(commit.hex)`")
        if let tree = record.tree { lines.append("- tree: \(code(tree))") }
        lines.append("- fingerprint: \(code(record.fingerprint))")
        lines.append("- artifact: " + (record.artifact.map(code) ?? "none"))
        lines.append("- verdict: \(text(record.verdict.rawValue)) (\(text(record.tool)))")
        lines.append("- signed by: \(signer.map(text) ?? "local, unsigned")")
        if let release {
            var line = "- release: \(code(release.tag))"
            if let environment = release.environment { line += " to \(text(environment))" }
            if let date = release.date { line += " on \(ISO8601DateFormatter().string(from: date))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `markdown` without a leading `---` … `---` YAML block.
    static func withoutFrontMatter(_ markdown: String) -> String {
        guard markdown.hasPrefix("---\n") || markdown.hasPrefix("---\r\n") else { return markdown }
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        guard
            let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }
            )
        else { return markdown }
        return lines[(end + 1)...].joined(separator: "\n")
    }
}
