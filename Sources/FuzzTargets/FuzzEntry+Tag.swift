import Foundation
import Pipeline

extension FuzzEntry {
    /// A tag fetched from a remote: its name up to the first newline, then its message, read as a
    /// release (`ReleaseTag.fuzz`: GTO name, trailers, `Modelgate-Metrics`; traps when a tag
    /// that breaks the one-line, size or metrics rules is accepted).
    public static func tag(_ bytes: [UInt8]) {
        ReleaseTag.fuzz(Data(bytes))
    }
}
