import Foundation
import GitKit
import Pipeline

/// Finds the artifact of a commit: its run record's `artifact` digest, or a digest given as is.
public struct ArtifactLocator {
    let repository: Repository

    /// Makes a locator for `repository`.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// What a rev names.
    public struct Located {
        /// The artifact.
        public let digest: Digest
        /// The commit, when a rev (not a digest) was given.
        public let commit: ObjectID?
        /// The commit's record, when there is one.
        public let record: RunRecord?
        /// "HEAD (3f2a9c1)" or the digest, for messages.
        public let subject: String
    }

    /// Resolves `rev` (a commit, or `sha256:…`) to its artifact; bad input (exit 2) when there is none.
    public func locate(_ rev: String) throws -> Located {
        if rev.hasPrefix("sha256:") {
            guard let digest = Digest(rev) else {
                throw ArtifactError(
                    "'\(rev)' is not a sha256 digest", location: rev, hint: "write sha256: and 64 hex digits",
                    exitStatus: .badInput)
            }
            return Located(digest: digest, commit: nil, record: nil, subject: digest.short)
        }
        let commit = try repository.resolveCommit(rev)
        let subject = "\(rev) (\(commit.short))"
        // The note, or for a commit made after a staged run, the cached verdict of its inputs.
        guard let record = try PipelineInspector(repository: repository).record(for: .revision(commit.hex))
        else {
            throw ArtifactError(
                "\(subject) has not been evaluated, so it has no artifact", location: rev,
                hint: "run 'modelgate run --rev \(commit.short)'", exitStatus: .badInput)
        }
        guard record.verdict == .pass else {
            throw ArtifactError(
                "\(subject) has no artifact: its verdict is \(record.verdict.rawValue)", location: rev,
                hint: "only passing runs are stored; see 'modelgate show \(commit.short)'",
                exitStatus: .badInput)
        }
        guard let text = record.artifact, let digest = Digest(text) else {
            throw ArtifactError(
                "\(subject) passed but its record names no artifact (it was evaluated without storing outputs)",
                location: rev, hint: "store one with 'modelgate run --rev \(commit.short) --force'",
                exitStatus: .badInput)
        }
        return Located(digest: digest, commit: commit, record: record, subject: subject)
    }
}
