import Foundation
import GitKit
import Pipeline

/// One commit of the first-parent history, with its run record when it was evaluated.
public struct SiteEntry: Sendable {
    /// The commit.
    public let commit: Commit
    /// Its run record, or nil when it was not evaluated (or the note is unreadable).
    public let record: RunRecord?
    /// The blob holding the note, which changes whenever the record does.
    public let noteBlob: ObjectID?
    /// The note's text as stored (the record's JSON), for `history.json`.
    public let rawNote: String?
    /// Position from the oldest commit of the history (0 is the root).
    public let position: Int
}

/// The records of one branch's first-parent history and the repository's releases.
public struct SiteHistory: Sendable {
    /// The model's name (from `modelgate.yml` at the tip, else the repository's folder name).
    public let model: String
    /// The branch shown ("main"), or "HEAD" when HEAD is detached.
    public let branch: String
    /// Oldest first.
    public let entries: [SiteEntry]
    /// Every tag that marks a commit, newest first.
    public let releases: [Release]
    /// Notes that could not be read as run records, as (commit, reason); shown, not fatal.
    public let unreadable: [(ObjectID, String)]

    /// The newest entry (the branch tip).
    public var tip: SiteEntry? { entries.last }

    /// Entries that carry a record, oldest first.
    public var evaluated: [SiteEntry] { entries.filter { $0.record != nil } }

    /// Reads the history of `branch` (nil: the branch HEAD is on) from `repository`.
    public static func load(from repository: Repository, branch: String?, model: String? = nil) throws -> SiteHistory {
        let branchName: String
        let tipID: ObjectID
        if let branch {
            do {
                tipID = try repository.resolveCommit("refs/heads/\(branch)")
            } catch {
                throw SiteError.unknownBranch(branch)
            }
            branchName = branch
        } else {
            branchName = (try repository.headBranch) ?? "HEAD"
            guard let head = try repository.head() else { throw SiteError.noCommits }
            tipID = head.id
        }
        var blobs: [ObjectID: ObjectID] = [:]
        for note in try repository.notes(ref: RecordNotes.ref) { blobs[note.target] = note.blob }

        let commits = try repository.firstParentHistory(from: tipID).reversed()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var entries: [SiteEntry] = []
        entries.reserveCapacity(commits.count)
        var unreadable: [(ObjectID, String)] = []
        for (position, commit) in commits.enumerated() {
            var record: RunRecord?
            var raw: String?
            let blob = blobs[commit.id]
            if let blob {
                let data = try repository.blob(blob)
                do {
                    record = try decoder.decode(RunRecord.self, from: data)
                    raw = String(decoding: data, as: UTF8.self)
                } catch {
                    unreadable.append((commit.id, "the note is not a run record (\(error))"))
                }
            }
            entries.append(
                SiteEntry(commit: commit, record: record, noteBlob: record == nil ? nil : blob, rawNote: raw, position: position))
        }
        let name = model ?? modelName(repository: repository, tip: tipID)
        return SiteHistory(
            model: name, branch: branchName, entries: entries,
            releases: try Release.all(in: repository), unreadable: unreadable)
    }

    /// The `name:` of `modelgate.yml` in the tip's tree, else the work tree's folder name.
    static func modelName(repository: Repository, tip: ObjectID) -> String {
        if let entry = try? repository.treeEntries(commit: tip, matching: [PipelineConfig.fileName])
            .first(where: { $0.path == PipelineConfig.fileName }),
            let data = try? repository.blob(entry.id),
            let config = try? ConfigLoader().parse(String(decoding: data, as: UTF8.self))
        {
            return config.name
        }
        let folder = repository.workingDirectory ?? repository.gitDirectory
        return folder.lastPathComponent
    }
}
