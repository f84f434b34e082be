import Diagnostics
import Foundation
import GitKit

/// What a run evaluates. Always explicit: a commit, the staged index, or (opt-in) the work tree.
public enum EvaluationSource: Sendable, Equatable {
    /// A commit, by any rev git understands (`HEAD~2`, a tag, a short id).
    case revision(String)
    /// The index, as `git commit` would record it.
    case staged
    /// The index, as `git commit --amend` would record it: replacing HEAD, so HEAD's first
    /// parent is the parent-to-be (and where a baseline search starts).
    case amend
    /// The files in the work tree, for iterating before staging.
    case worktree

    /// "rev", "staged" or "worktree", as stored in records.
    public var label: String {
        switch self {
        case .revision: return "rev"
        case .staged, .amend: return "staged"
        case .worktree: return "worktree"
        }
    }

    /// True for the index, amending or not.
    public var isStaged: Bool { self == .staged || self == .amend }
}

/// A resolved source: the files it holds (path → blob id), and how to lay them out for stages.
struct EvaluatedTree {
    let source: EvaluationSource
    /// The commit, for `.revision`.
    let commit: ObjectID?
    /// The tree id (for staged runs, the tree the index would commit).
    let tree: ObjectID?
    /// Every file path in order (for the work tree: tracked files, whether or not still on disk).
    let paths: [String]
    /// Blob ids from the commit or the index.
    private let recordedIDs: [String: ObjectID]
    /// The symbolic links of the commit or the index, by path (their blobs hold the targets).
    private let links: [String: ObjectID]
    /// The repository's work tree, for `.worktree`.
    let workingDirectory: URL?
    /// Remembers the ids of work-tree files by their stat data, for `.worktree`.
    private let statCache: StatCache?
    /// The stat data of each work-tree file when its id was taken, for `.worktree`: a file that
    /// differs when it is copied changed after it was fingerprinted.
    private let observed = ObservedFiles()
    private let repository: Repository

    /// Resolves `source` in `repository`.
    init(_ source: EvaluationSource, in repository: Repository, statCache: StatCache? = nil) throws {
        self.source = source
        self.repository = repository
        switch source {
        case .revision(let rev):
            let commit = try repository.resolveCommit(rev)
            self.commit = commit
            tree = try repository.commit(commit).treeID
            let entries = try repository.treeEntries(commit: commit).filter { $0.mode != .gitlink }
            recordedIDs = Dictionary(
                entries.map { ($0.path, $0.id) }, uniquingKeysWith: { first, _ in first })
            links = Self.links(entries.map { ($0.path, $0.id, $0.mode) })
            paths = entries.map(\.path)
            workingDirectory = nil
            self.statCache = nil
        case .staged, .amend:
            _ = try repository.requireWorkingDirectory(for: "evaluate the staged files")
            commit = nil
            // One snapshot of the index: the tree it would commit. Ids, fingerprint and checkout
            // all come from this tree, so a `git add` during the run cannot mix two states.
            let snapshot = try repository.indexTreeID()
            tree = snapshot
            let entries = try repository.treeEntries(tree: snapshot).filter { $0.mode != .gitlink }
            recordedIDs = Dictionary(
                entries.map { ($0.path, $0.id) }, uniquingKeysWith: { first, _ in first })
            links = Self.links(entries.map { ($0.path, $0.id, $0.mode) })
            paths = entries.map(\.path)
            workingDirectory = nil
            self.statCache = nil
        case .worktree:
            workingDirectory = try repository.requireWorkingDirectory(for: "evaluate the work tree")
            commit = nil
            tree = nil
            let entries = try repository.indexEntries().filter {
                $0.mode != .gitlink && $0.stage == 0 && !$0.isIntentToAdd
            }
            recordedIDs = Dictionary(
                entries.map { ($0.path, $0.id) }, uniquingKeysWith: { first, _ in first })
            links = [:]  // the work tree's own links are read from disk
            paths = entries.map(\.path)
            self.statCache = statCache ?? StatCache(repository: repository)
        }
    }

    private static func links(_ entries: [(String, ObjectID, FileMode)]) -> [String: ObjectID] {
        var links: [String: ObjectID] = [:]
        for (path, id, mode) in entries where mode == .symlink { links[path] = id }
        return links
    }

    /// A short description for messages: "HEAD (3f2a9c1)", "the staged files", "the work tree".
    var description: String {
        switch source {
        case .revision(let rev):
            guard let commit else { return rev }
            return commit.hex.hasPrefix(rev.lowercased()) ? commit.short : "\(rev) (\(commit.short))"
        case .staged: return "the staged files"
        case .amend: return "the staged files (amending HEAD)"
        case .worktree: return "the work tree"
        }
    }

    /// The paths matching `pattern` (a glob, or a plain path).
    ///
    /// In the work tree, tracked files deleted from disk are left out, and untracked or ignored
    /// files matching the pattern are included: data often lives outside git. A match that is a
    /// symbolic link leading outside the repository is refused (`ConfigError`), in every source.
    func paths(matching pattern: String) throws -> [String] {
        let glob = PathPattern(pattern)
        let tracked = paths.filter { glob.matches($0) }
        guard let workingDirectory else {
            for path in tracked where links[path] != nil { _ = try resolve(path) }
            return tracked
        }
        let present = tracked.filter { Self.exists(workingDirectory.appendingPathComponent($0)) }
        let untracked = try files(under: workingDirectory, matching: glob).filter { recordedIDs[$0] == nil }
        let found = present + untracked
        for path in found where Self.isLink(workingDirectory.appendingPathComponent(path)) {
            _ = try resolve(path)
        }
        return found
    }

    /// `path` with the symbolic links it passes through in this source replaced by their
    /// targets; a `ConfigError` when one leads outside the repository.
    func resolve(_ path: String) throws -> String {
        if let workingDirectory { return try ContainedDirectory(root: workingDirectory).resolve(path) }
        return try RepositoryPath.resolveConfigured(path) { prefix in
            guard let id = links[prefix] else { return nil }
            // A crafted tree can store anything as a link; no real target is longer than PATH_MAX.
            let size = try repository.blobSize(id)
            guard size <= PATH_MAX else {
                throw RepositoryPath.Escape(link: prefix, target: "(\(size) bytes)")
            }
            return String(decoding: try repository.blob(id), as: UTF8.self)
        }
    }

    /// The blob id of `path` in this source; for the work tree, computed only when the file is not
    /// provably what the index holds.
    func id(of path: String) throws -> ObjectID? {
        guard let workingDirectory, let statCache else { return recordedIDs[path] }
        observed.note(path, workingDirectory.appendingPathComponent(path))
        if recordedIDs[path] != nil, try repository.workingFileMatchesIndex(path: path) {
            return recordedIDs[path]
        }
        return try statCache.id(of: workingDirectory.appendingPathComponent(path), path: path)
    }

    /// The `modelgate.yml` of this source, parsed and validated; every path it names is checked
    /// against this source's symbolic links.
    func loadConfig() throws -> PipelineConfig {
        guard
            let data = try contents(
                of: PipelineConfig.fileName, in: repository, atMost: ConfigLoader.maxBytes)
        else {
            throw ConfigError(
                "\(description) has no \(PipelineConfig.fileName)", file: PipelineConfig.fileName, at: nil,
                hint: source.isStaged
                    ? "run 'modelgate init' and 'git add \(PipelineConfig.fileName)'"
                    : "run 'modelgate init' and commit \(PipelineConfig.fileName)")
        }
        let config = try ConfigLoader.parse(data, cachingIn: repository)
        for stage in config.stages {
            for path in stage.configuredPaths {
                do {
                    _ = try resolve(path)
                } catch let error as ConfigError {
                    throw error.located(at: stage.position, in: PipelineConfig.fileName)
                }
            }
        }
        return config
    }

    /// The content of `path` as it is in this source; nil when there is no such file. In the work
    /// tree it is read without leaving the repository; more than `limit` bytes is a `ConfigError`,
    /// raised before the content is read.
    func contents(of path: String, in repository: Repository, atMost limit: Int = .max) throws -> Data? {
        if let workingDirectory {
            guard let file = try ContainedDirectory(root: workingDirectory).open(path), file.kind == .file
            else {
                return nil
            }
            let data = try file.read(atMost: limit)
            guard data.count <= limit else { throw ConfigError(.tooLarge(limit: limit), file: path, at: nil) }
            return data
        }
        guard let id = recordedIDs[path] else { return nil }
        if limit < .max, try repository.blobSize(id) > limit {
            throw ConfigError(.tooLarge(limit: limit), file: path, at: nil)
        }
        return try repository.blob(id)
    }

    /// Writes the source's files (and, for the work tree, `extraPaths`) into `directory` without
    /// touching the user's work tree or index.
    func materialize(into directory: URL, from repository: Repository, extraPaths: [String] = []) throws {
        switch source {
        case .revision:
            try repository.export(commit: commit!, to: directory)
        case .staged, .amend:
            try repository.export(tree: tree!, to: directory)
        case .worktree:
            // Stages write outputs; copying keeps them out of the user's work tree.
            for path in Set(paths + extraPaths).sorted() {
                let source = workingDirectory!.appendingPathComponent(path)
                guard Self.exists(source) else {
                    // Fingerprinted and now gone: the stages would run without it.
                    if observed.changed(path, source) { throw Self.changedDuringRun(path) }
                    continue
                }
                let target = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: source, to: target)
                if observed.changed(path, source) { throw Self.changedDuringRun(path) }
            }
        }
    }

    private static func changedDuringRun(_ path: String) -> StageFailure {
        StageFailure(
            "'\(path)' changed while modelgate was evaluating the work tree", location: path,
            hint: "nothing was recorded; run 'modelgate run --worktree' again once the file is written")
    }

    private static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    /// Files below the pattern's literal directory prefix that match it (skipping `.git`); the
    /// prefix itself must not lead outside the repository.
    private func files(under root: URL, matching glob: PathPattern) throws -> [String] {
        let base = glob.literalDirectory
        if !base.isEmpty { _ = try resolve(base) }
        let start = base.isEmpty ? root : root.appendingPathComponent(base)
        guard let walker = FileManager.default.enumerator(atPath: start.path) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative == ".git" || relative.hasPrefix(".git/") {
                walker.skipDescendants()
                continue
            }
            let path = base.isEmpty ? relative : "\(base)/\(relative)"
            if glob.matches(path), !Self.isDirectory(root.appendingPathComponent(path)) { found.append(path) }
        }
        return found
    }

    private static func isLink(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }
}

/// The stat data of work-tree files at the moment their ids were taken.
final class ObservedFiles {
    private struct Stamp: Equatable {
        var size: Int64
        var mtime: timespec
        var ctime: timespec
        var inode: UInt64

        init?(_ url: URL) {
            var info = stat()
            guard lstat(url.path, &info) == 0 else { return nil }
            size = Int64(info.st_size)
            mtime = info.st_mtim
            ctime = info.st_ctim
            inode = UInt64(info.st_ino)
        }

        static func == (one: Stamp, other: Stamp) -> Bool {
            one.size == other.size && one.inode == other.inode
                && one.mtime.tv_sec == other.mtime.tv_sec && one.mtime.tv_nsec == other.mtime.tv_nsec
                && one.ctime.tv_sec == other.ctime.tv_sec && one.ctime.tv_nsec == other.ctime.tv_nsec
        }
    }

    private var stamps: [String: Stamp] = [:]

    /// Remembers `path`'s stat data (the first time it is asked for).
    func note(_ path: String, _ url: URL) {
        if stamps[path] == nil, let stamp = Stamp(url) { stamps[path] = stamp }
    }

    /// True when `path` was noted and its stat data is no longer what it was.
    func changed(_ path: String, _ url: URL) -> Bool {
        guard let before = stamps[path] else { return false }
        return Stamp(url) != before
    }
}
