import Diagnostics
import Foundation
import GitKit

/// A git tag read as a release: its GTO name, and the trailers of an annotated tag's message.
///
/// This is the one reader of tags: `releases`, `release` (and its GTO counter), `sync`,
/// `baseline: release` and the site all read tags through `ReleaseTag.read`, with the same rules.
/// Tags come from other people (`git fetch`, `modelgate sync`), so they are read as run records
/// are:
///
/// - The size of the tag object is checked from its header before it is read
///   (`Repository.readTag(named:maxObjectBytes:)`): at most `maxObjectBytes`, 4 MiB, the size of
///   a run record, because the `Modelgate-Metrics` trailer carries a record's metrics. A 150 MB
///   tag costs what a small one does.
/// - A tag is unreadable — listed with its reason where a command lists tags, never used — when
///   its object is over the limit or cannot be parsed; when its name, its tagger or a trailer's
///   value is not one line of visible text within `RecordLimits.fieldBytes` (the rule of a
///   record's one-line fields: no character `TerminalText.isUnsafe` refuses); or when its
///   `Modelgate-Metrics` trailer is not a JSON object of finite numbers within
///   `RecordLimits.metricsProblem`. The message's body (shown on the site) is cut to `bodyBytes`.
///
/// The rules, as git and GTO read tags: trailers are the `Key: value` lines of the message's last
/// paragraph, which cannot be its first (git's title) and whose every line must be a trailer;
/// keys are letters, digits and `-`, compared without case, the last one winning. GTO's names are
/// `model@vMAJOR.MINOR.PATCH` (a registration), `model#env#N` and `model#env` (an assignment),
/// with model and environment matching `[a-z][a-z0-9-/]*[a-z0-9]` and N a counter of at most
/// `GTOName.maxCounter`; a name with a larger counter is no GTO name (and does not count when
/// `release --gto` picks the next counter).
public struct ReleaseTag: Sendable, Equatable {
    /// The largest tag object read, in bytes: a run record's size.
    public static let maxObjectBytes = RecordLimits.noteBytes
    /// The longest body kept, in bytes (cut with `…`).
    public static let bodyBytes = 16 << 10

    /// The tag's name.
    public let name: String
    /// The commit it marks.
    public let commit: ObjectID
    /// True for an annotated tag.
    public let isAnnotated: Bool
    /// Who made the annotated tag, and when.
    public let tagger: Signature?
    /// The message without its trailer paragraph, trimmed and cut to `bodyBytes`.
    public let body: String
    /// The trailers, in order.
    public let trailers: [Trailer]
    /// The GTO reading of the name, when it follows GTO's convention.
    public let gto: GTOName?
    /// `Modelgate-Artifact`.
    public let artifact: String?
    /// `Modelgate-Fingerprint`.
    public let fingerprint: String?
    /// `Modelgate-Environment`, else the environment of a GTO assignment.
    public let environment: String?
    /// `Modelgate-Metrics`, parsed and within the record limits.
    public let metrics: [String: Double]?
    /// `Modelgate-Metrics` as written (checked as `metrics` is).
    public let metricsText: String?

    /// True when the tag is a model release: it carries `Modelgate-Artifact` or
    /// `Modelgate-Environment`, or follows GTO's naming.
    public var isRelease: Bool { artifact != nil || environment != nil || gto != nil }

    /// True when modelgate's `release` made it (an annotated tag with `Modelgate-` trailers).
    public var hasModelgateTrailers: Bool {
        isAnnotated && trailers.contains { $0.key.lowercased().hasPrefix("modelgate-") }
    }

    /// One `Key: value` line of the trailer paragraph.
    public struct Trailer: Sendable, Equatable {
        /// The key as written.
        public let key: String
        /// The value, without surrounding spaces.
        public let value: String
    }

    // MARK: - Reading

    /// The tag called `name` in `repository`: nil when there is none or it marks no commit;
    /// `.failure` with the reason when it cannot be read as a release.
    public static func read(named name: String, in repository: Repository) throws -> Result<
        ReleaseTag, UnreadableTag
    >? {
        try parse(repository.readTag(named: name, maxObjectBytes: maxObjectBytes))
    }

    private static func parse(_ entry: TagEntry?) -> Result<ReleaseTag, UnreadableTag>? {
        switch entry {
        case nil: return nil
        case .unreadable(let name, let reason)?:
            return .failure(UnreadableTag(name: name, reason: reason))
        case .tag(let tag)?:
            return parse(
                name: tag.name, commit: tag.targetID, isAnnotated: tag.isAnnotated, tagger: tag.tagger,
                message: tag.message ?? "")
        }
    }

    /// Every tag in `repository` that marks a commit, by name: the readable ones and the
    /// unreadable ones with their reasons. Tags are read one at a time (no message outlives its
    /// parse), `filter` first choosing by name which are read at all.
    public static func all(in repository: Repository, filter: (String) -> Bool = { _ in true }) throws -> (
        tags: [ReleaseTag], unreadable: [UnreadableTag]
    ) {
        var tags: [ReleaseTag] = []
        var unreadable: [UnreadableTag] = []
        for reference in try repository.tagReferences() where filter(reference.name) {
            switch parse(try repository.readTag(reference, maxObjectBytes: maxObjectBytes)) {
            case .success(let tag)?: tags.append(tag)
            case .failure(let problem)?: unreadable.append(problem)
            case nil: continue
            }
        }
        return (tags, unreadable)
    }

    // MARK: - Parsing

    /// Reads a tag's name and message as a release; `.failure` when a field breaks the rules
    /// above. Never traps, for any input.
    package static func parse(
        name: String, commit: ObjectID, isAnnotated: Bool, tagger: Signature?, message: String
    ) -> Result<ReleaseTag, UnreadableTag> {
        func refuse(_ reason: String) -> Result<ReleaseTag, UnreadableTag> {
            .failure(UnreadableTag(name: name, reason: reason))
        }
        if let problem = oneLineProblem(name, "its name") { return refuse(problem) }
        if let tagger {
            if let problem = oneLineProblem(tagger.name, "its tagger's name")
                ?? oneLineProblem(tagger.email, "its tagger's e-mail")
            {
                return refuse(problem)
            }
        }
        let (body, trailers) = splitTrailers(message)
        func trailer(_ key: String) -> String? {
            trailers.last { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value
        }
        for trailer in trailers where trailer.key.caseInsensitiveCompare("Modelgate-Metrics") != .orderedSame
        {
            if let problem = oneLineProblem(trailer.value, "its trailer '\(trailer.key)'") {
                return refuse(problem)
            }
        }
        var metrics: [String: Double]?
        let metricsText = trailer("Modelgate-Metrics")
        if let metricsText {
            switch parseMetrics(metricsText) {
            case .success(let parsed): metrics = parsed
            case .failure(let problem): return refuse("its trailer 'Modelgate-Metrics' \(problem.text)")
            }
        }
        let gto = GTOName(name)
        return .success(
            ReleaseTag(
                name: name, commit: commit, isAnnotated: isAnnotated, tagger: tagger,
                body: RecordLimits.clipped(body, toBytes: bodyBytes), trailers: trailers, gto: gto,
                artifact: trailer("Modelgate-Artifact"), fingerprint: trailer("Modelgate-Fingerprint"),
                environment: trailer("Modelgate-Environment") ?? gto?.environment, metrics: metrics,
                metricsText: metricsText))
    }

    /// The message's body and its trailers: the last paragraph when it is not the first and
    /// every line of it is `Key: value`. Read over UTF-8 code units (no Foundation): it runs for
    /// every tag on the hook path (`baseline: release`).
    ///
    /// A signed tag's signature (`git tag -s`: a last block from a line `-----BEGIN … SIGNATURE-----`)
    /// is not part of the message, as git reads it.
    static func splitTrailers(_ message: String) -> (body: String, trailers: [Trailer]) {
        var unsigned = Substring(message)
        for marker in ["\n-----BEGIN SSH SIGNATURE-----", "\n-----BEGIN PGP SIGNATURE-----"] {
            if let start = unsigned.range(of: marker, options: .backwards) {
                unsigned = unsigned[..<start.lowerBound]
            }
        }
        let text = trimmed(unsigned)
        let bytes = text.utf8
        // The last blank line: "\n\n" searched from the end.
        var end = bytes.endIndex
        var separator: (lower: String.Index, upper: String.Index)?
        while end > bytes.startIndex {
            let before = bytes.index(before: end)
            if bytes[before] == UInt8(ascii: "\n"), before > bytes.startIndex,
                bytes[bytes.index(before: before)] == UInt8(ascii: "\n")
            {
                separator = (bytes.index(before: before), end)
                break
            }
            end = before
        }
        guard let separator else { return (String(text), []) }
        var trailers: [Trailer] = []
        // Split at every line feed byte: "\r\n" is one Character, which a split on "\n" misses.
        for bytes in text[separator.upper...].utf8.split(separator: UInt8(ascii: "\n")) {
            let line = Substring(bytes)
            guard let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")) else { return (String(text), []) }
            let key = line[..<colon]
            guard !key.isEmpty, key.unicodeScalars.allSatisfy(isKeyScalar) else { return (String(text), []) }
            let value = trimmed(line[line.index(after: colon)...])
            trailers.append(Trailer(key: String(key), value: String(value)))
        }
        guard !trailers.isEmpty else { return (String(text), []) }
        return (String(trimmed(text[..<separator.lower])), trailers)
    }

    /// `text` without the spaces, tabs, carriage returns and line feeds around it.
    private static func trimmed(_ text: Substring) -> Substring {
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
            let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return text[text.endIndex...] }
        return Substring(scalars[first...last])
    }

    /// The metrics of a `Modelgate-Metrics` trailer: a JSON object of finite numbers within
    /// `RecordLimits.metricsProblem`.
    static func parseMetrics(_ text: String) -> Result<[String: Double], UnreadableReason> {
        let metrics: [String: Double]
        do {
            metrics = try JSONDecoder().decode([String: Double].self, from: Data(text.utf8))
        } catch {
            return .failure(UnreadableReason("is not a JSON object of numbers"))
        }
        if let problem = RecordLimits.metricsProblem(metrics) {
            return .failure(UnreadableReason("breaks a limit of run records: \(problem)"))
        }
        return .success(metrics)
    }

    /// Why `value` is not one line of visible text within `RecordLimits.fieldBytes`, or nil.
    package static func oneLineProblem(_ value: String, _ what: String) -> String? {
        if value.utf8.count > RecordLimits.fieldBytes {
            return "\(what) is \(value.utf8.count) bytes long; at most \(RecordLimits.fieldBytes) are allowed"
        }
        if let scalar = TerminalText.firstUnsafe(in: value) {
            return
                "\(what) holds \(NameRules.codePoint(scalar)), a control, line-break or invisible character"
        }
        return nil
    }

    private static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "-"
    }

    // MARK: - Fuzzing

    /// The fuzzing entry point for tags: the bytes up to the first newline are the tag's name,
    /// the rest its message (as git stores them, any bytes). Parses them as a release and
    /// returns the size of what it kept; traps on purpose (a finding) when a readable tag breaks
    /// a rule above.
    @discardableResult
    package static func fuzz(_ bytes: Data) -> Int {
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let name = String(decoding: bytes[..<newline], as: UTF8.self)
        let message = String(decoding: bytes[newline...].dropFirst(), as: UTF8.self)
        _ = GTOName(String(decoding: bytes.prefix(256), as: UTF8.self))
        switch parse(name: name, commit: .zero, isAnnotated: true, tagger: nil, message: message) {
        case .failure(let problem):
            return problem.reason.utf8.count
        case .success(let tag):
            precondition(TerminalText.firstUnsafe(in: tag.name) == nil, "an unsafe tag name was accepted")
            precondition(tag.body.utf8.count <= bodyBytes, "the body was not cut")
            for trailer in tag.trailers where trailer.key.lowercased() != "modelgate-metrics" {
                precondition(oneLineProblem(trailer.value, "v") == nil, "an unsafe trailer was accepted")
            }
            precondition(
                tag.metrics.map { RecordLimits.metricsProblem($0) == nil } ?? true,
                "metrics over a limit were accepted")
            if let number = tag.gto?.number {
                precondition(number <= GTOName.maxCounter, "a counter over the limit was accepted")
            }
            return tag.body.utf8.count + tag.trailers.count
        }
    }
}

/// A tag that cannot be read as a release, and why.
public struct UnreadableTag: Error, Sendable, Equatable, Codable {
    /// The tag's name (shown sanitised).
    public let name: String
    /// Why, in plain words.
    public let reason: String

    /// Makes one.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    /// "tag 'x' is skipped: reason", for a command's warnings.
    public var message: String {
        "tag \(NameRules.quoted(name)) is skipped: \(reason)"
    }
}

/// GTO's tag names (the git tag model registry convention): `model@v1.2.0` registers a version,
/// `model#env#3` (or `model#env`) assigns one to an environment.
public struct GTOName: Sendable, Equatable {
    /// The largest assignment counter read: GTO counts assignments one by one, so a larger one is
    /// no counter GTO made, and `release --gto` must be able to add one to it.
    public static let maxCounter = 999_999_999

    /// The model's name.
    public let model: String
    /// The registered version (`v1.2.0`), for a registration.
    public let version: String?
    /// The environment, for an assignment.
    public let environment: String?
    /// The assignment's counter, when it has one.
    public let number: Int?

    /// Reads `name`; nil when it does not follow GTO's convention.
    public init?(_ name: String) {
        let parts = name.split(separator: "#", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 || parts.count == 3 {
            guard Self.isName(parts[0]), Self.isName(parts[1]) else { return nil }
            var number: Int?
            if parts.count == 3 {
                guard let counter = Self.counter(parts[2]) else { return nil }
                number = counter
            }
            model = parts[0]
            version = nil
            environment = parts[1]
            self.number = number
            return
        }
        guard let at = name.lastIndex(of: "@") else { return nil }
        let model = String(name[..<at])
        let version = String(name[name.index(after: at)...])
        guard Self.isName(model), version.hasPrefix("v"), Self.isSemanticVersion(String(version.dropFirst()))
        else { return nil }
        self.model = model
        self.version = version
        environment = nil
        number = nil
    }

    /// GTO's name rule: `[a-z][a-z0-9-/]*[a-z0-9]`.
    public static func isName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 2, let first = scalars.first, let last = scalars.last else { return false }
        func lower(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) }
        func digit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
        return lower(first) && (lower(last) || digit(last))
            && scalars.allSatisfy { lower($0) || digit($0) || $0 == "-" || $0 == "/" }
    }

    /// MAJOR.MINOR.PATCH (ASCII digits, no leading zeros) with optional -prerelease and +build.
    public static func isSemanticVersion(_ text: String) -> Bool {
        let core = text.split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        let numbers = (core.split(separator: "-", maxSplits: 1).first ?? "").split(
            separator: ".", omittingEmptySubsequences: false)
        return numbers.count == 3
            && numbers.allSatisfy {
                !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) }
                    && ($0 == "0" || !$0.hasPrefix("0"))
            }
    }

    /// A counter of ASCII digits up to `maxCounter`, else nil.
    static func counter(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ (48...57).contains($0) }) else {
            return nil
        }
        return Int(text)
    }
}
