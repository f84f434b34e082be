import Diagnostics
import Foundation
import GitKit

/// What a run evaluates. Always explicit: a commit, the staged index, or (opt-in) the work tree.
public enum EvaluationSource: Sendable, Equatable {
    /// A commit, by any rev git understands (`HEAD~2`, a tag, a short id).
    case revision(String)
    /// The index, as `git commit` would record it.
    case staged
    /// The files in the work tree, for iterating before staging.
    case worktree

    /// "rev", "staged" or "worktree", as stored in records.
    public var label: String {
        switch self {
        case .revision: return "rev"
        case .staged: return "staged"
        case .worktree: return "worktree"
        }
    }
}

/// A resolved source: the files it holds (path → blob id), and how to lay them out for stages.
struct EvaluatedTree {
    let source: EvaluationSource
    /// The commit, for `.revision`.
    let commit: ObjectID?
    /// The tree id (for staged runs, the tree the index would commit).
    let tree: ObjectID?
    /// Every file path → its blob id (work-tree files are hashed as git would).
    let files: [String: ObjectID]
    /// Every file path in order.
    let paths: [String]
    /// The repository's work tree, for `.worktree`.
    let workingDirectory: URL?

    /// Resolves `source` in `repository`.
    init(_ source: EvaluationSource, in repository: Repository) throws {
        self.source = source
        switch source {
        case .revision(let rev):
            let commit = try repository.resolveCommit(rev)
            self.commit = commit
            tree = try repository.commit(commit).treeID
            let entries = try repository.treeEntries(commit: commit).filter { $0.mode != .gitlink }
            files = Dictionary(entries.map { ($0.path, $0.id) }, uniquingKeysWith: { first, _ in first })
            paths = entries.map(\.path)
            workingDirectory = nil
        case .staged:
            _ = try repository.requireWorkingDirectory(for: "evaluate the staged files")
            commit = nil
            tree = try repository.indexTreeID()
            let entries = try repository.indexEntries().filter { $0.mode != .gitlink && $0.stage == 0 }
            files = Dictionary(entries.map { ($0.path, $0.id) }, uniquingKeysWith: { first, _ in first })
            paths = entries.map(\.path)
            workingDirectory = nil
        case .worktree:
            let root = try repository.requireWorkingDirectory(for: "evaluate the work tree")
            commit = nil
            tree = nil
            // Tracked files as they are on disk now; the stat check avoids hashing unchanged files.
            var files: [String: ObjectID] = [:]
            var paths: [String] = []
            for entry in try repository.indexEntries() where entry.mode != .gitlink && entry.stage == 0 {
                let url = root.appendingPathComponent(entry.path)
                guard let data = FileManager.default.contents(atPath: url.path) else { continue }
                files[entry.path] =
                    try repository.workingFileMatchesIndex(path: entry.path)
                    ? entry.id : try repository.hashBlob(data)
                paths.append(entry.path)
            }
            self.files = files
            self.paths = paths
            workingDirectory = root
        }
    }

    /// A short description for messages: "HEAD (3f2a9c1)", "the staged files", "the work tree".
    var description: String {
        switch source {
        case .revision(let rev): return "\(rev) (\(commit?.short ?? "?"))"
        case .staged: return "the staged files"
        case .worktree: return "the work tree"
        }
    }

    /// The paths matching `pattern` (a glob, or a plain path).
    func paths(matching pattern: String) -> [String] {
        let glob = PathPattern(pattern)
        return paths.filter { glob.matches($0) }
    }

    /// The content of `path` as it is in this source.
    func contents(of path: String, in repository: Repository) throws -> Data? {
        if let workingDirectory {
            return FileManager.default.contents(atPath: workingDirectory.appendingPathComponent(path).path)
        }
        guard let id = files[path] else { return nil }
        return try repository.blob(id)
    }

    /// Writes the source's files into `directory` without touching the user's work tree or index.
    func materialize(into directory: URL, from repository: Repository) throws {
        switch source {
        case .revision:
            try repository.export(commit: commit!, to: directory)
        case .staged:
            try repository.exportIndex(to: directory)
        case .worktree:
            // Stages write outputs; copying keeps them out of the user's work tree.
            for path in paths {
                let target = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: workingDirectory!.appendingPathComponent(path), to: target)
            }
        }
    }
}
