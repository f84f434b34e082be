import Foundation
import GitKit

/// A tag read as a release: GTO-style name, trailers from an annotated tag's message.
public struct Release: Sendable, Equatable {
    /// The tag's name.
    public let tag: String
    /// The commit it marks.
    public let commit: ObjectID
    /// The tagger's date, or nil for a lightweight tag (then the commit's date is used).
    public let date: Date
    /// `Key: value` lines of the message's last paragraph, in order.
    public let trailers: [(key: String, value: String)]
    /// The message without its trailer paragraph.
    public let body: String
    /// `Modelgate-Environment`, else the stage of a GTO `name#stage#N` tag; nil for plain tags.
    public let environment: String?
    /// `Modelgate-Artifact` (`sha256:…`), if given.
    public let artifact: String?
    /// `Modelgate-Metrics` as written, if given.
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

    /// Every commit tag in `repository`, newest first (ties by name).
    static func all(in repository: Repository) throws -> [Release] {
        try repository.tags().map { tag in
            let date = try tag.tagger?.date ?? repository.commit(tag.targetID).committer.date
            return Release(tag: tag.name, commit: tag.targetID, date: date, message: tag.message ?? "")
        }.sorted { $0.date != $1.date ? $0.date > $1.date : $0.tag < $1.tag }
    }

    /// Reads `message`'s trailers and `tag`'s GTO name.
    public init(tag: String, commit: ObjectID, date: Date, message: String) {
        self.tag = tag
        self.commit = commit
        self.date = date
        let (body, trailers) = Release.splitTrailers(message)
        self.body = body
        self.trailers = trailers
        func trailer(_ key: String) -> String? {
            trailers.last { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value
        }
        artifact = trailer("Modelgate-Artifact")
        metrics = trailer("Modelgate-Metrics")
        let gto = Release.parseGTO(tag)
        model = gto.model
        version = gto.version
        environment = trailer("Modelgate-Environment") ?? gto.stage
    }

    /// GTO's tag names: `model@v1.2.0` (a version), `model#stage#3` or `model#stage` (an assignment).
    static func parseGTO(_ name: String) -> (model: String?, version: String?, stage: String?) {
        let hashParts = name.split(separator: "#", omittingEmptySubsequences: false)
        if hashParts.count == 2 || hashParts.count == 3, hashParts.allSatisfy({ !$0.isEmpty }) {
            return (String(hashParts[0]), nil, String(hashParts[1]))
        }
        if let at = name.lastIndex(of: "@") {
            let model = name[..<at]
            let version = name[name.index(after: at)...]
            if !model.isEmpty, version.first == "v", version.dropFirst().first?.isNumber == true {
                return (String(model), String(version), nil)
            }
        }
        return (nil, nil, nil)
    }

    /// Splits off the last paragraph when every line of it is a `Key: value` trailer.
    static func splitTrailers(_ message: String) -> (String, [(key: String, value: String)]) {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        var paragraphs = text.components(separatedBy: "\n\n")
        guard let last = paragraphs.last else { return (text, []) }
        var trailers: [(key: String, value: String)] = []
        for line in last.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { return (text, []) }
            let key = line[..<colon]
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                return (text, [])
            }
            trailers.append(
                (String(key), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        guard !trailers.isEmpty else { return (text, []) }
        paragraphs.removeLast()
        return (paragraphs.joined(separator: "\n\n"), trailers)
    }
}
