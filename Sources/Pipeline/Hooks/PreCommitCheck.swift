import Diagnostics
import Foundation
import GitKit

/// What `modelgate hook pre-commit` does: judge exactly what is being committed, fast when it is irrelevant.
///
/// The staged tree is evaluated (the index git is committing, which is a temporary index for
/// `git commit -a` or `git commit PATH`; the caller sets `Repository.indexFile` from
/// `GIT_INDEX_FILE`). The work tree and the stash are never touched. When no staged path matches
/// a stage's dependency patterns or `modelgate.yml`, it returns at once without exporting anything.
public struct PreCommitCheck {
    /// The outcome.
    public enum Result {
        /// Let the commit through; print the line when there is one.
        case allowed(String?)
        /// The pipeline ran (or reused a verdict) on the staged tree; the record decides.
        case evaluated(PipelineRunner.Outcome, changed: [String])
        /// `hooks.pre-commit: validate`: only the validation stages ran; `error` is set when one
        /// failed, `gates` are the gates on the metrics they reported.
        case validated(
            stages: [RunRecord.StageResult], error: String?, gates: [GateResult], changed: [String])
    }

    /// Operations that commit step by step; each step is not trained, the pushed tip is.
    static let sequenceOperations: Set<RepositoryOperation> = [
        .merge, .rebase, .cherryPick, .revert, .applyMailbox,
    ]

    let repository: Repository
    let artifacts: ArtifactSink?
    /// What is evaluated: `.staged`, or `.amend` when the commit replaces HEAD.
    let source: EvaluationSource

    /// Makes a check of `repository`'s staged files (set `repository.indexFile` first when git gave
    /// one); a passing run's outputs go to `artifacts`. `amending`: the commit replaces HEAD
    /// (`git commit --amend`, see `GitInvocation`), so baselines are searched from HEAD's parent.
    public init(repository: Repository, artifacts: ArtifactSink? = nil, amending: Bool = false) {
        self.repository = repository
        self.artifacts = artifacts
        source = amending ? .amend : .staged
    }

    /// The command that evaluates the same thing by hand: `modelgate run --staged [--amend]`,
    /// after `git add -- PATHS` when git was committing a temporary index.
    ///
    /// `git commit -a` and `git commit PATH` stage into a temporary index (`GIT_INDEX_FILE`)
    /// that is gone once the commit is refused; `.git/index` never held those changes, so a bare
    /// `run --staged` would judge something else (and pass from the cache). Staging the `changed`
    /// paths from the work tree, as those commits do, puts the same blobs in the index: the
    /// same fingerprint, so the same verdict (from the cache, with no retraining).
    public func reproduce(changed: [String]) -> String {
        let run = "modelgate run \(source.runArguments)"
        guard isCommittingTemporaryIndex, !changed.isEmpty else { return run }
        if changed.count > 20 { return "git add -u && \(run)" }
        return "git add -- \(changed.map(Self.shellQuoted).joined(separator: " ")) && \(run)"
    }

    /// True when git gave the hook an index other than the repository's own (`commit -a`, `commit PATH`).
    var isCommittingTemporaryIndex: Bool {
        guard let file = repository.indexFile else { return false }
        let own = repository.gitDirectory.appendingPathComponent("index")
        return file.resolvingSymlinksInPath().path != own.resolvingSymlinksInPath().path
    }

    /// `path` as one POSIX shell word: bare when it holds only safe characters, else single-quoted.
    static func shellQuoted(_ path: String) -> String {
        let safe = path.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "._-/+,@%=".unicodeScalars.contains($0)
        }
        if safe && !path.isEmpty && !path.hasPrefix("-") { return path }
        return "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Where the shim's fast-path pathspec lives: `<common dir>/modelgate/pre-commit.pathspec`.
    public static func pathspecURL(_ repository: Repository) -> URL {
        repository.commonDirectory.appendingPathComponent("modelgate/pre-commit.pathspec")
    }

    /// Decides, and runs the pipeline when something relevant is staged.
    public func run(observer: RunObserver? = nil) throws -> Result {
        _ = try repository.requireWorkingDirectory(for: "check the staged files")
        let staged = try repository.diffHeadToIndex()
        guard !staged.isEmpty else { return .allowed(nil) }
        guard let (config, configBlob) = try stagedConfig() else {
            if staged.contains(where: { $0.path == PipelineConfig.fileName }) {
                return .allowed("modelgate: this commit removes \(PipelineConfig.fileName); nothing to check")
            }
            return .allowed(nil)
        }
        writePathspec(for: config, configBlob: configBlob)
        if config.hooks.preCommit == .off { return .allowed(nil) }
        let relevant = Self.relevantPaths(staged, config: config)
        guard !relevant.isEmpty else { return .allowed(nil) }

        let operation = repository.operationInProgress
        if Self.sequenceOperations.contains(operation) {
            return .allowed(
                "modelgate: \(operation.rawValue) in progress; this step is not trained now (pre-push checks the tip you push)"
            )
        }
        switch config.hooks.preCommit {
        case .off:
            return .allowed(nil)
        case .train where config.stages.contains(where: \.runsOnCI):
            // `runs_on: ci` stages never run in a hook: the others run, as `validate` runs its
            // stages (gates judged on the metrics they report, nothing recorded).
            return try runStages(
                config.stages.filter { !$0.runsOnCI }, changed: relevant, observer: observer,
                none:
                    "modelgate: every stage has 'runs_on: ci'; nothing ran here (CI's signed verdict decides)"
            )
        case .train:
            let outcome = try PipelineRunner(repository: repository, artifacts: artifacts).run(
                source, observer: observer)
            // The commit goes ahead: its post-commit step makes this verdict the commit's record.
            if outcome.record.verdict == .pass {
                PostCommitRecord(repository: repository).expect(outcome.record)
            }
            return .evaluated(outcome, changed: relevant)
        case .validate:
            return try validate(config, changed: relevant, observer: observer)
        }
    }

    /// Staged paths (or the paths they were renamed from) that a stage depends on, and modelgate.yml.
    static func relevantPaths(_ staged: [DiffEntry], config: PipelineConfig) -> [String] {
        let patterns = config.stages.flatMap(\.dependencyPatterns).map(PathPattern.init)
        return staged.filter { entry in
            [entry.path, entry.oldPath].compactMap { $0 }.contains { path in
                path == PipelineConfig.fileName || patterns.contains { $0.matches(path) }
            }
        }.map(\.path)
    }

    /// The staged modelgate.yml, parsed, and its blob id; nil when none is staged.
    func stagedConfig() throws -> (PipelineConfig, ObjectID)? {
        guard
            let entry = try repository.indexEntries(matching: [PipelineConfig.fileName])
                .first(where: { $0.path == PipelineConfig.fileName && $0.stage == 0 && !$0.isIntentToAdd })
        else { return nil }
        return (try ConfigLoader().load(blob: entry.id, in: repository), entry.id)
    }

    /// The shim's fast-path file for `config`: a format line, the config blob it belongs to, the
    /// policy, then one git pathspec per dependency pattern. Nil when a pattern cannot be written.
    static func pathspec(for config: PipelineConfig, configBlob: ObjectID) -> String? {
        var lines = [
            "modelgate pathspec 1", "config \(configBlob.hex)", "policy \(config.hooks.preCommit.rawValue)",
        ]
        for pattern in config.stages.flatMap(\.dependencyPatterns) {
            let normalized = PathPattern(pattern).pattern
            guard !normalized.contains("\n"), !normalized.contains("\r") else { return nil }
            // Same meaning as PathPattern: git's glob magic, from the top of the work tree.
            lines.append(":(top,glob)\(normalized)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the shim's fast-path file for the staged config, if there is one (at install, so
    /// the first commit after it is already fast). Never fails: the shortcut is only an optimisation.
    public func refreshPathspec() {
        guard let (config, blob) = try? stagedConfig() else { return }
        writePathspec(for: config, configBlob: blob)
    }

    /// Keeps the shim's fast-path file current; a failure only costs the shim its shortcut.
    func writePathspec(for config: PipelineConfig, configBlob: ObjectID) {
        let url = Self.pathspecURL(repository)
        guard let text = Self.pathspec(for: config, configBlob: configBlob) else {
            try? FileManager.default.removeItem(at: url)
            return
        }
        if FileManager.default.contents(atPath: url.path) == Data(text.utf8) { return }
        try? AtomicFile.write(Data(text.utf8), to: url)
    }

    /// The stages `hooks.pre-commit: validate` runs: built-in `validate` stages (data checks),
    /// and command stages named `validate` or `validate-…`.
    static func validationStages(of config: PipelineConfig) -> [Stage] {
        config.stages.filter { stage in
            if case .validate = stage.kind { return true }
            return stage.name == "validate" || stage.name.hasPrefix("validate-")
        }
    }

    /// Runs only the validation stages on the staged files, and judges the gates on the metrics
    /// they report (e.g. drift); other gates wait for the full run at push. Nothing is recorded.
    func validate(_ config: PipelineConfig, changed: [String], observer: RunObserver?) throws -> Result {
        try runStages(
            Self.validationStages(of: config).filter { !$0.runsOnCI }, changed: changed, observer: observer,
            none:
                "modelgate: hooks.pre-commit is 'validate', but modelgate.yml has no validate stage; nothing ran (pre-push still requires a passing verdict)"
        )
    }

    /// Runs `stages` alone on the staged files (no cache, no note); `none` is said when empty.
    func runStages(_ stages: [Stage], changed: [String], observer: RunObserver?, none: String) throws
        -> Result
    {
        guard !stages.isEmpty else { return .allowed(none) }
        let names = Set(stages.map(\.name))
        let outcome = try PipelineRunner(repository: repository).runStages(
            source, where: { names.contains($0.name) }, observer: observer)
        let record = outcome.record
        return .validated(stages: record.stages, error: record.error, gates: record.gates, changed: changed)
    }
}
