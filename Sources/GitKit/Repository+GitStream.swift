import Checksum
import Foundation

extension Repository {
    /// Hands blob `id` (of `size` bytes) to `body` in chunks as `git cat-file blob` writes it,
    /// checking at the end that the bytes hash to `id`. False when git could not be started
    /// or failed before writing anything (the caller then reads the blob itself); a failure
    /// after `body` saw bytes is a `GitError`, since those bytes cannot be taken back.
    func streamThroughGit(
        _ id: ObjectID, size: Int, chunkSize: Int, _ body: (Data) throws -> Void
    ) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir=\(gitDirectory.path)", "cat-file", "blob", id.hex]
        // Only what git needs to find itself and the repository: a hook's GIT_DIR,
        // GIT_INDEX_FILE or GIT_OBJECT_DIRECTORY must not redirect it.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        let reader = output.fileHandleForReading
        let digest = SHA1()
        digest.update("blob \(size)\u{0}")
        var total = 0
        var failure: Error?
        while failure == nil {
            let chunk: Data
            do {
                guard let read = try reader.read(upToCount: chunkSize), !read.isEmpty else { break }
                chunk = read
            } catch {
                failure = error
                break
            }
            digest.update(chunk)
            total += chunk.count
            do { try body(chunk) } catch { failure = error }
        }
        if failure != nil { process.terminate() }
        try? reader.close()
        process.waitUntilExit()
        if let failure { throw failure }
        if total == 0, size > 0 { return false }  // git failed before writing: read it ourselves
        guard process.terminationStatus == 0, total == size, digest.finalize() == id.hex else {
            throw GitError(
                operation: "read blob \(id.short)",
                message:
                    "git cat-file gave \(total) of \(size) bytes (exit \(process.terminationStatus)) or bytes that do not hash to the blob",
                location: id.hex, hint: "check the repository with 'git fsck'")
        }
        return true
    }
}
