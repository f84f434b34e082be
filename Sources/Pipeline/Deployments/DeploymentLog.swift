import Diagnostics
import Foundation
import GitKit

/// Deployments per commit, in git notes under `refs/notes/modelgate-deployments`: on the
/// deployed commit, one self-contained JSON line per deployment event (`Deployment.line`).
///
/// Recording only ever adds a line: the note's lines are kept (unreadable ones too, as they
/// are), the new one joins them, and the lines are written sorted, so every clone writes the
/// same note for the same set of events and git's `cat_sort_uniq` merge (`modelgate sync`,
/// `NotesSync.sharedRefs`) unions two clones' notes without losing a line. No history is
/// rewritten: each record is a new notes commit on top of the ref.
///
/// Reading takes the local ref and every tracking ref a fetch wrote
/// (`refs/notes/remotes/REMOTE/modelgate-deployments`, from `NotesSetup`'s refspec), so a
/// plain `git fetch` is enough to see a teammate's deployments; the same event read twice
/// counts once. Every note is read through `DeploymentDecoder`, and all notes together at most
/// `totalBytes`, so a hostile remote can make a read skip lines (with warnings) but never
/// crash, hang or exhaust memory.
public struct DeploymentLog {
    /// The notes ref of deployment records.
    public static let ref = "refs/notes/modelgate-deployments"
    /// The most note bytes one read takes in, all refs together.
    public static let totalBytes = 64 << 20
    /// The most warnings kept (a count of the rest is added).
    static let warningLimit = 50

    /// Every deployment read, and what was skipped.
    public struct Found: Sendable {
        /// Every readable deployment, each once, in the order they happened (`Deployment.happenedBefore`).
        public var deployments: [Deployment] = []
        /// Lines and notes skipped, with why (`deployment note on abc1234 (REF), line 2: …`).
        public var warnings: [String] = []

        /// Makes a set of deployments (none by default), ordered as `all` orders them.
        public init(deployments: [Deployment] = [], warnings: [String] = []) {
            self.deployments = deployments.sorted(by: Deployment.happenedBefore)
            self.warnings = warnings
        }

        /// The environments that have deployments, sorted.
        public var environments: [String] { Set(deployments.map(\.env)).sorted() }

        /// What was live in `env` at `time`: the latest deployment at or before it.
        public func live(in env: String, at time: Date) -> Deployment? {
            deployments.last { $0.env == env && $0.at <= time }
        }

        /// `env`'s periods, newest first: each deployment from its time until the next one in
        /// `env` (nil: live now).
        public func timeline(of env: String) -> [Period] {
            let events = deployments.filter { $0.env == env }
            return events.indices.reversed().map { index in
                Period(
                    deployment: events[index], until: index + 1 < events.count ? events[index + 1].at : nil)
            }
        }

        /// Every environment's periods, newest first (by `from`, ties as `Deployment.happenedBefore`).
        public func periods(env: String? = nil) -> [Period] {
            let names = env.map { [$0] } ?? environments
            let all = names.flatMap { timeline(of: $0) }
            return all.sorted { Deployment.happenedBefore($1.deployment, $0.deployment) }
        }
    }

    /// One deployment and how long it lasted.
    public struct Period: Sendable, Equatable, Encodable {
        /// The deployment that started the period.
        public var deployment: Deployment
        /// When the next deployment to the same environment replaced it; nil while it is live.
        public var until: Date?

        /// Makes a period.
        public init(deployment: Deployment, until: Date?) {
            self.deployment = deployment
            self.until = until
        }

        enum CodingKeys: String, CodingKey {
            case env, commit, from, until, by, tag, image, live
        }

        /// `{"env", "commit", "from", "until" (null while live), "by", "tag", "image", "live"}`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(deployment.env, forKey: .env)
            try container.encode(deployment.commit.hex, forKey: .commit)
            try container.encode(DeploymentTime.rfc3339(deployment.at), forKey: .from)
            try container.encode(until.map(DeploymentTime.rfc3339), forKey: .until)
            try container.encode(deployment.by, forKey: .by)
            try container.encode(deployment.tag, forKey: .tag)
            try container.encode(deployment.image, forKey: .image)
            try container.encode(until == nil, forKey: .live)
        }
    }

    let repository: Repository

    /// Makes a reader/writer of `repository`'s deployment records.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The refs read: the local one, then the tracking refs of remotes, by name.
    public func refs() throws -> [String] {
        let tracking = try repository.references(withPrefix: "refs/notes/remotes/").map(\.name).filter {
            $0.hasSuffix("/modelgate-deployments")
        }
        return [Self.ref] + tracking
    }

    /// Every deployment recorded (see the type's description for what is read and skipped).
    public func all() throws -> Found {
        var found = Found()
        var seen = Set<Deployment>()
        var budget = Self.totalBytes
        var warnings: [String] = []
        let decoder = DeploymentDecoder()
        for ref in try refs() {
            let label = ref == Self.ref ? "" : " (\(ref))"
            for note in try repository.notes(ref: ref) {
                let size = try repository.objectSize(note.blob)
                let decoded: DeploymentDecoder.Decoded
                if size > DeploymentDecoder.noteBytes {
                    decoded = DeploymentDecoder.Decoded(
                        warnings: [
                            "the note is \(size) bytes, over the \(DeploymentDecoder.noteBytes)-byte limit"
                        ])
                } else if size > budget {
                    warnings.append(
                        "deployment notes over \(Self.totalBytes) bytes in all; the rest were not read")
                    found.warnings = Self.capped(warnings)
                    return finish(found, seen)
                } else {
                    budget -= size
                    decoded = decoder.decode(note: [UInt8](try repository.blob(note.blob)), on: note.target)
                }
                for deployment in decoded.deployments { seen.insert(deployment) }
                for warning in decoded.warnings {
                    warnings.append("deployment note on \(note.target.short)\(label): \(warning)")
                }
            }
        }
        found.warnings = Self.capped(warnings)
        return finish(found, seen)
    }

    private func finish(_ found: Found, _ seen: Set<Deployment>) -> Found {
        var found = found
        found.deployments = seen.sorted(by: Deployment.happenedBefore)
        return found
    }

    static func capped(_ warnings: [String]) -> [String] {
        guard warnings.count > warningLimit else { return warnings }
        return Array(warnings.prefix(warningLimit)) + ["\(warnings.count - warningLimit) more skipped lines"]
    }

    /// What `record` did.
    public struct Recorded: Sendable, Equatable {
        /// False when that exact event was already recorded (nothing changed).
        public var added: Bool
        /// Lines of the note that were not UTF-8 text, which no reader could read, left out of
        /// the new version (the notes ref's history still has them).
        public var droppedLines: Int
    }

    /// Adds `deployment` to its commit's note, keeping every other line as it is (lines sorted,
    /// each once). Concurrent recorders on one commit (a rollout to several regions at once)
    /// all land: the note is read and rewritten inside the ref's compare-and-swap
    /// (`Repository.updateNote`).
    @discardableResult
    public func record(_ deployment: Deployment) throws -> Recorded {
        if let blob = try repository.noteBlob(on: deployment.commit, ref: Self.ref) {
            let size = try repository.objectSize(blob)
            guard size + DeploymentDecoder.lineBytes <= DeploymentDecoder.noteBytes else {
                throw DeploymentError.noteFull(commit: deployment.commit.short, bytes: size)
            }
        }
        var recorded = Recorded(added: false, droppedLines: 0)
        try repository.updateNote(on: deployment.commit, ref: Self.ref) { current in
            var lines = Set<String>()
            var dropped = 0
            for line in (current ?? Data()).split(separator: 0x0A) {
                if let text = String(validating: line, as: UTF8.self) {
                    if !text.isEmpty { lines.insert(text) }
                } else {
                    dropped += 1
                }
            }
            recorded = Recorded(added: false, droppedLines: 0)
            guard lines.insert(deployment.line).inserted else { return nil }
            guard lines.count <= DeploymentDecoder.linesPerNote else {
                throw DeploymentError.noteFull(commit: deployment.commit.short, bytes: current?.count ?? 0)
            }
            recorded = Recorded(added: true, droppedLines: dropped)
            return lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: "\n") + "\n"
        }
        return recorded
    }
}
