import CLibGit2
import Diagnostics
import Foundation

/// An open repository. Owns its `git_repository` and frees it on deinit.
///
/// Not `Sendable`: libgit2 handles must not be used from two threads at once, so each task opens
/// its own `Repository`.
public final class Repository {
    let handle: OpaquePointer

    /// The index file to read instead of the repository's own, or nil for the usual one.
    ///
    /// git runs `pre-commit` for `git commit -a` or `git commit PATH` with `GIT_INDEX_FILE`
    /// naming a temporary index (`.git/index.lock`, `.git/next-index-*.lock`) while `.git/index`
    /// still holds the previous staging; only that file shows what is being committed. So the
    /// initialisers set this from `GIT_INDEX_FILE` when it names a file inside this repository's
    /// git directory (libgit2 itself ignores the variable); an index elsewhere is ignored, so a
    /// variable leaking from some other repository's hook cannot redirect this one.
    public var indexFile: URL?

    /// `GIT_INDEX_FILE` from `environment`, made absolute against `directory` as git does.
    public static func indexFileFromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        relativeTo directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> URL? {
        guard let value = environment["GIT_INDEX_FILE"], !value.isEmpty else { return nil }
        return value.hasPrefix("/")
            ? URL(fileURLWithPath: value) : directory.appendingPathComponent(value).standardizedFileURL
    }

    /// Opens the repository that contains `url`, searching upwards like `git` does.
    ///
    /// Works from any subdirectory, from a linked worktree and from a submodule (where `.git` is
    /// a file). Throws a `GitError` with exit status 2 when no repository contains `url`.
    /// `environment` supplies `GIT_INDEX_FILE` (see `indexFile`).
    public convenience init(
        discoveringFrom url: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        try self.init(path: url.path, searchUpwards: true, environment: environment)
    }

    /// Opens the repository whose work tree or git directory is exactly `url`.
    ///
    /// `environment` supplies `GIT_INDEX_FILE` (see `indexFile`).
    public convenience init(
        at url: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        try self.init(path: url.path, searchUpwards: false, environment: environment)
    }

    private init(path: String, searchUpwards: Bool, environment: [String: String]) throws {
        Libgit2.ensureInitialized()
        var out: OpaquePointer?
        let flags = searchUpwards ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        let code = git_repository_open_ext(&out, path, flags, nil)
        if code < 0 {
            throw Repository.openError(code: code, path: path)
        }
        guard let out else {
            throw GitError(operation: "open repository at \(path)", message: "libgit2 returned no handle")
        }
        handle = out
        try addWorktreeConfigIfEnabled()
        if let candidate = Repository.indexFileFromEnvironment(environment) {
            let gitDirectory = self.gitDirectory.resolvingSymlinksInPath().path + "/"
            let parent = candidate.deletingLastPathComponent().resolvingSymlinksInPath().path + "/"
            if parent.hasPrefix(gitDirectory) { indexFile = candidate }
        }
    }

    deinit { git_repository_free(handle) }

    /// Makes `$GIT_DIR/config.worktree` part of the configuration when `extensions.worktreeConfig`
    /// is on, as git does; libgit2 1.5 ignores that file, so `git config --worktree
    /// core.hooksPath …` would otherwise be missed. It ranks above the repository's own config,
    /// as in git, and writes still go to the repository's config.
    private func addWorktreeConfigIfEnabled() throws {
        let file = gitDirectory.appendingPathComponent("config.worktree")
        guard FileManager.default.fileExists(atPath: file.path),
            try configBool("extensions.worktreeConfig") == true
        else { return }
        var config: OpaquePointer?
        try check(git_repository_config(&config, handle), "read the repository's config")
        // The repository keeps its own reference to this config object; ours is released here.
        defer { git_config_free(config) }
        try check(
            git_config_add_file_ondisk(config, file.path, GIT_CONFIG_LEVEL_APP, handle, 0),
            "read the worktree's config", location: file.path)
    }

    private static func openError(code: Int32, path: String) -> GitError {
        let raw = GitError.last(code: code, operation: "open repository")
        if raw.message.contains("safe.directory") || raw.message.contains("not owned by current user") {
            // libgit2 1.5 words owner validation misleadingly ("config value 'safe.directory' was
            // not found"); say what git itself says instead.
            return GitError(
                operation: "open repository", code: code,
                message: "the repository is owned by another user, so git does not trust it",
                location: path,
                hint: "if you trust it, run: git config --global --add safe.directory '\(path)'",
                exitStatus: .badInput)
        }
        if code == GIT_ENOTFOUND.rawValue {
            let exists = FileManager.default.fileExists(atPath: path)
            return GitError(
                operation: "open repository", code: code,
                message: exists
                    ? "not a git repository (nor any parent directory)"
                    : "no such file or directory",
                location: path,
                hint: "run modelgate inside a git repository, or create one with 'git init'",
                exitStatus: .badInput)
        }
        if raw.message.contains("extensions.objectformat") {
            return GitError(
                operation: "open repository", code: code, message: raw.message, location: path,
                hint: "this repository uses SHA-256 object ids, which libgit2 \(Libgit2.version) cannot read")
        }
        return GitError(
            operation: "open repository", code: code, message: raw.message, location: path,
            hint: "check that '\(path)' is a readable git repository ('git status' there)",
            exitStatus: .failure)
    }

    /// True for a repository without a work tree (`git init --bare`).
    public var isBare: Bool { git_repository_is_bare(handle) == 1 }

    /// True when this is a linked worktree made by `git worktree add`.
    public var isLinkedWorktree: Bool { git_repository_is_worktree(handle) == 1 }

    /// The repository's own git directory (for a linked worktree, `.git/worktrees/NAME`).
    public var gitDirectory: URL { Repository.directoryURL(git_repository_path(handle)) }

    /// The git directory shared by all worktrees: `git rev-parse --git-common-dir`.
    public var commonDirectory: URL { Repository.directoryURL(git_repository_commondir(handle)) }

    /// The top of the work tree, or nil for a bare repository.
    public var workingDirectory: URL? {
        git_repository_workdir(handle).map { Repository.directoryURL($0) }
    }

    /// The work tree, or a `GitError` (exit status 2) saying a bare repository cannot do `purpose`.
    public func requireWorkingDirectory(for purpose: String) throws -> URL {
        guard let workingDirectory else {
            throw GitError(
                operation: purpose, message: "this is a bare repository, which has no work tree",
                location: gitDirectory.path,
                hint: "run the command in a clone with a work tree ('git clone \(gitDirectory.path)')",
                exitStatus: .badInput)
        }
        return workingDirectory
    }

    /// The hooks directory git really uses: `core.hooksPath` when set, else `<common dir>/hooks`.
    ///
    /// A relative `core.hooksPath` is relative to where git runs hooks: the top of the work tree,
    /// or the git directory in a bare repository. This is what `git rev-parse --git-path hooks`
    /// reports.
    public var hooksDirectory: URL {
        get throws {
            if let configured = try configPath("core.hooksPath"), !configured.isEmpty {
                if configured.hasPrefix("/") {
                    return URL(fileURLWithPath: configured, isDirectory: true).standardizedFileURL
                }
                let base = workingDirectory ?? gitDirectory
                return base.appendingPathComponent(configured, isDirectory: true).standardizedFileURL
            }
            return commonDirectory.appendingPathComponent("hooks", isDirectory: true)
        }
    }

    /// The value of a path-valued config key (`~/` expanded), or nil when it is not set.
    public func configPath(_ key: String) throws -> String? {
        try withConfigSnapshot { config in
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            let code = git_config_get_path(&buffer, config, key)
            if code == GIT_ENOTFOUND.rawValue { return nil }
            try check(code, "read config '\(key)'")
            return buffer.ptr.map { String(cString: $0) }
        }
    }

    /// Runs `body` with a read-only snapshot of the repository's configuration (all levels).
    func withConfigSnapshot<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, handle), "read the repository's config")
        guard let config else {
            throw GitError(operation: "read the repository's config", message: "libgit2 returned no handle")
        }
        // The snapshot is ours to free; strings read from it live until then.
        defer { git_config_free(config) }
        return try body(config)
    }

    /// Turns a C directory path (libgit2 ends them with "/") into a directory URL.
    static func directoryURL(_ cPath: UnsafePointer<CChar>) -> URL {
        URL(fileURLWithPath: String(cString: cPath), isDirectory: true).standardizedFileURL
    }
}
