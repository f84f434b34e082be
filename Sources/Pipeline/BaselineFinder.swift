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
            var best: (ObjectID, RunRecord, Date)?
            for tag in try repository.tags() {
                let target = tag.targetID
                let reachable = try target == start || repository.isAncestor(target, of: start)
                guard reachable, let record = try records.readableRecord(on: target), record.verdict == .pass
                else {
                    continue
                }
                let date = try repository.commit(target).committer.date
                if best == nil || date > best!.2 { best = (target, record, date) }
            }
            return best.map { ($0.0, $0.1) }
        }
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
