import Foundation
import GitKit
import Pipeline

/// A tag as the site shows it: read with `ReleaseTag` (its limits and rules), dated.
public struct Release: Sendable, Equatable {
    /// The tag's name.
    public let tag: String
    /// The commit it marks.
    public let commit: ObjectID
    /// The tagger's date, or for a lightweight tag the commit's date.
    public let date: Date
    /// `Key: value` lines of the message's last paragraph, in order.
    public let trailers: [(key: String, value: String)]
    /// The message without its trailer paragraph (cut to `ReleaseTag.bodyBytes`).
    public let body: String
    /// `Modelgate-Environment`, else the stage of a GTO `name#stage#N` tag; nil for plain tags.
    public let environment: String?
    /// `Modelgate-Artifact` (`sha256:…`), if given.
    public let artifact: String?
    /// `Modelgate-Metrics` as written (a JSON object within the record limits), if given.
    public let metrics: String?
    /// The version of a GTO `name@v1.2.0` tag.
    public let version: String?
    /// The model part of a GTO name.
    public let model: String?

    /// True when the tag carries modelgate's trailers or follows GTO's naming.
    public var isModelRelease: Bool { environment != nil || artifact != nil || version != nil }

    /// Equal tag, commit, date, body and trailers.
    public static func == (lhs: Release, rhs: Release) -> Bool {
        lhs.tag == rhs.tag && lhs.commit == rhs.commit && lhs.date == rhs.date && lhs.body == rhs.body
            && lhs.trailers.map(\.key) == rhs.trailers.map(\.key)
            && lhs.trailers.map(\.value) == rhs.trailers.map(\.value)
    }

    /// Every readable commit tag in `repository`, newest first in `ReleaseOrder` (as `modelgate
    /// releases` lists them); tags that cannot be read are left out (`modelgate releases` names them).
    static func all(in repository: Repository) throws -> [Release] {
        try ReleaseOrder.newestFirst(ReleaseTag.all(in: repository).tags, in: repository).map {
            Release($0.tag, date: $0.date)
        }
    }

    /// The site's view of `tag`, dated `date`.
    public init(_ tag: ReleaseTag, date: Date) {
        self.tag = tag.name
        commit = tag.commit
        self.date = date
        trailers = tag.trailers.map { ($0.key, $0.value) }
        body = tag.body
        environment = tag.environment
        artifact = tag.artifact
        metrics = tag.metricsText
        version = tag.gto?.version
        model = tag.gto?.model
    }
}
