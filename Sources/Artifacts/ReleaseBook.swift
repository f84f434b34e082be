import Diagnostics
import Foundation
import GitKit
import Pipeline
import Processes
import Trust

/// Releases are annotated tags on blessed commits whose message ends in trailers
/// (`Modelgate-Artifact`, `Modelgate-Fingerprint`, `Modelgate-Environment`, `Modelgate-Metrics`).
/// GTO's tag names (`model@v1.2.3` registers a version, `model#env#N` assigns an environment)
/// are written with `--gto` and read whoever wrote them. Tags are read with `ReleaseTag`, under
/// its limits; every tag this book writes is one `ReleaseTag` reads back.
public struct ReleaseBook {
    let repository: Repository
    let store: ArtifactStore
    let notes: RecordNotes
    let inspector: PipelineInspector
    /// `trust:` of HEAD's tree, when it has `release` in `require`; loaded once, its error kept
    /// for the first assessment (an unreadable signers file refuses every release).
    let releaseTrust: Result<TrustedVerdicts?, Error>

    /// Makes a release book for `repository`.
    public init(repository: Repository) {
        self.repository = repository
        store = ArtifactStore(repository: repository)
        notes = RecordNotes(repository: repository)
        inspector = PipelineInspector(repository: repository)
        releaseTrust = Result {
            guard let (policy, signers) = try TrustedVerdicts.policy(in: repository), policy.release else {
                return nil
            }
            return TrustedVerdicts(repository: repository, signers: signers)
        }
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
    /// fingerprint recomputed for the commit equals the record's), it is trusted when the trust
    /// policy requires it for releases, it names an artifact, and the artifact verifies.
    public func assess(_ commit: ObjectID) throws -> Assessment {
        let verdict = try assessVerdict(commit)
        guard verdict.isBlessed, let record = verdict.record else { return verdict }
        let short = commit.short
        guard let text = record.artifact, let digest = Digest(text) else {
            return Assessment(
                commit: commit, record: record, artifact: nil,
                refusal: "\(short) passed but has no stored artifact",
                hint: "store it with 'modelgate run --rev \(short) --force'")
        }
        let verification = try store.verify(digest)
        guard verification.isIntact else {
            return Assessment(
                commit: commit, record: record, artifact: nil,
                refusal: "\(short)'s artifact \(digest.short) does not verify ("
                    + verification.problems.map { "\($0.path): \($0.problem)" }.joined(separator: "; ") + ")",
                hint: "re-create it with 'modelgate run --rev \(short) --force'")
        }
        return Assessment(commit: commit, record: record, artifact: digest, refusal: nil, hint: nil)
    }

    /// The verdict half of `assess`, without the artifact: a passing record that is not stale,
    /// and trusted when trust.require has `release`. `modelgate deployed` records a deployment
    /// with it (the artifact may live in a registry, not in this clone's store). With
    /// `verdictOptional` (`deployed --force`) only the trust policy is checked: a policy is
    /// never forced past. The assessment's `artifact` is always nil.
    public func assessVerdict(_ commit: ObjectID, verdictOptional: Bool = false) throws -> Assessment {
        func refuse(_ record: RunRecord?, _ reason: String, _ hint: String) -> Assessment {
            Assessment(commit: commit, record: record, artifact: nil, refusal: reason, hint: hint)
        }
        let short = commit.short
        if verdictOptional {
            guard let trust = try releaseTrust.get() else {
                return Assessment(commit: commit, record: nil, artifact: nil, refusal: nil, hint: nil)
            }
            guard let fingerprint = try TrustedVerdicts.fingerprint(of: commit, in: repository) else {
                return refuse(
                    nil, "\(short) has no modelgate.yml, so no trusted verdict",
                    "see 'modelgate verify \(short)'")
            }
            let refusal = try trustAssessment(trust, commit, fingerprint: fingerprint, record: nil)
            return refusal ?? Assessment(commit: commit, record: nil, artifact: nil, refusal: nil, hint: nil)
        }
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
        // With `release` in trust.require, only a trusted signed verdict for these inputs blesses.
        if let trust = try releaseTrust.get(),
            let refusal = try trustAssessment(trust, commit, fingerprint: current, record: record)
        {
            return refusal
        }
        return Assessment(commit: commit, record: record, artifact: nil, refusal: nil, hint: nil)
    }

    /// The refusal when `commit` (inputs `fingerprint`) has no trusted passing verdict; nil when it has.
    private func trustAssessment(
        _ trust: TrustedVerdicts, _ commit: ObjectID, fingerprint: String, record: RunRecord?
    ) throws -> Assessment? {
        let short = commit.short
        switch try trust.check(commit, fingerprint: fingerprint) {
        case .trusted(let trusted) where trusted.record.verdict != .pass:
            return Assessment(
                commit: commit, record: record, artifact: nil,
                refusal:
                    "\(short)'s trusted verdict (signed by \(trusted.principal)) is \(trusted.record.verdict.rawValue)",
                hint: "see 'modelgate verify \(short)'")
        case .trusted: return nil
        case .refused(let refusal):
            return Assessment(
                commit: commit, record: record, artifact: nil,
                refusal: "\(short) has no trusted verdict (trust.require has 'release'): \(refusal.text)",
                hint:
                    "let CI sign a verdict for it ('modelgate run --rev \(short) --sign KEY'), then 'modelgate sync'"
            )
        }
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
        /// Sign the tags with this SSH key (`git tag -s`, gpg.format=ssh), when set.
        public var signingKey: String?

        /// Makes a request.
        public init(
            name: String?, environment: String?, message: String?, gto: Bool, signingKey: String? = nil
        ) {
            self.name = name
            self.environment = environment
            self.message = message
            self.gto = gto
            self.signingKey = signingKey
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
                || ReleaseTag.oneLineProblem(environment, "it") != nil
        {
            throw ArtifactError(
                "'\(TerminalText.cell(environment, limit: 60))' is not a valid environment name",
                hint: "use e.g. production or staging", exitStatus: .badInput)
        }
        let manifest = try store.manifest(artifact)
        var names: [String] = []
        if request.gto {
            let model = manifest.name
            guard GTOName.isName(model) else {
                throw ArtifactError(
                    "the model name '\(model)' does not follow GTO's rules",
                    location: PipelineConfig.fileName,
                    hint:
                        "use lowercase letters, digits, '-' and '/', starting with a letter (name: in modelgate.yml)",
                    exitStatus: .badInput)
            }
            if let environment = request.environment, !GTOName.isName(environment) {
                throw ArtifactError(
                    "the environment '\(environment)' does not follow GTO's rules",
                    hint: "use lowercase letters, digits and '-', starting with a letter",
                    exitStatus: .badInput)
            }
            if let version = request.name {
                let normalized = version.hasPrefix("v") ? version : "v\(version)"
                guard GTOName.isSemanticVersion(String(normalized.dropFirst())) else {
                    throw ArtifactError(
                        "'\(version)' is not a semantic version", hint: "GTO versions look like v1.2.3",
                        exitStatus: .badInput)
                }
                let registration = "\(model)@\(normalized)"
                switch try ReleaseTag.read(named: registration, in: repository) {
                case .success(let existing)?:
                    guard existing.commit == commit else {
                        throw ArtifactError(
                            "\(registration) already marks \(existing.commit.short)",
                            location: registration,
                            hint: "choose the next version", exitStatus: .badInput)
                    }
                case .failure(let unreadable)?:
                    throw ArtifactError(
                        "\(registration) already exists and cannot be read: \(unreadable.reason)",
                        location: registration, hint: "choose the next version", exitStatus: .badInput)
                case nil:
                    names.append(registration)
                }
            }
            if let environment = request.environment {
                names.append("\(model)#\(environment)#\(try nextCounter(of: model))")
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
            // A release is a tag every reader can read back (ReleaseTag's one-line rule).
            if let problem = ReleaseTag.oneLineProblem(name, "the tag name") {
                throw ArtifactError(
                    "'\(TerminalText.cell(name, limit: 60))' cannot be a release tag: \(problem)",
                    hint: "use letters, digits, '.', '-', '_', '/', '@' or '#'", exitStatus: .badInput)
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
                + Self.metricsParagraph(record) + trailers.joined(separator: "\n") + "\n"
            // The tag's header (object, type, tag, tagger) takes well under 1 KiB.
            guard message.utf8.count + 1_024 <= ReleaseTag.maxObjectBytes else {
                throw ArtifactError(
                    "the tag message would be \(message.utf8.count) bytes; a release tag is at most \(ReleaseTag.maxObjectBytes) bytes",
                    hint: "shorten --message", exitStatus: .badInput)
            }
            if let key = request.signingKey {
                try createSignedTag(name, target: commit, message: message, key: key)
            } else {
                try repository.createTag(name, target: commit, message: message)
            }
            if let release = try release(named: name) { created.append(release) }
        }
        return created
    }

    /// An SSH-signed annotated tag, made by git itself (`git tag -s` with gpg.format=ssh and
    /// `user.signingKey` KEY), so that `git tag -v` verifies it with gpg.ssh.allowedSignersFile.
    private func createSignedTag(_ name: String, target: ObjectID, message: String, key: String) throws {
        var child = ChildProcess(
            "git",
            [
                "-c", "gpg.format=ssh", "-c", "user.signingKey=\(key)", "tag", "-s", "--cleanup=verbatim",
                "-F", "-", name, target.hex,
            ])
        child.directory = (repository.workingDirectory ?? repository.gitDirectory).path
        child.input = Array(message.utf8)
        let result = try child.collect(limit: 1 << 16)
        guard result.ending == .exited(0) else {
            throw ArtifactError(
                "could not sign the tag \(name): \(String(decoding: result.error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))",
                location: key, hint: "check the key ('ssh-keygen -y -f KEY'), or add it to ssh-agent",
                exitStatus: .failure)
        }
    }

    /// The next GTO assignment counter of `model`: one more than the largest one any tag name
    /// has (names only; no tag is read). Names whose counter is over `GTOName.maxCounter` are
    /// no GTO names and do not count; refused (exit 2) when the next one would be over it.
    func nextCounter(of model: String) throws -> Int {
        var largest = 0
        for name in try repository.tagNames() {
            guard let gto = GTOName(name), gto.model == model, let number = gto.number else { continue }
            largest = max(largest, number)
        }
        guard largest < GTOName.maxCounter else {
            throw ArtifactError(
                "the GTO counter of \(model) is already \(largest), the largest modelgate writes",
                location: "\(model)#…#\(largest)",
                hint: "release without --gto, or delete the tag with the largest counter if nobody uses it",
                exitStatus: .badInput)
        }
        return largest + 1
    }

    /// The metrics as a person reads them, for the tag message's body: gated metrics first, at
    /// most `metricsShown` ("accuracy 0.9712 · f1 0.952 · rows 451"), then a blank line; ""
    /// without metrics. The `Modelgate-Metrics` trailer keeps every value in full precision.
    static func metricsParagraph(_ record: RunRecord) -> String {
        let names = MetricOrder.forReading(Set(record.metrics.keys), gates: record.gates.map(\.metric))
        guard !names.isEmpty else { return "" }
        let shown = names.prefix(metricsShown).map {
            "\(TerminalText.cell($0, limit: RunReport.nameWidth)) \(ReadableNumber.value(record.metrics[$0], metric: $0))"
        }
        let more = names.count > metricsShown ? " · and \(names.count - metricsShown) more" : ""
        return "Metrics: " + shown.joined(separator: " · ") + more + "\n\n"
    }

    /// The most metrics named in a tag message's body.
    static let metricsShown = 12

    private func defaultSubject(manifest: ArtifactManifest, commit: ObjectID, request: Request) -> String {
        // A tag like housing@v1.0.0 already names the model; a bare one (v1.0.0) gets it in front.
        let what =
            request.name.map { $0.hasPrefix(manifest.name) ? $0 : "\(manifest.name) \($0)" } ?? manifest.name
        if let environment = request.environment { return "Release \(what) to \(environment)" }
        return "Release \(what) (\(commit.short))"
    }

    // MARK: - Reading

    /// Every readable release tag (modelgate's trailers or a GTO name), newest first.
    public func releases() throws -> [Release] {
        try releaseListing().releases
    }

    /// Every release tag (modelgate's trailers or a GTO name), newest first (`ReleaseOrder`, as
    /// the site lists them), and the tags that cannot be read, with their reasons.
    public func releaseListing() throws -> (releases: [Release], unreadable: [UnreadableTag]) {
        let (tags, unreadable) = try ReleaseTag.all(in: repository)
        let releases = try ReleaseOrder.newestFirst(tags.filter(\.isRelease), in: repository).map(
            Release.init)
        return (releases, unreadable)
    }

    /// The release called `name`, or nil when that tag is not a release.
    public func release(named name: String) throws -> Release? {
        switch try ReleaseTag.read(named: name, in: repository) {
        case .success(let tag)?:
            return tag.isRelease ? Release(try ReleaseOrder.dated(tag, in: repository)) : nil
        case .failure(let unreadable)?:
            throw ArtifactError(
                "the tag \(name) cannot be read: \(unreadable.reason)", location: name, exitStatus: .badInput)
        case nil: return nil
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
    /// When the tag was made: the tagger's date, else (a lightweight tag) its commit's date.
    public let date: Date?
    /// Who made it.
    public let tagger: String?

    /// The release `dated` describes.
    init(_ dated: ReleaseOrder.Dated) {
        let tag = dated.tag
        self.tag = tag.name
        commit = tag.commit.hex
        environment = tag.environment
        artifact = tag.artifact
        fingerprint = tag.fingerprint
        metrics = tag.metrics
        model = tag.gto?.model
        version = tag.gto?.version
        number = tag.gto?.number
        date = dated.date
        tagger = tag.tagger.map { "\($0.name) <\($0.email)>" }
    }
}
