import Checksum
import Foundation
import Processes

extension Repository {
    /// Hands blob `id` (of `size` bytes) to `body` in chunks as `git cat-file blob` writes it,
    /// checking at the end that the bytes hash to `id`. False when git could not be started
    /// or failed before writing anything (the caller then reads the blob itself); a failure
    /// after `body` saw bytes is a `GitError`, since those bytes cannot be taken back.
    func streamThroughGit(
        _ id: ObjectID, size: Int, chunkSize: Int, _ body: (Data) throws -> Void
    ) throws -> Bool {
        // --git-dir, and the child environment policy: a hook's GIT_DIR, GIT_INDEX_FILE or
        // GIT_OBJECT_DIRECTORY must not redirect it.
        var child = ChildProcess("git", ["--git-dir=\(gitDirectory.path)", "cat-file", "blob", id.hex])
        child.error = .discard
        child.chunkSize = chunkSize
        let digest = SHA1()
        digest.update("blob \(size)\u{0}")
        var total = 0
        let ending: ChildProcess.Ending
        do {
            ending = try child.run { _, bytes in
                let chunk = Data(bytes)
                digest.update(chunk)
                total += chunk.count
                try body(chunk)
            }
        } catch is ChildProcessError {
            if total == 0 { return false }  // could not start, or failed before writing: read it ourselves
            throw GitError(
                operation: "read blob \(id.short)", message: "git cat-file stopped after \(total) bytes",
                location: id.hex, hint: "check the repository with 'git fsck'")
        }
        if total == 0, size > 0 { return false }  // git failed before writing: read it ourselves
        guard ending == .exited(0), total == size, digest.finalize() == id.hex else {
            throw GitError(
                operation: "read blob \(id.short)",
                message:
                    "git cat-file gave \(total) of \(size) bytes (\(ending)) or bytes that do not hash to the blob",
                location: id.hex, hint: "check the repository with 'git fsck'")
        }
        return true
    }
}
