import Foundation
import GitKit

/// The git settings that make run records travel and survive history rewrites in a clone.
///
/// `init` sets them in the repository it creates a pipeline in; every teammate's clone of a
/// repository that already has `modelgate.yml` gets them from `modelgate install`, and
/// `modelgate doctor` names each one that is missing with the command that sets it. Settings
/// are only ever added, never replaced:
/// - `remote.NAME.fetch = +refs/notes/modelgate:refs/notes/remotes/NAME/modelgate` for every
///   remote: a fetch brings the remote's records into a tracking ref of their own (forced
///   there, as branch tracking refs are), so it can never overwrite or lose a local record;
///   `modelgate sync` merges them. The local `refs/notes/modelgate` is never a forced target,
///   and no push refspec is added (one would change what a plain `git push` pushes).
/// - `notes.rewriteRef = refs/notes/modelgate`: amend and rebase copy a commit's record to
///   the rewritten commit.
public struct NotesSetup {
    /// One git setting (a multi-valued key gets the value added).
    public struct Setting: Codable, Equatable, Sendable {
        /// The config key, e.g. `remote.origin.fetch`.
        public var key: String
        /// The value it needs among its values.
        public var value: String
        /// Why it matters, for people.
        public var purpose: String

        /// The command that adds it by hand.
        public var command: String { "git config --add \(key) '\(value)'" }
    }

    let repository: Repository

    /// Makes the setup for `repository`.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The fetch refspec for remote `remote`.
    public static func fetchRefspec(remote: String) -> String {
        "+\(RecordNotes.ref):refs/notes/remotes/\(remote)/modelgate"
    }

    /// Every setting records need here, set or not.
    public func settings() throws -> [Setting] {
        var settings = try repository.remoteNames().map { remote in
            Setting(
                key: "remote.\(remote).fetch", value: Self.fetchRefspec(remote: remote),
                purpose: "'git fetch \(remote)' brings its run records (merged by 'modelgate sync')")
        }
        settings.append(
            Setting(
                key: "notes.rewriteRef", value: RecordNotes.ref,
                purpose: "amend and rebase keep a commit's run record"))
        return settings
    }

    /// The settings that are not there yet.
    public func missing() throws -> [Setting] {
        try settings().filter { try !repository.configValues($0.key).contains($0.value) }
    }

    /// Adds the missing settings to the repository's config; what was added.
    @discardableResult
    public func apply() throws -> [Setting] {
        let missing = try missing()
        for setting in missing { try repository.addConfigValue(setting.key, setting.value) }
        return missing
    }
}
