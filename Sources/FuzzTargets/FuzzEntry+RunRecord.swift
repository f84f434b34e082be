import Foundation
import Site

extension FuzzEntry {
    /// A note fetched from a collaborator, through the one record decoder and everything that
    /// shows a record (terminal sanitiser, tables, the site's numbers, dates and charts), and the
    /// same bytes as a stage's metrics file and as the site's manifest of a checked-out pages
    /// branch.
    public static func runRecord(_ bytes: [UInt8]) {
        let data = Data(bytes)
        _ = RecordFuzzTarget.run(data)
        _ = SiteWriter.parseManifest(data)
    }
}
