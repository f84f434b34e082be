import Foundation
import GitKit

/// The git settings that make run records travel and survive history rewrites in a clone.
///
/// `init` sets them in the repository it creates a pipeline in; every teammate's clone of a
/// repository that already has `modelgate.yml` gets them from `modelgate install`, and
/// `modelgate doctor` names each one that is missing with the command that sets it. The user's
/// own settings are never replaced; only refspecs an older modelgate wrote are swapped for the
/// current one:
/// - `remote.NAME.fetch = +refs/notes/modelgate*:refs/notes/remotes/NAME/modelgate*` for every
///   remote: a fetch brings every modelgate notes ref the remote has (run records, superseded
///   records, signatures, deployments) into a tracking ref of its own, named as
///   `NotesSync.trackingRef` names it (forced there, as branch tracking refs are), so it can
///   never overwrite or lose a local note; `modelgate sync` merges them, and `DeploymentLog`
///   reads the deployments one directly. It is one pattern, not an exact refspec per ref,
///   because git fails a whole fetch when an exact refspec's source is missing on the remote
///   (a new remote has no notes until someone pushes records), while a pattern that matches
///   nothing is fine; and one pattern maps each source once, where separate patterns would
///   overlap (`modelgate*` also matches `modelgate-deployments`). Other names it could match
///   land in the same tracking namespace and are never read. The local `refs/notes/modelgate…`
///   refs are never a forced target, and no push refspec is added (one would change what a
///   plain `git push` pushes).
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
        /// Values an older modelgate wrote for the same purpose, removed when this one is added.
        public var replaces: [String] = []

        /// The command that sets it by hand (removing what it replaces first).
        public var command: String {
            let removals = replaces.map { "git config --fixed-value --unset-all \(key) '\($0)' ; " }
            return removals.joined() + "git config --add \(key) '\(value)'"
        }
    }

    let repository: Repository

    /// Makes the setup for `repository`.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The fetch refspec of every modelgate notes ref for remote `remote`.
    public static func fetchRefspec(remote: String) -> String {
        "+\(RecordNotes.ref)*:refs/notes/remotes/\(remote)/modelgate*"
    }

    /// The fetch refspecs older modelgate versions wrote for `remote`: the exact records one
    /// (which fails every fetch while the remote has no records) and the deployments pattern
    /// (which `fetchRefspec` covers).
    public static func outdatedRefspecs(remote: String) -> [String] {
        [
            "+\(RecordNotes.ref):refs/notes/remotes/\(remote)/modelgate",
            "+\(DeploymentLog.ref)*:refs/notes/remotes/\(remote)/modelgate-deployments*",
        ]
    }

    /// Every setting records need here, set or not.
    public func settings() throws -> [Setting] {
        var settings: [Setting] = []
        for remote in try repository.remoteNames() {
            settings.append(
                Setting(
                    key: "remote.\(remote).fetch", value: Self.fetchRefspec(remote: remote),
                    purpose:
                        "'git fetch \(remote)' brings its run records, signatures and deployment records (merged by 'modelgate sync'), and never fails while it has none",
                    replaces: Self.outdatedRefspecs(remote: remote)))
        }
        settings.append(
            Setting(
                key: "notes.rewriteRef", value: RecordNotes.ref,
                purpose: "amend and rebase keep a commit's run record"))
        return settings
    }

    /// The settings that are not there yet, or still next to a value they replace (`replaces`
    /// then lists only the replaced values that are there).
    public func missing() throws -> [Setting] {
        try settings().compactMap { setting in
            let values = try repository.configValues(setting.key)
            var missing = setting
            missing.replaces = setting.replaces.filter(values.contains)
            return values.contains(setting.value) && missing.replaces.isEmpty ? nil : missing
        }
    }

    /// Adds the missing settings to the repository's config, removing the values they replace
    /// (only those exact values); what was added. Running it again changes nothing.
    @discardableResult
    public func apply() throws -> [Setting] {
        let missing = try missing()
        for setting in missing {
            for old in setting.replaces { try repository.removeConfigValue(setting.key, old) }
            if try !repository.configValues(setting.key).contains(setting.value) {
                try repository.addConfigValue(setting.key, setting.value)
            }
        }
        return missing
    }
}
