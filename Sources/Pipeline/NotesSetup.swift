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
/// - `remote.NAME.fetch = +refs/notes/modelgate-deployments*:refs/notes/remotes/NAME/modelgate-deployments*`
///   the same way for deployment records (`DeploymentLog`, which reads the tracking refs too, so
///   a plain fetch shows a teammate's deployments; `sync` unions them into the local ref). It is
///   a pattern because git fails a whole fetch when an exact refspec's source is missing on the
///   remote, and most remotes have no deployments for a while; a pattern that matches nothing
///   is fine. (Other names it could match are fetched but never read.)
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

    /// The fetch refspec of deployment records for remote `remote`.
    public static func deploymentsRefspec(remote: String) -> String {
        "+\(DeploymentLog.ref)*:refs/notes/remotes/\(remote)/modelgate-deployments*"
    }

    /// Every setting records need here, set or not.
    public func settings() throws -> [Setting] {
        var settings: [Setting] = []
        for remote in try repository.remoteNames() {
            settings.append(
                Setting(
                    key: "remote.\(remote).fetch", value: Self.fetchRefspec(remote: remote),
                    purpose: "'git fetch \(remote)' brings its run records (merged by 'modelgate sync')"))
            settings.append(
                Setting(
                    key: "remote.\(remote).fetch", value: Self.deploymentsRefspec(remote: remote),
                    purpose: "'git fetch \(remote)' brings its deployment records"))
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
