import Diagnostics
import Foundation
import GitKit

#if canImport(Glibc)
    import Glibc
#endif

/// Installs, upgrades and removes modelgate's hook shims in the hooks directory git really uses.
///
/// A hook that is already there and is not modelgate's is renamed to `NAME.modelgate-chained`
/// beside the shim (a rename keeps its bytes, mode and owner), and the shim runs it first.
/// `uninstall` renames it back.
public struct HookInstaller {
    /// What the moved-aside hook's file name ends with.
    public static let chainedSuffix = ".modelgate-chained"

    /// What happened to one hook.
    public struct Change: Codable, Equatable, Sendable {
        /// The hook's name, e.g. "pre-commit".
        public var name: String
        /// Where the hook file is.
        public var path: String
        /// installed, upgraded, unchanged, removed, restored, not-installed, left-alone.
        public var action: String
        /// The kept hook that runs first (install) or was put back (uninstall), if any.
        public var chained: String?
        /// One line for people.
        public var detail: String
    }

    let repository: Repository

    /// Makes an installer for `repository`.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The shim for hook `name` calling `binary`, as it is written to disk.
    public static func shim(_ name: String, binary: String) -> String? {
        // The path sits inside single quotes in the shim; a quote in it is closed, escaped, reopened.
        let quoted = binary.replacingOccurrences(of: "'", with: #"'\''"#)
        return HookShims.template(for: name)?.replacingOccurrences(
            of: HookShims.binaryPlaceholder, with: quoted)
    }

    /// The shim version a hook text carries ("# modelgate hook shim, version N"), or nil when it is not a shim.
    public static func shimVersion(of text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(HookShims.marker) }) else {
            return nil
        }
        guard let range = line.range(of: "version ") else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// The binary path recorded in a shim's text.
    public static func recordedBinary(in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("recorded_bin='") && line.hasSuffix("'")
        {
            return String(line.dropFirst("recorded_bin='".count).dropLast()).replacingOccurrences(
                of: #"'\''"#, with: "'")
        }
        return nil
    }

    /// Installs the shims for `names`, chaining hooks that are already there.
    ///
    /// Refuses a bare repository, unknown hook names, and (unless `force`) a hooks directory
    /// that is committed in the work tree, since that would change files for everyone.
    public func install(_ names: [String], binary: String, force: Bool) throws -> [Change] {
        _ = try repository.requireWorkingDirectory(for: "install hooks")
        try Self.validate(names)
        let directory = try repository.hooksDirectory
        if let tracked = try trackedHooksPath(directory), !force {
            throw HookError(
                "the hooks directory '\(tracked)' (core.hooksPath) is committed in this repository",
                location: directory.path,
                hint:
                    "installing would change committed files for everyone; install with '--force' to do it anyway, "
                    + "or call 'modelgate hook pre-commit' / 'modelgate hook pre-push \"$@\"' from the hook scripts there"
            )
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var changes: [Change] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            let chained = directory.appendingPathComponent(name + Self.chainedSuffix)
            let text = Self.shim(name, binary: binary)!
            let existing = Self.lexists(url.path) ? FileManager.default.contents(atPath: url.path) : nil
            var change = Change(name: name, path: url.path, action: "installed", chained: nil, detail: "")
            if Self.lexists(chained.path) { change.chained = chained.path }
            if Self.lexists(url.path), existing == nil || !Self.isShim(existing!) {
                // Someone else's hook (or a dangling link): keep it, and run it first.
                if Self.lexists(chained.path) {
                    throw HookError(
                        "both \(name) and \(name)\(Self.chainedSuffix) exist in \(directory.path)",
                        location: url.path,
                        hint: "modelgate keeps the hook it replaced as \(name)\(Self.chainedSuffix); "
                            + "merge the two by hand or move one away, then install again")
                }
                try Self.rename(url, to: chained)
                change.chained = chained.path
                let runs = FileManager.default.isExecutableFile(atPath: chained.path)
                change.detail =
                    "installed; the existing hook was kept as \(chained.lastPathComponent) and runs first"
                    + (runs ? "" : " (it is not executable, so, as before, it does not run)")
            } else if let existing, Self.isShim(existing) {
                let old = String(decoding: existing, as: UTF8.self)
                if old == text, FileManager.default.isExecutableFile(atPath: url.path) {
                    change.action = "unchanged"
                    change.detail = "already installed"
                } else {
                    change.action = "upgraded"
                    let version = Self.shimVersion(of: old).map { "version \($0)" } ?? "an older shim"
                    change.detail = "replaced \(version) in place"
                }
            } else {
                change.detail = "installed"
            }
            if change.chained != nil, !change.detail.contains("runs first") {
                change.detail += "; \(name)\(Self.chainedSuffix) runs first"
            }
            if change.action != "unchanged" { try Self.writeExecutable(Data(text.utf8), to: url) }
            changes.append(change)
        }
        if names.contains("pre-commit") { PreCommitCheck(repository: repository).refreshPathspec() }
        return changes
    }

    /// Removes modelgate's shims for `names` and puts back the hooks they replaced, byte for byte.
    public func uninstall(_ names: [String]) throws -> [Change] {
        try Self.validate(names)
        let directory = try repository.hooksDirectory
        var changes: [Change] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            let chained = directory.appendingPathComponent(name + Self.chainedSuffix)
            var change = Change(
                name: name, path: url.path, action: "not-installed", chained: nil, detail: "not installed")
            let contents = Self.lexists(url.path) ? FileManager.default.contents(atPath: url.path) : nil
            let ours = contents.map(Self.isShim) ?? false
            if ours {
                try FileManager.default.removeItem(at: url)
                change.action = "removed"
                change.detail = "removed"
            } else if Self.lexists(url.path) {
                change.action = "left-alone"
                change.detail = "not modelgate's hook; left as it is"
                // The pre-commit framework keeps the hook it replaced as NAME.legacy and runs it.
                let legacy = directory.appendingPathComponent(name + ".legacy")
                if let data = FileManager.default.contents(atPath: legacy.path), Self.isShim(data) {
                    try FileManager.default.removeItem(at: legacy)
                    change.action = "removed"
                    change.detail =
                        "removed modelgate's shim \(legacy.lastPathComponent), which \(name) was calling"
                }
            }
            if Self.lexists(chained.path) {
                if Self.lexists(url.path) {
                    change.detail += "; \(chained.lastPathComponent) kept, because \(name) exists"
                } else {
                    try Self.rename(chained, to: url)
                    change.action = "restored"
                    change.chained = url.path
                    change.detail = (ours ? "removed; " : "") + "restored the hook it replaced"
                }
            }
            changes.append(change)
        }
        // The fast path's pathspec is only read by the shim.
        try? FileManager.default.removeItem(at: PreCommitCheck.pathspecURL(repository))
        return changes
    }

    static func validate(_ names: [String]) throws {
        for name in names where HookShims.template(for: name) == nil {
            throw HookError(
                "modelgate has no '\(name)' hook", location: nil,
                hint:
                    "choose from \(HookShims.names.joined(separator: ", ")), e.g. --hooks pre-commit,pre-push",
                exitStatus: .badInput)
        }
    }

    static func isShim(_ data: Data) -> Bool {
        String(decoding: data.prefix(4096), as: UTF8.self).contains(HookShims.marker)
    }

    /// The hooks directory relative to the work tree when it is inside it and git tracks files in it.
    func trackedHooksPath(_ directory: URL) throws -> String? {
        guard let top = repository.workingDirectory?.standardizedFileURL.path else { return nil }
        let path = directory.standardizedFileURL.path
        guard path.hasPrefix(top + "/") else { return nil }
        let relative = String(path.dropFirst(top.count + 1))
        if relative == ".git" || relative.hasPrefix(".git/") { return nil }
        return try repository.indexEntries(matching: [relative]).isEmpty ? nil : relative
    }

    /// True when something (even a dangling symlink) is at `path`.
    static func lexists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func rename(_ from: URL, to: URL) throws {
        guard Glibc.rename(from.path, to.path) == 0 else {
            throw HookError(
                "could not move \(from.lastPathComponent) to \(to.lastPathComponent): \(String(cString: strerror(errno)))",
                location: from.deletingLastPathComponent().path, hint: "check the directory's permissions",
                exitStatus: .failure)
        }
    }

    /// Writes an executable file atomically: a temporary file made executable, then renamed over `url`.
    static func writeExecutable(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            guard chmod(temporary.path, 0o755) == 0 else { throw CocoaError(.fileWriteNoPermission) }
            try rename(temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw HookError(
                "could not write \(url.path): \(error)", location: url.path,
                hint: "check the directory's permissions",
                exitStatus: .failure)
        }
    }
}

/// A hook problem for the person at the terminal.
public struct HookError: UserFacingError {
    /// What went wrong.
    public let summary: String
    /// The file, directory or remote concerned.
    public let location: String?
    /// How to fix it.
    public let hint: String?
    /// 2 for what the user can fix, 3 for I/O and git failures.
    public let exitStatus: ExitStatus

    /// Makes an error (bad input unless said otherwise).
    public init(_ summary: String, location: String?, hint: String?, exitStatus: ExitStatus = .badInput) {
        self.summary = summary
        self.location = location
        self.hint = hint
        self.exitStatus = exitStatus
    }
}
