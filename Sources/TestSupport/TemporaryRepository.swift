import Foundation
import GitKit

/// A real git repository in its own temporary directory, removed when released.
///
/// Commits made through `git(_:)` and `commit(files:message:)` use a fixed author, committer and
/// date, and ignore the user's global and system git config, so commit ids are stable.
public final class TemporaryRepository {
    /// The temporary directory holding the repository (and anything else a test puts beside it).
    public let directory: TemporaryDirectory
    /// The work tree (or, for a bare repository, the git directory).
    public let url: URL

    /// Author and committer for every commit made through this type.
    public static let identity = (name: "Ada Tester", email: "ada@example.com")
    /// Seconds since the epoch of the first commit; each later commit is one minute later.
    public static let epoch = 1_767_225_600  // 2026-01-01T00:00:00Z

    private var clock = 0

    /// Runs `git init` (on branch `main`) in a fresh temporary directory.
    public init(bare: Bool = false) throws {
        directory = try TemporaryDirectory(prefix: "modelgate-repo")
        url = directory.appending(bare ? "repo.git" : "repo")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try git(["init", "--quiet", "--initial-branch=main"] + (bare ? ["--bare"] : []))
    }

    /// Opens the repository with GitKit (a new handle each call; handles are not shared).
    public func open() throws -> Repository {
        try Repository(at: url)
    }

    /// The environment every git child gets: fixed identity and dates, no user or system config.
    public func gitEnvironment() -> [String: String] {
        let date = "@\(Self.epoch + clock * 60) +0000"
        return [
            "GIT_AUTHOR_NAME": Self.identity.name, "GIT_AUTHOR_EMAIL": Self.identity.email,
            "GIT_COMMITTER_NAME": Self.identity.name, "GIT_COMMITTER_EMAIL": Self.identity.email,
            "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
        ]
    }

    /// Runs `git` in `directory` (the work tree by default) and returns its output; throws if it fails.
    @discardableResult
    public func git(
        _ arguments: [String], in directory: URL? = nil, input: String? = nil,
        environment: [String: String] = [:]
    ) throws -> String {
        let result = try gitResult(arguments, in: directory, input: input, environment: environment)
        guard result.status == 0 else {
            throw TestFailure(
                "git \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.output
    }

    /// Runs `git` and returns the whole result, whatever its exit status.
    public func gitResult(
        _ arguments: [String], in directory: URL? = nil, input: String? = nil,
        environment: [String: String] = [:]
    ) throws -> ProcessResult {
        try ProcessRunner.run(
            "git", arguments, in: directory ?? url,
            environment: gitEnvironment().merging(environment) { _, new in new }, input: input)
    }

    /// Writes files (paths relative to the work tree; parent directories are created).
    public func write(_ files: [String: String]) throws {
        for (path, contents) in files {
            let file = url.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: file)
        }
    }

    /// Reads a file of the work tree as UTF-8.
    public func read(_ path: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(path), encoding: .utf8)
    }

    /// Writes `files` and stages them without committing (what a pre-commit hook sees).
    public func stage(_ files: [String: String]) throws {
        try write(files)
        if !files.isEmpty { try git(["add", "--"] + files.keys.sorted()) }
    }

    /// Runs `git worktree add` for a new branch `branch` beside the repository; returns its top.
    @discardableResult
    public func addWorktree(named name: String, branch: String) throws -> URL {
        let worktree = directory.appending(name)
        try git(["worktree", "add", "--quiet", "-b", branch, worktree.path])
        return worktree
    }

    /// Creates an empty bare repository beside this one and adds it as remote `name`; returns its path.
    @discardableResult
    public func addBareRemote(named name: String = "origin") throws -> URL {
        let remote = directory.appending("\(name).git")
        try git(["init", "--quiet", "--bare", "--initial-branch=main", remote.path])
        try git(["remote", "add", name, remote.path])
        return remote
    }

    /// Writes `files`, stages them and commits; returns the new commit's full id.
    @discardableResult
    public func commit(files: [String: String] = [:], message: String) throws -> String {
        try write(files)
        if !files.isEmpty { try git(["add", "--"] + files.keys.sorted()) }
        clock += 1
        try git(["commit", "--quiet", "--allow-empty", "-m", message])
        return try git(["rev-parse", "HEAD"])
    }
}

/// A failure in test set-up, with the reason.
public struct TestFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    /// Makes a failure with a description.
    public init(_ description: String) { self.description = description }
}
