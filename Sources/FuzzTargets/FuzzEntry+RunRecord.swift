import Foundation
import Pipeline

extension FuzzEntry {
    /// A run record from a note fetched from a remote; a record that decodes is encoded again,
    /// as rewriting a note does.
    public static func runRecord(_ bytes: [UInt8]) {
        if let record = try? RunRecord.decode(Data(bytes)) {
            _ = try? record.encoded()
        }
    }
}
