import Diagnostics
import Foundation
import GitKit
import Pipeline

/// Releases are annotated tags on blessed commits whose message ends in trailers
/// (`Modelgate-Artifact`, `Modelgate-Fingerprint`, `Modelgate-Environment`, `Modelgate-Metrics`).
/// GTO's tag names (`model@v1.2.3` registers a version, `model#env#N` assigns an environment)
/// are written with `--gto` and read whoever wrote them.
public struct ReleaseBook {
    let repository: Repository
    let store: ArtifactStore
    let notes: RecordNotes
    let inspector: PipelineInspector

    /// Makes a release book for `repository`.
    public init(repository: Repository) {
        self.repository = repository
        store = ArtifactStore(repository: repository)
        notes = RecordNotes(repository: repository)
        inspector = PipelineInspector(repository: repository)
    }

    // MARK: - Blessing

    /// Why a commit can or cannot be released.
    public struct Assessment: Sendable {
        /// The commit.
        public let commit: ObjectID
        /// Its record, when it has one.
        public let record: RunRecord?
        /// The artifact, when the commit is blessed.
        public let artifact: Digest?
        /// Nil when blessed; else why not, in words.
        public let refusal: String?
        /// What to do about the refusal.
        public let hint: String?
        /// True when the commit may be released.
        public var isBlessed: Bool { refusal == nil }
    }

    /// Checks, cheapest first: a record exists, its verdict is pass, it is not stale (the
    /// fingerprint recomputed for the commit equals the record's), it names an artifact, and the
    /// artifact verifies.
    public func assess(_ commit: ObjectID) throws -> Assessment {
        func refuse(_ record: RunRecord?, _ reason: String, _ hint: String) -> Assessment {
            Assessment(commit: commit, record: record, artifact: nil, refusal: reason, hint: hint)
        }
        let short = commit.short
        // A commit made after a passing staged run (the pre-commit hook) has no note yet; its
        // verdict is found by its inputs.
        let found: RunRecord?
        do {
            found = try inspector.record(for: .revision(commit.hex))
        } catch RecordError.unreadable(let unreadable) {
            // An unreadable record is no verdict: never blessed, and said so.
            return refuse(
                nil, "\(short)'s run record is unreadable: \(unreadable.reason)",
                "re-evaluate with 'modelgate run --rev \(short) --force'")
        }
        guard let record = found else {
            return refuse(nil, "\(short) has not been evaluated", "run 'modelgate run --rev \(short)' first")
        }
        switch record.verdict {
        case .pass: break
        case .fail:
            let gates = record.failedGates.map { gate in
                "\(gate.metric) \(RunReport.format(gate.value)) (\(gate.kind.rawValue) \(RunReport.format(gate.limit)))"
            }
            return refuse(
                record,
                "\(short) did not pass its gates: "
                    + (gates.isEmpty ? "verdict fail" : gates.joined(separator: ", ")),
                "fix the model and commit again; see 'modelgate show \(short)'")
        case .error:
            return refuse(
                record,
                "\(short) has an error verdict: \(record.error?.split(separator: "\n").first.map(String.init) ?? "a stage failed")",
                "see 'modelgate show \(short)' and rerun with 'modelgate run --rev \(short)'")
        }
        let current: String
        do {
            current = try PipelineInspector(repository: repository).status(of: .revision(commit.hex))
                .fingerprint
        } catch let error as UserFacingError {
            return refuse(
                record, "\(short) cannot be re-fingerprinted: \(error.summary)",
                error.hint ?? "fix modelgate.yml")
        }
        guard current == record.fingerprint else {
            let why =
                record.tool != "\(Tool.name) \(Tool.version)"
                ? "it was recorded by \(record.tool), and this is \(Tool.name) \(Tool.version)"
                : "the note was probably copied onto a rewritten commit"
            return refuse(
                record,
                "\(short)'s verdict is stale: its inputs now fingerprint to \(current.prefix(12)), not the recorded \(record.fingerprint.prefix(12)) (\(why))",
                "re-evaluate with 'modelgate run --rev \(short)'")
        }
        guard let text = record.artifact, let digest = Digest(text) else {
            return refuse(
                record, "\(short) passed but has no stored artifact",
                "store it with 'modelgate run --rev \(short) --force'")
        }
        let verification = try store.verify(digest)
        guard verification.isIntact else {
            return refuse(
                record,
                "\(short)'s artifact \(digest.short) does not verify ("
                    + verification.problems.map { "\($0.path): \($0.problem)" }.joined(separator: "; ") + ")",
                "re-create it with 'modelgate run --rev \(short) --force'")
        }
        return Assessment(commit: commit, record: record, artifact: digest, refusal: nil, hint: nil)
    }

    /// The newest first-parent commit from `tip` that is blessed, with the refusals of the newer
    /// ones (nil when none within `limit` commits is).
    public func deployable(from tip: ObjectID, limit: Int = 1000) throws -> (
        Assessment?, skipped: [Assessment]
    ) {
        var skipped: [Assessment] = []
        for commit in try repository.firstParentHistory(from: tip, limit: limit) {
            let assessment = try assess(commit.id)
            if assessment.isBlessed { return (assessment, skipped) }
            skipped.append(assessment)
        }
        return (nil, skipped)
    }

    // MARK: - Releasing

    /// What `release` should create.
    public struct Request: Sendable {
        /// The tag to create, or with `gto` the version (`v1.2.3`) to register (nil: assign only).
        public var name: String?
        /// The environment to deploy to.
        public var environment: String?
        /// The user's words for the tag message.
        public var message: String?
        /// Name the tags in GTO's convention.
        public var gto: Bool

        /// Makes a request.
        public init(name: String?, environment: String?, message: String?, gto: Bool) {
            self.name = name
            self.environment = environment
            self.message = message
            self.gto = gto
        }
    }

    /// Creates the release tag(s) for `commit` when it is blessed; refuses (exit 1) otherwise.
    /// Returns the tags created, in order.
    public func release(_ commit: ObjectID, _ request: Request) throws -> [Release] {
        let assessment = try assess(commit)
        guard let artifact = assessment.artifact, let record = assessment.record else {
            throw ArtifactError(
                "release refused: \(assessment.refusal ?? "not blessed")", location: commit.hex,
                hint: assessment.hint,
                exitStatus: .refused)
        }
        if let environment = request.environment,
            environment.isEmpty || environment.contains(where: \.isWhitespace)
        {
            throw ArtifactError(
                "'\(environment)' is not a valid environment name", hint: "use e.g. production or staging",
                exitStatus: .badInput)
        }
        let manifest = try store.manifest(artifact)
        var names: [String] = []
        if request.gto {
            let model = manifest.name
            guard Self.isGTOName(model) else {
                throw ArtifactError(
                    "the model name '\(model)' does not follow GTO's rules",
                    location: PipelineConfig.fileName,
                    hint:
                        "use lowercase letters, digits, '-' and '/', starting with a letter (name: in modelgate.yml)",
                    exitStatus: .badInput)
            }
            if let environment = request.environment, !Self.isGTOName(environment) {
                throw ArtifactError(
                    "the environment '\(environment)' does not follow GTO's rules",
                    hint: "use lowercase letters, digits and '-', starting with a letter",
                    exitStatus: .badInput)
            }
            if let version = request.name {
                let normalized = version.hasPrefix("v") ? version : "v\(version)"
                guard Self.isSemanticVersion(String(normalized.dropFirst())) else {
                    throw ArtifactError(
                        "'\(version)' is not a semantic version", hint: "GTO versions look like v1.2.3",
                        exitStatus: .badInput)
                }
                let registration = "\(model)@\(normalized)"
                if let existing = try? repository.tag(named: registration) {
                    guard existing.targetID == commit else {
                        throw ArtifactError(
                            "\(registration) already marks \(existing.targetID.short)",
                            location: registration,
                            hint: "choose the next version", exitStatus: .badInput)
                    }
                } else {
                    names.append(registration)
                }
            }
            if let environment = request.environment {
                let numbers = try repository.tags().compactMap { tag -> Int? in
                    let parts = tag.name.split(separator: "#", omittingEmptySubsequences: false)
                    return parts.count == 3 && parts[0] == model ? Int(parts[2]) : nil
                }
                names.append("\(model)#\(environment)#\((numbers.max() ?? 0) + 1)")
            }
            if names.isEmpty {
                throw ArtifactError(
                    "nothing to tag: give a version to register, --env to assign, or both",
                    exitStatus: .badInput)
            }
        } else {
            guard let name = request.name else {
                throw ArtifactError("give the tag's name", exitStatus: .badInput)
            }
            names = [name]
        }
        let subject = request.message ?? defaultSubject(manifest: manifest, commit: commit, request: request)
        var created: [Release] = []
        for name in names {
            // A GTO registration (name@vX.Y.Z) deploys nowhere; only the assignment names the environment.
            let isRegistration = request.gto && !name.contains("#")
            var trailers = [
                "Modelgate-Artifact: \(artifact)",
                "Modelgate-Fingerprint: \(record.fingerprint)",
            ]
            if let environment = request.environment, !isRegistration {
                trailers.append("Modelgate-Environment: \(environment)")
            }
            trailers.append("Modelgate-Metrics: \(ArtifactManifest.compactJSON(record.metrics))")
            trailers.append("Modelgate-Commit: \(commit.hex)")
            let message =
                subject.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n"
                + trailers.joined(separator: "\n") + "\n"
            try repository.createTag(name, target: commit, message: message)
            if let release = try release(named: name) { created.append(release) }
        }
        return created
    }

    private func defaultSubject(manifest: ArtifactManifest, commit: ObjectID, request: Request) -> String {
        // A tag like housing@v1.0.0 already names the model; a bare one (v1.0.0) gets it in front.
        let what =
            request.name.map { $0.hasPrefix(manifest.name) ? $0 : "\(manifest.name) \($0)" } ?? manifest.name
        if let environment = request.environment { return "Release \(what) to \(environment)" }
        return "Release \(what) (\(commit.short))"
    }

    // MARK: - Reading

    /// Every release tag, newest first.
    public func releases() throws -> [Release] {
        try repository.tags().compactMap { try release(from: $0) }.sorted(by: Release.newerFirst)
    }

    /// The release called `name`, or nil when that tag is not a release.
    public func release(named name: String) throws -> Release? {
        try release(from: repository.tag(named: name))
    }

    private func release(from tag: Tag) throws -> Release? {
        let trailers = Self.trailers(of: tag.message ?? "")
        let gto = Self.parseGTO(tag.name)
        guard trailers["Modelgate-Artifact"] != nil || gto != nil else { return nil }
        var metrics: [String: Double]?
        if let text = trailers["Modelgate-Metrics"] {
            metrics = try? JSONDecoder().decode([String: Double].self, from: Data(text.utf8))
        }
        return Release(
            tag: tag.name, commit: tag.targetID.hex,
            environment: trailers["Modelgate-Environment"] ?? gto?.environment,
            artifact: trailers["Modelgate-Artifact"], fingerprint: trailers["Modelgate-Fingerprint"],
            metrics: metrics,
            model: gto?.model, version: gto?.version, number: gto?.number, date: tag.tagger?.date,
            tagger: tag.tagger.map { "\($0.name) <\($0.email)>" })
    }

    /// The trailers of the last paragraph of `message` (`Key: value` lines), as git reads them.
    static func trailers(of message: String) -> [String: String] {
        let paragraphs = message.trimmingCharacters(in: .whitespacesAndNewlines).components(
            separatedBy: "\n\n")
        guard let last = paragraphs.last, paragraphs.count > 1 else { return [:] }
        var result: [String: String] = [:]
        for line in last.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { continue }
            result[String(key)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// GTO's tag names: `model@vX.Y.Z` (registration) and `model#env#N` / `model#env` (assignment).
    static func parseGTO(_ name: String) -> (
        model: String, version: String?, environment: String?, number: Int?
    )? {
        let parts = name.split(separator: "#", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3 || parts.count == 2, isGTOName(parts[0]), isGTOName(parts[1]) {
            if parts.count == 3 {
                guard let number = Int(parts[2]) else { return nil }
                return (parts[0], nil, parts[1], number)
            }
            return (parts[0], nil, parts[1], nil)
        }
        if let at = name.lastIndex(of: "@") {
            let model = String(name[..<at])
            let version = String(name[name.index(after: at)...])
            if isGTOName(model), version.hasPrefix("v"), isSemanticVersion(String(version.dropFirst())) {
                return (model, version, nil, nil)
            }
        }
        return nil
    }

    /// GTO's name rule: `[a-z][a-z0-9-/]*[a-z0-9]`.
    static func isGTOName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 2, let first = scalars.first, let last = scalars.last else { return false }
        func lower(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) }
        func digit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
        return lower(first) && (lower(last) || digit(last))
            && scalars.allSatisfy { lower($0) || digit($0) || $0 == "-" || $0 == "/" }
    }

    /// MAJOR.MINOR.PATCH with optional -prerelease and +build.
    static func isSemanticVersion(_ text: String) -> Bool {
        let core = text.split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        let numbers = (core.split(separator: "-", maxSplits: 1).first ?? "").split(
            separator: ".", omittingEmptySubsequences: false)
        return numbers.count == 3
            && numbers.allSatisfy {
                !$0.isEmpty && $0.allSatisfy(\.isNumber) && ($0 == "0" || !$0.hasPrefix("0"))
            }
    }
}

/// One release tag as read back.
public struct Release: Codable, Sendable, Equatable {
    /// The tag's name.
    public let tag: String
    /// The commit it marks.
    public let commit: String
    /// The environment deployed to, from the trailer or GTO's `#env#` (nil for a plain registration).
    public let environment: String?
    /// `Modelgate-Artifact`.
    public let artifact: String?
    /// `Modelgate-Fingerprint`.
    public let fingerprint: String?
    /// `Modelgate-Metrics`.
    public let metrics: [String: Double]?
    /// GTO: the model's name.
    public let model: String?
    /// GTO: the registered version.
    public let version: String?
    /// GTO: the assignment's counter.
    public let number: Int?
    /// When the tag was made.
    public let date: Date?
    /// Who made it.
    public let tagger: String?

    /// Newest first: tag date, then GTO counter, then name.
    static func newerFirst(_ a: Release, _ b: Release) -> Bool {
        let (da, db) = (a.date ?? .distantPast, b.date ?? .distantPast)
        if da != db { return da > db }
        if (a.number ?? 0) != (b.number ?? 0) { return (a.number ?? 0) > (b.number ?? 0) }
        return a.tag > b.tag
    }
}
