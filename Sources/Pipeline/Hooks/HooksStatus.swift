import Foundation
import GitKit

/// Where the hooks are, which are modelgate's, and whether git will run them: `modelgate hooks`.
public struct HooksStatus: Codable, Sendable {
    /// One hook modelgate installs.
    public struct Hook: Codable, Sendable {
        /// "pre-commit" or "pre-push".
        public var name: String
        /// Where git looks for it.
        public var path: String
        /// missing, modelgate, or other (another tool's or the user's own hook).
        public var state: String
        /// The shim's version, for modelgate's.
        public var version: Int?
        /// True when modelgate's shim is the one this binary would install (same text apart from the path).
        public var upToDate: Bool?
        /// True when git will run the file (it exists and is executable).
        public var gitRunsIt: Bool
        /// The kept hook the shim runs first, if any.
        public var chained: String?
        /// True when that kept hook is executable (and so runs).
        public var chainedRuns: Bool?
        /// The binary the shim calls, as recorded at install.
        public var binary: String?
        /// True when that binary exists (else the shim falls back to PATH, or fails closed).
        public var binaryExists: Bool?
        /// Another tool that calls modelgate's shim, e.g. the pre-commit framework via `pre-commit.legacy`.
        public var calledBy: String?
        /// True when modelgate checks happen for this hook: git runs it and it is (or calls) modelgate's.
        public var modelgateRuns: Bool
    }

    /// The directory git runs hooks from.
    public var hooksDirectory: String
    /// `core.hooksPath` as configured, when set.
    public var coreHooksPath: String?
    /// True when the hooks directory is committed in the work tree (e.g. husky's `.husky`).
    public var hooksDirectoryTracked: Bool
    /// The hooks.
    public var hooks: [Hook]
    /// Things worth knowing, one line each (stray shims git ignores, a tool that rewrites the directory…).
    public var notes: [String]

    /// Reads the state of `repository`'s hooks.
    public init(repository: Repository) throws {
        let directory = try repository.hooksDirectory
        hooksDirectory = directory.path
        coreHooksPath = try repository.configPath("core.hooksPath").flatMap { $0.isEmpty ? nil : $0 }
        hooksDirectoryTracked = try HookInstaller(repository: repository).trackedHooksPath(directory) != nil
        notes = []
        hooks = []
        for name in HookShims.names {
            hooks.append(Self.inspect(name, in: directory))
        }
        let defaultDirectory = repository.commonDirectory.appendingPathComponent("hooks")
        if coreHooksPath != nil,
            defaultDirectory.standardizedFileURL.path != directory.standardizedFileURL.path
        {
            for name in HookShims.names {
                let stray = defaultDirectory.appendingPathComponent(name)
                if let data = FileManager.default.contents(atPath: stray.path), HookInstaller.isShim(data) {
                    notes.append(
                        "\(stray.path) is a modelgate shim, but git does not run it: core.hooksPath sends git to \(directory.path)"
                    )
                }
            }
        }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("h").path)
            || FileManager.default.fileExists(atPath: directory.appendingPathComponent("husky.sh").path)
        {
            notes.append(
                "this looks like husky's hooks directory; husky rewrites it on 'npm install', so check 'modelgate hooks' afterwards"
            )
        }
        if hooksDirectoryTracked {
            notes.append("the hooks directory is committed; its files change for everyone who pulls")
        }
    }

    static func inspect(_ name: String, in directory: URL) -> Hook {
        let url = directory.appendingPathComponent(name)
        let data = FileManager.default.contents(atPath: url.path)
        let runs = data != nil && FileManager.default.isExecutableFile(atPath: url.path)
        var hook = Hook(
            name: name, path: url.path, state: data == nil ? "missing" : "other", gitRunsIt: runs,
            modelgateRuns: false)
        let chained = directory.appendingPathComponent(name + HookInstaller.chainedSuffix)
        if HookInstaller.lexists(chained.path) {
            hook.chained = chained.path
            hook.chainedRuns = FileManager.default.isExecutableFile(atPath: chained.path)
        }
        var shimText: String?
        if let data, HookInstaller.isShim(data) {
            hook.state = "modelgate"
            shimText = String(decoding: data, as: UTF8.self)
            hook.modelgateRuns = runs
        } else if let data {
            // The pre-commit framework keeps the hook it replaced as NAME.legacy and runs it first.
            let legacy = directory.appendingPathComponent(name + ".legacy")
            let text = String(decoding: data.prefix(8192), as: UTF8.self)
            if let legacyData = FileManager.default.contents(atPath: legacy.path),
                HookInstaller.isShim(legacyData)
            {
                hook.calledBy =
                    text.contains("pre-commit")
                    ? "the pre-commit framework (as \(name).legacy)" : "\(name) (as \(name).legacy)"
                shimText = String(decoding: legacyData, as: UTF8.self)
                hook.modelgateRuns = runs && FileManager.default.isExecutableFile(atPath: legacy.path)
            }
        }
        if let shimText {
            hook.version = HookInstaller.shimVersion(of: shimText)
            hook.binary = HookInstaller.recordedBinary(in: shimText)
            hook.binaryExists = hook.binary.map { FileManager.default.isExecutableFile(atPath: $0) }
            hook.upToDate = hook.binary.map { HookInstaller.shim(name, binary: $0) == shimText }
        }
        return hook
    }

    /// `modelgate` on PATH (the first executable one), as the shims' fallback finds it.
    public static func binaryOnPath(_ path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String?
    {
        for directory in (path ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/modelgate"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a shim's recorded binary means for the hook, with the fix when it is gone.
    public static func binaryState(_ binary: String, exists: Bool) -> String {
        if exists { return "calls \(binary)" }
        if let fallback = binaryOnPath() {
            return
                "binary \(binary) is gone; calls \(fallback) from PATH (run 'modelgate install' with it to record it)"
        }
        return
            "binary \(binary) is gone and no modelgate is on PATH: the hook refuses (install modelgate, e.g. 'make install', then run 'modelgate install')"
    }

    /// Aligned lines for a terminal.
    public var text: String {
        var rows: [(String, String)] = []
        rows.append(("hooks dir", hooksDirectory + (coreHooksPath.map { " (core.hooksPath = \($0))" } ?? "")))
        for hook in hooks {
            var parts: [String] = []
            switch hook.state {
            case "missing":
                parts.append("not installed: git runs nothing for \(hook.name) (run 'modelgate install')")
            case "modelgate":
                parts.append("modelgate shim v\(hook.version.map(String.init) ?? "?")")
                if hook.upToDate == false {
                    parts.append("older than this modelgate (run 'modelgate install' to upgrade)")
                }
                parts.append(
                    hook.gitRunsIt ? "git runs it" : "NOT executable: git skips it (run 'modelgate install')")
            default:
                if let calledBy = hook.calledBy {
                    parts.append("modelgate shim called by \(calledBy)")
                    parts.append(hook.modelgateRuns ? "git runs it" : "not executable: git skips it")
                } else {
                    parts.append(
                        "another tool's hook; modelgate does not run (run 'modelgate install' to chain it)")
                    parts.append(hook.gitRunsIt ? "git runs it" : "not executable: git skips it")
                }
            }
            if let chained = hook.chained {
                let file = URL(fileURLWithPath: chained).lastPathComponent
                parts.append(
                    hook.chainedRuns == true
                        ? "runs \(file) first" : "\(file) kept, not executable so skipped")
            }
            if let binary = hook.binary {
                parts.append(Self.binaryState(binary, exists: hook.binaryExists == true))
            }
            rows.append((hook.name, parts.joined(separator: "; ")))
        }
        for note in notes { rows.append(("note", note)) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(
            separator: "\n")
    }
}
