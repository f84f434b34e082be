import CLibGit2
import Foundation

extension Repository {
    /// The id git would give the file at `url` as a blob (`git hash-object FILE`), read in a stream
    /// so memory stays bounded whatever the file's size. No content filters are applied.
    public static func hashFile(at url: URL) throws -> ObjectID {
        Libgit2.ensureInitialized()
        var oid = git_oid()
        try check(
            git_odb_hashfile(&oid, url.path, GIT_OBJECT_BLOB), "hash the file '\(url.path)'",
            location: url.path)
        return ObjectID(oid)
    }
}
