import Foundation
import GitKit

/// The one order of releases, newest first: `modelgate releases` (and `--at`), `package`'s
/// default image version and the site all list tags through `ReleaseOrder.newestFirst`.
///
/// Git dates a tag to the second, so a script or `release --gto` often makes several in the
/// same second; every reader must still put them in the same order, in every clone. The keys,
/// each deciding only when all before it are equal:
///
/// 1. When the tag was made: the tagger's date; a lightweight tag has none and takes its
///    commit's committer date (the only date it has; GTO skips lightweight tags altogether).
/// 2. The GTO assignment counter, larger first (`model#env#N`; other tags count as 0): the
///    counter is the order `release --gto` made them in, even within one second, and one
///    `release --gto vX --env E` makes the registration before the assignment.
/// 3. The released commit's committer date, later first: releasing a newer commit is the newer
///    release (a script releasing commits in history order).
/// 4. The tag's name, larger first, with runs of digits compared as numbers (`v1.10.0` is newer
///    than `v1.9.0`), then byte by byte (`v01` vs `v1`).
///
/// Tag names are unique, so the last key makes this a total order: no two tags are ever equal,
/// and sorting gives the same list whatever order the tags were read in.
public enum ReleaseOrder {
    /// A tag and the date it is listed under (key 1 above).
    public struct Dated: Sendable {
        /// The tag.
        public let tag: ReleaseTag
        /// The tagger's date, else the commit's committer date.
        public let date: Date
        /// The released commit's committer date.
        let commitDate: Date

        init(tag: ReleaseTag, commitDate: Date) {
            self.tag = tag
            self.commitDate = commitDate
            date = tag.tagger?.date ?? commitDate
        }
    }

    /// `tags` with their dates, newest first; reads each released commit once.
    public static func newestFirst(_ tags: [ReleaseTag], in repository: Repository) throws -> [Dated] {
        var commitDates: [ObjectID: Date] = [:]
        return try tags.map { tag in
            let commitDate = try commitDates[tag.commit] ?? repository.commit(tag.commit).committer.date
            commitDates[tag.commit] = commitDate
            return Dated(tag: tag, commitDate: commitDate)
        }.sorted(by: isNewer)
    }

    /// `tag` with the date it is listed under.
    public static func dated(_ tag: ReleaseTag, in repository: Repository) throws -> Dated {
        Dated(tag: tag, commitDate: try repository.commit(tag.commit).committer.date)
    }

    /// True when `a` is listed before `b` (the keys above).
    static func isNewer(_ a: Dated, _ b: Dated) -> Bool {
        if a.date != b.date { return a.date > b.date }
        let (counterA, counterB) = (a.tag.gto?.number ?? 0, b.tag.gto?.number ?? 0)
        if counterA != counterB { return counterA > counterB }
        if a.commitDate != b.commitDate { return a.commitDate > b.commitDate }
        switch a.tag.name.compare(b.tag.name, options: [.numeric, .literal]) {
        case .orderedDescending: return true
        case .orderedAscending: return false
        case .orderedSame: return b.tag.name.utf8.lexicographicallyPrecedes(a.tag.name.utf8)
        }
    }
}
