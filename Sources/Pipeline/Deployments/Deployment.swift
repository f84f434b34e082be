import Diagnostics
import Foundation
import GitKit

/// One deployment event: commit `commit` went live in environment `env` at `at`, by `by`.
///
/// Stored as one self-contained JSON line (`line`) in the note on the deployed commit under
/// `DeploymentLog.ref`; the line carries every fact itself (the commit too), so a line is
/// never ambiguous once copied, merged or read from a tracking ref. `at` has whole seconds.
public struct Deployment: Sendable, Hashable, Codable {
    /// The environment (release environment rules: `DeploymentRules.environmentProblem`).
    public let env: String
    /// When it went live (UTC, whole seconds).
    public let at: Date
    /// Who deployed it (an e-mail address by default).
    public let by: String
    /// The release tag deployed, when it was given as one.
    public let tag: String?
    /// The image deployed, a digest reference (`REF@sha256:…`), when given.
    public let image: String?
    /// The deployed commit.
    public let commit: ObjectID

    /// Makes a deployment; `at` is cut to whole seconds, as it is stored.
    public init(env: String, at: Date, by: String, tag: String?, image: String?, commit: ObjectID) {
        self.env = env
        self.at = Date(timeIntervalSince1970: at.timeIntervalSince1970.rounded(.down))
        self.by = by
        self.tag = tag
        self.image = image
        self.commit = commit
        line = Self.line(env: env, at: self.at, by: by, tag: tag, image: image, commit: commit)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case env, at, by, tag, image, commit
    }

    /// Encodes every field, `tag` and `image` as `null` when absent, `at` as RFC 3339 UTC.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(env, forKey: .env)
        try container.encode(DeploymentTime.rfc3339(at), forKey: .at)
        try container.encode(by, forKey: .by)
        try container.encode(tag, forKey: .tag)
        try container.encode(image, forKey: .image)
        try container.encode(commit.hex, forKey: .commit)
    }

    /// Decodes what `encode` writes (for `--json` readers); notes are read by `DeploymentDecoder`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .at)
        guard let at = DeploymentTime.parseStored(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .at, in: container, debugDescription: "not an RFC 3339 UTC time")
        }
        let hex = try container.decode(String.self, forKey: .commit)
        guard let commit = ObjectID(hex: hex) else {
            throw DecodingError.dataCorruptedError(
                forKey: .commit, in: container, debugDescription: "not a commit id")
        }
        self.init(
            env: try container.decode(String.self, forKey: .env), at: at,
            by: try container.decode(String.self, forKey: .by),
            tag: try container.decodeIfPresent(String.self, forKey: .tag),
            image: try container.decodeIfPresent(String.self, forKey: .image), commit: commit)
    }

    /// The note line: compact JSON, keys sorted, no line break (so lines sort by `at` first).
    /// Made once, in `init`: ordering compares lines.
    public let line: String

    private static func line(
        env: String, at: Date, by: String, tag: String?, image: String?, commit: ObjectID
    )
        -> String
    {
        func quote(_ text: String) -> String {
            // A JSON string of one value; cannot fail.
            let data = try? JSONSerialization.data(
                withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        }
        return "{\"at\":\"\(DeploymentTime.rfc3339(at))\",\"by\":\(quote(by)),\"commit\":\"\(commit.hex)\","
            + "\"env\":\(quote(env)),\"image\":\(image.map(quote) ?? "null"),\"tag\":\(tag.map(quote) ?? "null")}"
    }

    /// The order of events: by `at`, and within the same second by the note line, byte-wise (its
    /// fields in key order: `at`, `by`, `commit`, `env`, `image`, `tag`). Arbitrary for a tie,
    /// but the same in every clone, so `releases --at`, `deployments` and the site agree.
    public static func happenedBefore(_ first: Deployment, _ second: Deployment) -> Bool {
        if first.at != second.at { return first.at < second.at }
        return Array(first.line.utf8).lexicographicallyPrecedes(Array(second.line.utf8))
    }
}

/// The rules every deployment field follows, for one written here and one read from a remote.
public enum DeploymentRules {
    /// The longest `by`, `tag` or `image`, in UTF-8 bytes.
    public static let fieldBytes = 512

    /// Why `name` cannot name an environment (the rules of `release --env`: not empty, no
    /// whitespace, one line of visible text, at most `NameRules.maxBytes`), or nil.
    public static func environmentProblem(_ name: String) -> String? {
        if name.isEmpty { return "the environment name is empty" }
        if name.utf8.count > NameRules.maxBytes {
            return
                "the environment name is \(name.utf8.count) bytes long; at most \(NameRules.maxBytes) are allowed"
        }
        if let problem = ReleaseTag.oneLineProblem(name, "the environment name") { return problem }
        if name.contains(where: \.isWhitespace) { return "the environment name holds whitespace" }
        return nil
    }

    /// Why `value` cannot be the `what` field (one line of visible text, not empty, at most
    /// `fieldBytes`), or nil.
    public static func fieldProblem(_ value: String, _ what: String) -> String? {
        if value.isEmpty { return "\(what) is empty" }
        if value.utf8.count > fieldBytes {
            return "\(what) is \(value.utf8.count) bytes long; at most \(fieldBytes) are allowed"
        }
        return ReleaseTag.oneLineProblem(value, what)
    }

    /// Why `image` is not a digest reference `NAME@sha256:<64 lowercase hex>` (NAME without
    /// whitespace, `@`, or control characters), or nil.
    public static func imageProblem(_ image: String) -> String? {
        if let problem = fieldProblem(image, "the image") { return problem }
        let parts = image.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains(where: \.isWhitespace) else {
            return "the image '\(TerminalText.cell(image, limit: 60))' is not REF@sha256:DIGEST"
        }
        let digest = parts[1]
        guard digest.hasPrefix("sha256:"), digest.utf8.count == 71,
            digest.utf8.dropFirst(7).allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            return
                "the image '\(TerminalText.cell(image, limit: 60))' has no sha256 digest (64 lowercase hex digits after '@sha256:')"
        }
        return nil
    }
}
