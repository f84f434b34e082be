import Diagnostics

#if canImport(Glibc)
    import Glibc
#endif

/// Why a step of `DirectoryHandle`, `OutputFile` or `OwnedDirectory` failed, as cases a caller
/// matches and words in its own error (a pull's `UnpackError`, a site's `SiteError`…). Printed
/// as is, it says what and where in general terms.
package enum FileSystemError: UserFacingError {
    /// A system call failed with `errno` `code`.
    case system(operation: String, path: String, code: Int32)
    /// Something other than what is needed is at `path`: `found` ("file", "folder", "special
    /// file") where a `needed` one goes.
    case inTheWay(path: String, found: String, needed: String)
    /// A symbolic link is at `path` (leading to `destination`), where a folder is walked
    /// through: it is never followed.
    case link(path: String, destination: String)

    /// The `errno` of a failed system call, nil for the other cases.
    package var code: Int32? {
        if case .system(_, _, let code) = self { return code }
        return nil
    }

    /// What happened.
    package var summary: String {
        switch self {
        case .system(let operation, _, let code): "could not \(operation): \(String(cString: strerror(code)))"
        case .inTheWay(_, let found, let needed): "a \(found) is where a \(needed) goes"
        case .link(_, let destination):
            "a symbolic link (to '\(destination)') is on the way; modelgate never follows one there"
        }
    }

    /// The path concerned.
    package var location: String? {
        switch self {
        case .system(_, let path, _), .inTheWay(let path, _, _), .link(let path, _): path
        }
    }

    /// How to fix it.
    package var hint: String? {
        switch self {
        case .system: "check free disk space and permissions"
        case .inTheWay, .link: "remove it, or choose another folder"
        }
    }

    /// 3 for a failed system call, 2 for what was found in the way.
    package var exitStatus: ExitStatus {
        switch self {
        case .system: .failure
        case .inTheWay, .link: .badInput
        }
    }
}
