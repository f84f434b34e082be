import Foundation
import GitKit

/// Finds the run a candidate's change bounds compare against, as the config's `baseline:` says.
struct BaselineFinder {
    var records: CommitRecords
    /// How far back the ancestor search looks before giving up.
    var searchLimit = 1000

    private var repository: Repository { records.repository }

    /// The baseline commit and its record, or nil when there is none.
    ///
    /// `start` is the first commit to consider: the candidate's first parent for a commit, or HEAD
    /// for a staged run (the parent-to-be).
    mutating func find(_ policy: BaselinePolicy, from start: ObjectID?) throws -> (ObjectID, RunRecord)? {
        switch policy {
        case .ancestor:
            guard let start else { return nil }
            return try nearestPassing(from: start)
        case .branch(let name):
            guard let tip = try? repository.resolveCommit("refs/heads/\(name)") else { return nil }
            return try nearestPassing(from: tip)
        case .release:
            guard let start else { return nil }
            return try latestRelease(reachableFrom: start)
        }
    }

    /// The release (a tag `ReleaseTag` reads as one; unreadable tags never count) on the
    /// newest commit `start` reaches that has a passing record. One walk of the history, newest
    /// commit time first, stops at the first such commit or once every release was passed (a
    /// check per tag walked the history once per tag: 1,000 tags made `status` take a second).
    private mutating func latestRelease(reachableFrom start: ObjectID) throws -> (ObjectID, RunRecord)? {
        var releases = Set(try ReleaseTag.all(in: repository).tags.filter(\.isRelease).map(\.commit))
        var found: (ObjectID, RunRecord)?
        guard !releases.isEmpty else { return nil }
        try repository.visitAncestors(of: start) { commit in
            guard releases.remove(commit) != nil else { return true }
            if let record = try records.readableRecord(on: commit), record.verdict == .pass {
                found = (commit, record)
                return false
            }
            return !releases.isEmpty
        }
        return found
    }

    private mutating func nearestPassing(from start: ObjectID) throws -> (ObjectID, RunRecord)? {
        for commit in try repository.firstParentHistory(from: start, limit: searchLimit) {
            if let record = try records.readableRecord(on: commit.id), record.verdict == .pass {
                return (commit.id, record)
            }
        }
        return nil
    }
}
