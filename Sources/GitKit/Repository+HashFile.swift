import Checksum
import Foundation

extension Repository {
    /// The id git would give the file at `url` as a blob (`git hash-object FILE`), read in a stream
    /// so memory stays bounded whatever the file's size. No content filters are applied.
    ///
    /// Uses libcrypto's SHA-1, several times faster than libgit2's collision-detecting one; it only
    /// ever compares a file with ids git already recorded.
    public static func hashFile(at url: URL) throws -> ObjectID {
        do {
            guard let id = ObjectID(hex: try SHA1.gitBlobID(ofFileAt: url)) else {
                throw GitError(
                    operation: "hash the file", message: "the digest is not an object id", location: url.path)
            }
            return id
        } catch let error as GitError {
            throw error
        } catch {
            throw GitError(
                operation: "hash the file", message: (error as NSError).localizedDescription,
                location: url.path,
                hint: "check that the file exists and is readable")
        }
    }
}
