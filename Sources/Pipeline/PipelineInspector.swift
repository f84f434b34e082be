import Diagnostics
import Foundation
import GitKit

/// Read-only questions about runs: what would run now, the history of verdicts, and how two
/// records differ. Nothing here trains or records a verdict.
public struct PipelineInspector {
    let repository: Repository
    let store: RunStore
    let notes: RecordNotes

    /// Makes an inspector for `repository`.
    public init(repository: Repository) {
        self.repository = repository
        store = RunStore(repository: repository)
        notes = RecordNotes(repository: repository)
    }

    // MARK: - Records by source

    /// The record for `source`: a commit's note, else the cached measurements of the same inputs
    /// judged with its own gates and baseline; `RecordError.unreadable` when the commit's note
    /// cannot be read (it is not replaced by the cached measurements).
    public func record(for source: EvaluationSource) throws -> RunRecord? {
        if case .revision(let rev) = source {
            let commit = try repository.resolveCommit(rev)
            var records = CommitRecords(repository: repository, persist: false)
            return try records.record(on: commit)?.get()
        }
        return try CommitRecords.adopt(source, in: repository)
    }

    // MARK: - Status

    /// Per stage: whether its inputs changed since the last record, and which files.
    public struct Status: Codable, Sendable {
        /// One stage's state.
        public struct StageState: Codable, Sendable {
            /// The stage's name.
            public let name: String
            /// True when the stage's fingerprint differs from the compared record's.
            public let changed: Bool
            /// Dependency paths added, removed or modified since that record; empty when the
            /// change is in the stage's definition, an earlier stage, or the modelgate version.
            public let changedFiles: [String]
        }

        /// What was looked at ("the work tree").
        public let subject: String
        /// The record compared with (nearest ancestor of HEAD that has one), if any.
        public let comparedWith: String?
        /// The stages, in order.
        public let stages: [StageState]
        /// True when a run with exactly these inputs is cached: `modelgate run` would train nothing.
        public let cached: Bool
        /// The fingerprint of these inputs.
        public let fingerprint: String
        /// Notes passed over on the way to the compared record because they cannot be read.
        public let unreadable: [UnreadableRecord]
    }

    /// What `modelgate run` on `source` would do, and what changed since the last record.
    public func status(of source: EvaluationSource) throws -> Status {
        var notesOnly = CommitRecords.notesOnly(repository)
        let evaluation = try Evaluation(source, in: repository, records: &notesOnly)
        let (tree, fingerprint) = (evaluation.tree, evaluation.fingerprint)
        let start: ObjectID? = try tree.commit ?? repository.head()?.id
        var previous: (ObjectID, RunRecord)?
        var unreadable: [UnreadableRecord] = []
        if let start {
            for commit in try repository.firstParentHistory(from: start, limit: 1000) {
                switch try notes.read(on: commit.id) {
                case .record(let record): previous = (commit.id, record)
                case .unreadable(let note): unreadable.append(note)
                case nil: continue
                }
                if previous != nil { break }
            }
        }
        let stages = fingerprint.stages.map { entry -> Status.StageState in
            guard let record = previous?.1 else {
                return .init(
                    name: entry.stage.name, changed: true, changedFiles: entry.inputs.files.keys.sorted())
            }
            let old = record.stages.first { $0.name == entry.stage.name }
            let files = entry.inputs.files
            let changedFiles = Set(files.keys).union(
                record.inputs.keys.filter { path in
                    entry.stage.dependencyPatterns.contains { PathPattern($0).matches(path) }
                }
            ).filter { files[$0] != record.inputs[$0] }.sorted()
            return .init(
                name: entry.stage.name, changed: old?.fingerprint != entry.digest, changedFiles: changedFiles)
        }
        return Status(
            subject: tree.description, comparedWith: previous.map { $0.0.short }, stages: stages,
            cached: try KnownVerdicts(repository: repository).record(for: fingerprint.digest) != nil,
            fingerprint: fingerprint.digest,
            unreadable: unreadable)
    }

    // MARK: - Log

    /// One commit of the first-parent history with its record, if it has one.
    public struct LogEntry: Codable, Sendable {
        /// The commit id.
        public let commit: String
        /// The commit's summary line.
        public let summary: String
        /// The committer date.
        public let date: Date
        /// The record, or nil when the commit was never evaluated or its note is unreadable.
        public let record: RunRecord?
        /// Why the commit's note cannot be read as a record, when it cannot.
        public let unreadable: String?

        /// The entry with only the metrics named `names` in its record and its stages.
        public func keepingMetrics(_ names: Set<String>) -> LogEntry {
            guard var record else { return self }
            record.metrics = record.metrics.filter { names.contains($0.key) }
            for index in record.stages.indices {
                record.stages[index].metrics = record.stages[index].metrics.filter { names.contains($0.key) }
            }
            return LogEntry(commit: commit, summary: summary, date: date, record: record, unreadable: nil)
        }
    }

    /// The first-parent history from `rev`, newest first, with records.
    public func log(from rev: String, limit: Int) throws -> [LogEntry] {
        let start = try repository.resolveCommit(rev)
        // Commits made after a staged run show that run's verdict (found by their inputs).
        var records = CommitRecords(repository: repository, persist: false)
        records.fingerprintBudget = limit
        return try repository.firstParentHistory(from: start, limit: limit).map { commit in
            let note = try records.record(on: commit.id)
            return LogEntry(
                commit: commit.id.hex, summary: commit.summary, date: commit.committer.date,
                record: note?.record, unreadable: note?.unreadable?.reason)
        }
    }
}

extension PipelineInspector {
    /// Metrics and parameters of two evaluated sources side by side.
    public struct Comparison: Codable, Sendable {
        /// One metric or parameter on both sides.
        public struct Row: Codable, Sendable, Equatable {
            /// Its flat name.
            public let name: String
            /// The value on side A (nil when absent).
            public let old: String?
            /// The value on side B (nil when absent).
            public let new: String?
            /// new - old, for numbers present on both sides.
            public let delta: Double?
        }

        /// Side A as given ("HEAD~1 (3f2a9c1)").
        public let a: String
        /// Side B as given.
        public let b: String
        /// Metrics that exist on either side.
        public let metrics: [Row]
        /// Parameters (from stages' `params` files) that differ.
        public let params: [Row]
        /// Side B's gates with a confidence level (interval, outcome against its baseline), or nil.
        public var significance: [GateResult]?
    }

    /// Compares the records (and parameters) of `a` and `b`.
    public func compare(_ a: EvaluationSource, _ b: EvaluationSource) throws -> Comparison {
        let sides = try [a, b].map { source -> (String, RunRecord?, [String: String]) in
            let tree = try EvaluatedTree(source, in: repository)
            return (tree.description, try record(for: source), try parameters(in: tree))
        }
        let (oldMetrics, newMetrics) = (sides[0].1?.metrics ?? [:], sides[1].1?.metrics ?? [:])
        let metricRows = Set(oldMetrics.keys).union(newMetrics.keys).sorted().map { name in
            Comparison.Row(
                name: name, old: oldMetrics[name].map { RunReport.format($0) },
                new: newMetrics[name].map { RunReport.format($0) },
                delta: oldMetrics[name].flatMap { old in newMetrics[name].map { $0 - old } })
        }
        let (oldParams, newParams) = (sides[0].2, sides[1].2)
        let paramRows = Set(oldParams.keys).union(newParams.keys).sorted().filter {
            oldParams[$0] != newParams[$0]
        }
        .map { name in
            Comparison.Row(
                name: name, old: oldParams[name], new: newParams[name],
                delta: Double(oldParams[name] ?? "").flatMap { old in
                    Double(newParams[name] ?? "").map { $0 - old }
                })
        }
        for (index, side) in sides.enumerated() where side.1 == nil {
            throw StageFailure(
                "\(side.0) has not been evaluated", location: nil,
                hint: "run 'modelgate run \([a, b][index].runArguments)' first", exitStatus: .badInput)
        }
        var comparison = Comparison(a: sides[0].0, b: sides[1].0, metrics: metricRows, params: paramRows)
        let confident = sides[1].1?.gates.filter { $0.confidence != nil } ?? []
        comparison.significance = confident.isEmpty ? nil : confident
        return comparison
    }

    /// Every stage's parameters file in `tree`, flattened to dotted names (`file:key.sub`).
    func parameters(in tree: EvaluatedTree) throws -> [String: String] {
        guard let config = try? tree.loadConfig() else { return [:] }
        var values: [String: String] = [:]
        for stage in config.stages {
            guard case .command(let command) = stage.kind, let path = command.params else { continue }
            let data: Data?
            do {
                data = try tree.contents(of: path, in: repository, atMost: ParametersFile.maxBytes)
            } catch let error as ConfigError where error.problem == .tooLarge(limit: ParametersFile.maxBytes)
            {
                // Over the limit: not flattened, and not read whole to find out.
                continue
            }
            guard let data else { continue }
            for (key, value) in ParametersFile.flatten(String(decoding: data, as: UTF8.self)) {
                values["\(path):\(key)"] = value
            }
        }
        return values
    }
}

extension EvaluationSource {
    /// The `modelgate run` arguments that evaluate this source.
    var runArguments: String {
        switch self {
        case .revision(let rev): return "--rev \(rev)"
        case .staged: return "--staged"
        case .amend: return "--staged --amend"
        case .worktree: return "--worktree"
        }
    }
}
