import Foundation
import GitKit

/// What `modelgate hook post-commit` does: the verdict the pre-commit hook reached on the staged
/// files becomes the new commit's run record, so the site and teammates (after `sync`) see it at once.
///
/// The pre-commit check leaves a marker (`<common dir>/modelgate/post-commit.pending`) only when
/// it judged the staged files and let the commit through; the shim exits at once when there is
/// none, so a commit that pre-commit did not evaluate costs one file test. With the marker, the
/// new HEAD's inputs are fingerprinted and the cached measurements of exactly those inputs are
/// judged with the commit's gates and written as its note (`CommitRecords`): a commit whose
/// inputs differ from what was judged (the commit was made some other way) gets nothing. The
/// marker is removed first, so a failure never repeats on later commits.
///
/// An amend gets no note here: right after post-commit, git copies the replaced commit's note to
/// the new commit (`notes.rewriteRef`) and, finding one there already, would concatenate the two
/// into a text no reader accepts. The copied record names the old inputs' fingerprint, which
/// every verdict check compares, so the next run or pre-push replaces it with the amend's
/// verdict (found by fingerprint, not retrained). Without the hook
/// (installed before it existed, or `--no-verify`), the next `modelgate run`, `status --rev` or
/// pre-push finds the same verdict by fingerprint; nothing is lost, only shown later.
public struct PostCommitRecord {
    let repository: Repository

    /// Makes the step for `repository`.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The marker file the pre-commit check leaves.
    public static func pendingURL(_ repository: Repository) -> URL {
        repository.commonDirectory.appendingPathComponent("modelgate/post-commit.pending")
    }

    /// Leaves the marker for the commit being made (its text is the fingerprint, for people).
    func expect(_ record: RunRecord) {
        // Best effort: without the marker the verdict is still found by fingerprint later.
        try? AtomicFile.write(Data((record.fingerprint + "\n").utf8), to: Self.pendingURL(repository))
    }

    /// Attaches the pending verdict to HEAD; the record written, or nil when there was nothing to
    /// do. `amending`: the commit replaced HEAD (see the type's summary).
    public func attach(amending: Bool) throws -> RunRecord? {
        let marker = Self.pendingURL(repository)
        guard FileManager.default.fileExists(atPath: marker.path) else { return nil }
        try? FileManager.default.removeItem(at: marker)
        guard !amending else { return nil }
        guard let head = try repository.head()?.id else { return nil }
        let notes = RecordNotes(repository: repository)
        if try notes.read(on: head) != nil { return nil }
        var records = CommitRecords(repository: repository, persist: true)
        records.fingerprintBudget = 1
        return try records.readableRecord(on: head)
    }
}
