import Diagnostics
import Foundation
import GitKit

/// Reads deployment notes, which a remote may have written, into `Deployment`s: strictly, within
/// fixed bounds, never throwing or trapping on any bytes.
///
/// A note over `noteBytes` is not read at all (its size is checked before its blob is); a note
/// that is not UTF-8 is skipped whole; at most `linesPerNote` lines of a note are read, and a
/// line over `lineBytes` is skipped unparsed. A line must be one JSON object (Foundation's
/// parser) with exactly the fields `env`, `at`, `by`, `commit` and optionally `tag` and `image`,
/// each a string (`tag` and `image` may be `null`), and each within `DeploymentRules`; `at` is
/// RFC 3339 UTC (`…Z`), and `commit` must be the commit the note is on (a line copied onto
/// another commit would claim a deployment that did not happen there). Every line that breaks
/// a rule is skipped with a warning naming the commit, the line and the rule; the rest of the
/// note still counts.
public struct DeploymentDecoder: Sendable {
    /// The largest deployment note read, in bytes.
    public static let noteBytes = 1 << 20
    /// The longest line read, in bytes.
    public static let lineBytes = 4_096
    /// The most lines read from one note.
    public static let linesPerNote = 4_096

    /// Makes a decoder.
    public init() {}

    /// What one note held: its deployments and a warning per line (or note) skipped.
    public struct Decoded: Sendable, Equatable {
        /// The deployments read.
        public var deployments: [Deployment] = []
        /// Why each skipped line was skipped (`line N: …`).
        public var warnings: [String] = []
    }

    /// The deployments in the note `bytes` on `commit`.
    public func decode(note bytes: [UInt8], on commit: ObjectID) -> Decoded {
        var decoded = Decoded()
        guard bytes.count <= Self.noteBytes else {
            decoded.warnings.append("the note is \(bytes.count) bytes, over the \(Self.noteBytes)-byte limit")
            return decoded
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            decoded.warnings.append("the note is not valid UTF-8 text")
            return decoded
        }
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            number += 1
            if number > Self.linesPerNote {
                decoded.warnings.append("lines after \(Self.linesPerNote) were not read")
                break
            }
            if line.allSatisfy(\.isWhitespace) { continue }
            switch decode(line: line, on: commit) {
            case .success(let deployment): decoded.deployments.append(deployment)
            case .failure(let problem): decoded.warnings.append("line \(number): \(problem.text)")
            }
        }
        return decoded
    }

    /// One line as a deployment on `commit`, or why it is not one.
    public func decode(line: Substring, on commit: ObjectID) -> Result<Deployment, UnreadableReason> {
        func refuse(_ text: String) -> Result<Deployment, UnreadableReason> {
            .failure(UnreadableReason(text))
        }
        let bytes = Data(line.utf8)
        guard bytes.count <= Self.lineBytes else {
            return refuse("it is \(bytes.count) bytes long, over the \(Self.lineBytes)-byte limit")
        }
        guard let object = try? JSONSerialization.jsonObject(with: bytes),
            let fields = object as? [String: Any]
        else { return refuse("it is not a JSON object") }
        let known = Set(Deployment.CodingKeys.allCases.map(\.stringValue))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            return refuse("it has an unknown field '\(TerminalText.cell(unknown, limit: 40))'")
        }
        // `nil` and JSON `null` are the same for the optional fields; anything but a string is refused.
        func string(_ key: String) throws(UnreadableReason) -> String? {
            switch fields[key] {
            case nil, is NSNull: return nil
            case let value as String: return value
            default: throw UnreadableReason("its '\(key)' is not a string")
            }
        }
        func required(_ key: String) throws(UnreadableReason) -> String {
            guard let value = try string(key) else { throw UnreadableReason("it has no '\(key)'") }
            return value
        }
        let (env, at, by, hex, tag, image): (String, String, String, String, String?, String?)
        do {
            (env, at, by, hex) = (
                try required("env"), try required("at"), try required("by"), try required("commit")
            )
            (tag, image) = (try string("tag"), try string("image"))
        } catch {
            return .failure(error)
        }
        if let problem = DeploymentRules.environmentProblem(env) { return refuse(problem) }
        guard let date = DeploymentTime.parseStored(at) else {
            return refuse("its 'at' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)")
        }
        if let problem = DeploymentRules.fieldProblem(by, "its 'by'") { return refuse(problem) }
        if let tag, let problem = DeploymentRules.fieldProblem(tag, "its 'tag'") { return refuse(problem) }
        if let image, let problem = DeploymentRules.imageProblem(image) { return refuse(problem) }
        guard let id = ObjectID(hex: hex), id.hex == hex else {
            return refuse("its 'commit' is not a full lowercase commit id")
        }
        guard id == commit else {
            return refuse("it names commit \(id.short), not the commit it is attached to")
        }
        return .success(Deployment(env: env, at: date, by: by, tag: tag, image: image, commit: id))
    }
}
