import Diagnostics

/// Paths that `modelgate.yml` names (deps, outs, data, …): relative to the repository root,
/// and never leaving it, neither as written nor through symbolic links.
///
/// Two checks, one per stage of trust. `problem(in:)` looks at the text as written, when the
/// config is validated: an absolute path, a `..` component, a component inside `.git`, or a
/// character `TerminalText.isUnsafe` refuses (a control, a line break, an invisible character)
/// is refused before anything is read. `resolve(_:readLink:)` follows the symbolic links a path
/// passes through, as the kernel would, using whatever `readLink` reads them from (a git tree, a
/// work tree, a checkout), and refuses a link whose target is absolute or climbs above the
/// root; its result is the path with every link replaced by its target.
public enum RepositoryPath {
    /// Why a written path cannot be used.
    public enum Problem: Equatable, Sendable {
        /// Nothing at all.
        case empty
        /// Starts with `/`.
        case absolute
        /// Has a `..` component.
        case parentDirectory
        /// Has a `.git` component (in any case).
        case gitDirectory
        /// Holds a character `TerminalText.isUnsafe` refuses (control, line break, invisible).
        case controlCharacter
    }

    /// What is wrong with `path` as written, or nil when it names something inside the repository.
    ///
    /// Globs are checked the same way: a component such as `..` or `.git` is refused whatever
    /// the wildcards around it.
    public static func problem(in path: String) -> Problem? {
        if path.isEmpty { return .empty }
        if path.hasPrefix("/") { return .absolute }
        if TerminalText.firstUnsafe(in: path) != nil { return .controlCharacter }
        for component in path.split(separator: "/") {
            if component == ".." { return .parentDirectory }
            if component.lowercased() == ".git" { return .gitDirectory }
        }
        return nil
    }

    /// A symbolic link met while resolving, whose target leaves the root.
    public struct Escape: Error, Equatable {
        /// The link, relative to the root.
        public let link: String
        /// What it points to, as stored in the link.
        public let target: String

        /// Makes an escape.
        public init(link: String, target: String) {
            self.link = link
            self.target = target
        }
    }

    /// The most links one resolution follows, as Linux's `MAXSYMLINKS`.
    static let maxLinks = 40

    /// `path` with every symbolic link it passes through replaced by its target, normalised
    /// (no `.`, `..` or empty components); nil when more than `maxLinks` links are chained.
    ///
    /// `readLink(prefix)` returns the target of the link at `prefix` (relative to the root), or
    /// nil when `prefix` is not a link (or does not exist). Throws `Escape` naming the link for a
    /// link whose target is absolute or leads above the root, and `Escape(link: "", …)` for a
    /// written `..` above it.
    public static func resolve(_ path: String, readLink: (String) throws -> String?) throws -> String? {
        var resolved: [Substring] = []
        var pending = Array(path.split(separator: "/").reversed())
        var followed: [Escape] = []
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                // Above the root: blame the last link followed, if the climb came from one.
                guard resolved.popLast() != nil else { throw followed.last ?? Escape(link: "", target: path) }
                continue
            }
            resolved.append(component)
            let prefix = resolved.joined(separator: "/")
            guard let target = try readLink(prefix) else { continue }
            guard followed.count < maxLinks else { return nil }
            let link = Escape(link: prefix, target: target)
            followed.append(link)
            guard !target.hasPrefix("/") else { throw link }
            // A relative target starts from the link's own folder.
            resolved.removeLast()
            pending.append(contentsOf: target.split(separator: "/").reversed())
        }
        return resolved.joined(separator: "/")
    }

    /// `resolve(_:readLink:)` for a path `modelgate.yml` names: a link leading outside the
    /// repository, or too many chained links, is a `ConfigError` naming `path`.
    static func resolveConfigured(_ path: String, readLink: (String) throws -> String?) throws -> String {
        do {
            guard let resolved = try resolve(path, readLink: readLink) else {
                throw ConfigError(
                    "'\(path)' passes through more than \(maxLinks) symbolic links",
                    file: path, at: nil, hint: "point the link at the file itself")
            }
            return resolved
        } catch let escape as Escape {
            throw ConfigError(
                .linkLeavesRepository(
                    path: path, link: escape.link.isEmpty ? path : escape.link, target: escape.target),
                file: PipelineConfig.fileName, at: nil, location: path)
        }
    }
}
