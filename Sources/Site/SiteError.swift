import Diagnostics
import FileSafety

#if canImport(Glibc)
    import Glibc
#endif

/// Why a site could not be built, in the user's words.
public enum SiteError: UserFacingError, Equatable {
    /// `--branch` names no local branch.
    case unknownBranch(String)
    /// The repository has no commits.
    case noCommits
    /// A page names a template or partial the template set lacks.
    case missingTemplate(name: String, neededBy: String, directory: String?)
    /// A template does not parse.
    case badTemplate(name: String, reason: String, directory: String?)
    /// The templates directory is missing or unreadable.
    case unreadableTemplates(String)
    /// A `--page` file is missing or unreadable.
    case unreadablePage(String)
    /// The output folder cannot be written.
    case cannotWrite(path: String, reason: String)
    /// `--out` names something that is not a folder.
    case notAFolder(String)
    /// The output folder holds a symbolic link (or a device, FIFO, socket), which a site never
    /// holds and a build never keeps, follows or removes through.
    case refusedEntry(path: String, found: String)

    /// What went wrong, in one line.
    public var summary: String {
        switch self {
        case .unknownBranch(let name): "there is no branch '\(name)'"
        case .noCommits: "the repository has no commits yet, so there is no history to show"
        case .missingTemplate(let name, let neededBy, _):
            neededBy.isEmpty
                ? "template '\(name)' is missing" : "template '\(name)' (used by '\(neededBy)') is missing"
        case .badTemplate(let name, let reason, _): "template '\(name)' does not parse: \(reason)"
        case .unreadableTemplates(let path): "cannot read the templates folder '\(path)'"
        case .unreadablePage(let path): "cannot read the page '\(path)'"
        case .cannotWrite(_, let reason): "cannot write the site: \(reason)"
        case .notAFolder: "the --out path exists and is not a folder"
        case .refusedEntry(_, let found):
            "the --out folder holds \(found), which a site never holds; a build never keeps, writes or removes through one"
        }
    }

    /// The branch, template file or path concerned.
    public var location: String? {
        switch self {
        case .unknownBranch(let name): name
        case .noCommits: nil
        case .missingTemplate(let name, _, let directory), .badTemplate(let name, _, let directory):
            directory.map { "\($0)/\(name).mustache" } ?? "built-in templates: \(name).mustache"
        case .unreadableTemplates(let path), .unreadablePage(let path): path
        case .cannotWrite(let path, _), .notAFolder(let path), .refusedEntry(let path, _): path
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .unknownBranch: "list branches with 'git branch', or leave out --branch to use the current one"
        case .noCommits: "commit something and run 'modelgate run' first"
        case .missingTemplate: "add the file, or copy the defaults from site-templates/ in modelgate's source"
        case .badTemplate: "fix the Mustache syntax (every {{#section}} needs its {{/section}})"
        case .unreadableTemplates:
            "pass --templates a folder holding pages/*.mustache and partials/*.mustache"
        case .unreadablePage: "pass --page a Markdown file of the repository, e.g. --page MODEL_CARD.md"
        case .cannotWrite:
            "check that the --out folder is writable and the disk has space; the previous site is unchanged"
        case .notAFolder: "give --out a new or existing folder; nothing was written"
        case .refusedEntry:
            "remove it from the folder (or give --out a new folder) and build again; the site is unchanged"
        }
    }

    /// 3 when the site cannot be written, else 2 (bad input).
    public var exitStatus: ExitStatus {
        switch self {
        case .cannotWrite: .failure
        default: .badInput
        }
    }
}

extension SiteError {
    /// `error` in a site build's words.
    init(_ error: FileSystemError) {
        switch error {
        case .system(let operation, let path, let code):
            self = .cannotWrite(
                path: path, reason: "could not \(operation): \(String(cString: strerror(code)))")
        case .inTheWay(let path, let found, let needed):
            self = .cannotWrite(path: path, reason: "a \(found) is where a \(needed) goes")
        case .link(let path, let destination):
            self = .refusedEntry(path: path, found: "a symbolic link (to '\(destination)')")
        }
    }
}
