import Foundation
import TestSupport

/// A repository with a one-stage pipeline, modelgate's hooks and a bare remote, driven by real `git`.
///
/// The stage reads `data/a.csv`, appends a line to `runs.log` beside the repository (so tests can
/// count how often it really ran) and reports r2 = 0.9 + rows/100; the gate wants r2 >= 0.92, so
/// two or more data rows pass and one row fails.
final class HookFixture {
    let repo: TemporaryRepository
    let remote: URL

    var runCount: Int {
        (try? String(contentsOf: repo.directory.appending("runs.log"), encoding: .utf8))?
            .split(separator: "\n").count ?? 0
    }

    static let passingData = "x\n1\n2\n"
    static let failingData = "x\n1\n"

    init(install: Bool = true, policy: String = "train", prePush: String = "require") throws {
        repo = try TemporaryRepository()
        remote = repo.directory.appending("remote.git")
        let counter = repo.directory.appending("runs.log").path
        try repo.commit(
            files: [
                "modelgate.yml": ScoringPipeline.config(
                    timeout: "20s",
                    extra:
                        "gates:\n  - {metric: r2, min: 0.92}\nhooks:\n  pre-commit: \(policy)\n  pre-push: \(prePush)\n"
                ),
                "score.sh": ScoringPipeline.script(counter: counter, testRows: false),
                "data/a.csv": Self.passingData,
                "README.md": "demo\n",
            ], message: "initial model")
        try repo.git(["init", "--quiet", "--bare", remote.path], in: repo.directory.url)
        try repo.git(["remote", "add", "origin", remote.path])
        if install {
            let result = try modelgate(["install"])
            guard result.status == 0 else { throw TestFailure("install failed: \(result.stderr)") }
        }
    }

    /// Runs the modelgate binary in the work tree (or `directory`).
    func modelgate(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:])
        throws
        -> ProcessResult
    {
        try ModelgateBinary.run(
            arguments, in: directory ?? repo.url,
            environment: repo.gitEnvironment().merging(environment) { _, new in new })
    }

    /// `git commit -m MESSAGE` with `files` written and staged first; the whole result.
    func commit(
        _ files: [String: String], message: String, extra: [String] = [], environment: [String: String] = [:]
    )
        throws -> ProcessResult
    {
        try repo.write(files)
        if !files.isEmpty { try repo.git(["add", "--"] + files.keys.sorted()) }
        return try repo.gitResult(["commit", "--quiet", "-m", message] + extra, environment: environment)
    }

    func head() throws -> String { try repo.git(["rev-parse", "HEAD"]) }

    /// What the remote has for `ref`, or nil.
    func remoteRef(_ ref: String) throws -> String? {
        let result = try repo.gitResult(["rev-parse", "--verify", "--quiet", ref], in: remote)
        return result.status == 0 ? result.output : nil
    }

    func hooksDirectory() throws -> URL {
        URL(fileURLWithPath: try repo.git(["rev-parse", "--path-format=absolute", "--git-path", "hooks"]))
    }
}

/// The permission bits of a file.
func fileMode(_ url: URL) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue
        ?? -1
}

/// Writes an executable script.
func writeScript(_ text: String, to url: URL, mode: Int = 0o755) throws {
    try ExecutableFile.write(text, to: url, mode: mode_t(mode))
}
