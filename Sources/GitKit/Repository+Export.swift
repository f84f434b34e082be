import CLibGit2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Repository {
    /// Writes `commit`'s files into `directory`, which must be empty or not exist yet.
    ///
    /// Files get their committed bytes (no smudge filters or line-ending conversion, so Git LFS
    /// files stay pointers), executables their executable bit and symlinks become symlinks.
    /// A work-tree file that git's stat check says holds the same blob is copied instead of
    /// inflating the blob (see `CleanWorkTreeFiles`); the bytes are the same either way.
    /// Submodules (gitlinks) are skipped. Nothing in the repository changes: not the work tree,
    /// the index, HEAD or the stash. Blobs are streamed to disk, so loose objects are copied
    /// with bounded memory (see `streamBlob`). Returns what was written, in tree order.
    @discardableResult
    public func export(commit: ObjectID, to directory: URL) throws -> [TreeEntry] {
        let entries = try treeEntries(commit: commit)
        try write(entries, to: directory)
        return entries.filter { $0.mode != .gitlink }
    }

    /// Writes tree `treeID`'s files into `directory`, as `export(commit:to:)` does for a commit;
    /// with the tree `indexTreeID()` wrote, this is exactly a snapshot of the staged files.
    @discardableResult
    public func export(tree treeID: ObjectID, to directory: URL) throws -> [TreeEntry] {
        let entries = try treeEntries(tree: treeID)
        try write(entries, to: directory)
        return entries.filter { $0.mode != .gitlink }
    }

    /// Writes the staged files into `directory` (empty or absent), as `export(commit:to:)` does for a commit.
    ///
    /// This is what `git commit` would record, whatever the work tree holds. Intent-to-add paths
    /// have no staged content and are skipped, as `git write-tree` does; unresolved conflicts are
    /// a `GitError` (exit 2).
    @discardableResult
    public func exportIndex(to directory: URL) throws -> [TreeEntry] {
        let staged = try indexEntries()
        if let conflicted = staged.first(where: { $0.stage != 0 }) {
            throw GitError(
                operation: "export the staged files", message: "the index has unresolved merge conflicts",
                location: conflicted.path, hint: "resolve the conflicts and 'git add' the files first",
                exitStatus: .badInput)
        }
        let entries = staged.filter { !$0.isIntentToAdd }.map {
            TreeEntry(path: $0.path, id: $0.id, mode: $0.mode)
        }
        try write(entries, to: directory)
        return entries.filter { $0.mode != .gitlink }
    }

    private func write(_ entries: [TreeEntry], to directory: URL) throws {
        do {
            try writeUnchecked(entries, to: directory)
        } catch let error as GitError {
            throw error
        } catch {
            // File-system failures (disk full, permissions) reach the user as what they are.
            throw GitError(
                operation: "export files", message: error.localizedDescription, location: directory.path,
                hint: "check that '\(directory.path)' is writable and the disk is not full")
        }
    }

    private func writeUnchecked(_ entries: [TreeEntry], to directory: URL) throws {
        let fileManager = FileManager.default
        let root = directory.standardizedFileURL
        if fileManager.fileExists(atPath: root.path) {
            let existing = try fileManager.contentsOfDirectory(atPath: root.path)
            guard existing.isEmpty else {
                throw GitError(
                    operation: "export files", message: "the destination directory is not empty",
                    location: root.path, hint: "export into a new or empty directory",
                    exitStatus: .badInput)
            }
        } else {
            try fileManager.createDirectory(at: root, withIntermediateDirectories: true)
        }
        var symlinks: Set<String> = []
        // Read the index only when there is a file to write; bare repositories have none.
        lazy var workTree = CleanWorkTreeFiles(self)
        for entry in entries where entry.mode != .gitlink {
            let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            // A crafted tree can name "..", ".git" or an absolute path; never write outside
            // `directory`, and never write through a symlink exported a moment ago.
            let unsafe = components.contains { part in
                part.isEmpty || part == "." || part == ".." || part.lowercased() == ".git"
            }
            let parents = components.dropLast().indices.map {
                components[...$0].joined(separator: "/")
            }
            if unsafe || parents.contains(where: symlinks.contains) {
                throw GitError(
                    operation: "export files", message: "refusing to write the unsafe path '\(entry.path)'",
                    location: entry.path, hint: "check the repository with 'git fsck'")
            }
            let target = root.appendingPathComponent(entry.path)
            try fileManager.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if entry.mode == .symlink {
                let destination = String(decoding: try blob(entry.id), as: UTF8.self)
                try fileManager.createSymbolicLink(atPath: target.path, withDestinationPath: destination)
                symlinks.insert(entry.path)
            } else {
                try writeFile(entry, to: target, copyingFrom: workTree)
            }
        }
    }

    private func writeFile(
        _ entry: TreeEntry, to target: URL, copyingFrom workTree: CleanWorkTreeFiles?
    ) throws {
        // Like git, ask for 0666/0777 and let the umask decide the rest; O_EXCL and O_NOFOLLOW
        // make sure we create a new file and never follow a link.
        let permissions: mode_t = entry.mode == .executable ? 0o777 : 0o666
        let descriptor = open(target.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard descriptor >= 0 else {
            throw GitError(
                operation: "export '\(entry.path)'", message: String(cString: strerror(errno)),
                location: target.path)
        }
        if let workTree, workTree.copy(entry, into: descriptor) {
            close(descriptor)
            return
        }
        // Not copied: start over (a failed copy may have written part of the file).
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw GitError(operation: "export '\(entry.path)'", message: reason, location: target.path)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try streamBlob(entry.id) { chunk in try handle.write(contentsOf: chunk) }
            try handle.close()
        } catch let error as GitError {
            throw error
        } catch {
            throw GitError(
                operation: "export '\(entry.path)'", message: "\(error)", location: target.path)
        }
    }
}
