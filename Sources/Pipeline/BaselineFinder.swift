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

    /// The release (a tag `ReleaseTag` reads as one; unreadable tags never count) on the newest
    /// commit, by committer date, that `start` reaches and that has a passing record. Newest
    /// first, so the ancestry walk runs only until the first match.
    private mutating func latestRelease(reachableFrom start: ObjectID) throws -> (ObjectID, RunRecord)? {
        var seen = Set<ObjectID>()
        var candidates: [(commit: ObjectID, date: Date, order: Int)] = []
        for tag in try ReleaseTag.all(in: repository).tags where tag.isRelease {
            guard seen.insert(tag.commit).inserted else { continue }
            let date = try repository.commit(tag.commit).committer.date
            candidates.append((tag.commit, date, candidates.count))
        }
        candidates.sort { $0.date != $1.date ? $0.date > $1.date : $0.order < $1.order }
        for candidate in candidates {
            let target = candidate.commit
            guard try target == start || repository.isAncestor(target, of: start),
                let record = try records.readableRecord(on: target), record.verdict == .pass
            else { continue }
            return (target, record)
        }
        return nil
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
