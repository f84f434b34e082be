import Diagnostics
import Foundation
import Processes

/// The files `package --serve` lays under the model: the serving executable, every shared
/// library its loader would map, the loader itself, and a minimal `/etc/passwd` and `/etc/group`
/// naming one non-root user — a distroless root filesystem holding exactly what the server needs.
///
/// The library set is the loader's own answer: `ldd` runs the executable's ELF interpreter in
/// trace mode, which resolves DT_NEEDED transitively through the executable's RUNPATH, the
/// loader cache and the default directories, exactly as at start-up, without running the
/// program. Each library goes into the image at the path the loader found it under, as a real
/// file (symbolic links are followed when copying), so the same loader in the image finds the
/// same files. A library the loader cannot find refuses the packaging: an image that would fail
/// at start is never written. The executable is ours (found beside `modelgate`), so asking its
/// loader is no more trust than running it.
///
/// Deterministic: the entry list is sorted by path and the layer writer fixes owners and times,
/// so the same executable and libraries give the same layer bytes.
public struct ServingRuntime: Sendable {
    /// Where the server lives in the image.
    public static let executablePath = "/usr/local/bin/modelgate-serve"
    /// The non-root user the image runs as (distroless's `nonroot`).
    public static let userID = 65532
    /// Its name in `/etc/passwd` and `/etc/group`.
    public static let userName = "nonroot"
    /// The port the entrypoint listens on.
    public static let port = 8080

    /// One entry of the runtime layer.
    public struct Entry: Sendable, Equatable {
        /// Path inside the image, without the leading '/'.
        public let path: String
        /// What the entry holds.
        public let content: Content
        /// Permission bits.
        public let mode: Int64
    }

    /// Where an entry's bytes come from.
    public enum Content: Sendable, Equatable {
        /// A directory.
        case directory
        /// The file at this host path (links followed).
        case hostFile(URL)
        /// These bytes.
        case bytes(Data)
    }

    /// Every entry, parents before children, sorted by path.
    public let entries: [Entry]
    /// The host executable that was collected.
    public let executable: URL

    /// Collects `executable` (the `modelgate-serve` binary) and the libraries it needs.
    public static func collect(executable: URL) throws -> ServingRuntime {
        var files: [String: Entry] = [:]
        func add(_ path: String, _ content: Content, mode: Int64) {
            files[path] = Entry(path: path, content: content, mode: mode)
        }
        add(String(executablePath.dropFirst()), .hostFile(executable), mode: 0o755)
        for library in try sharedLibraries(of: executable) {
            // Executable bits: the kernel maps the loader as an executable, ld.so maps the rest.
            add(String(library.path.dropFirst()), .hostFile(library), mode: 0o755)
        }
        let user = "\(userID)"
        add(
            "etc/passwd",
            .bytes(
                Data(
                    "root:x:0:0:root:/root:/sbin/nologin\n\(userName):x:\(user):\(user):\(userName):/home/\(userName):/sbin/nologin\n"
                        .utf8)), mode: 0o644)
        add("etc/group", .bytes(Data("root:x:0:\n\(userName):x:\(user):\n".utf8)), mode: 0o644)
        add("tmp", .directory, mode: 0o1777)
        add("home/\(userName)", .directory, mode: 0o755)
        var directories = Set<String>()
        for path in files.keys {
            var parts = path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        for directory in directories where files[directory] == nil { add(directory, .directory, mode: 0o755) }
        let entries = files.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return ServingRuntime(entries: entries, executable: executable)
    }

    /// The absolute paths of the shared libraries and loader `ldd` resolves for `executable`;
    /// empty for a static executable.
    static func sharedLibraries(of executable: URL) throws -> [URL] {
        var child = ChildProcess("ldd", [executable.path])
        child.timeout = .seconds(30)
        // The image's loader sees no LD_LIBRARY_PATH or preloads, so neither may steer the answer.
        child.baseEnvironment = child.baseEnvironment.filter { !$0.key.hasPrefix("LD_") }
        let result: ChildProcess.Collected
        do {
            result = try child.collect(limit: 1 << 20)
        } catch let error as UserFacingError {
            throw ServingImageError.lddFailed(executable: executable.path, reason: error.summary)
        }
        let output = String(decoding: result.output, as: UTF8.self)
        let errors = String(decoding: result.error, as: UTF8.self)
        guard result.ending == .exited(0) else {
            if (output + errors).contains("not a dynamic executable") { return [] }
            throw ServingImageError.lddFailed(
                executable: executable.path,
                reason: errors.split(separator: "\n").first.map(String.init) ?? "\(result.ending)")
        }
        return try parseLdd(output).map { URL(fileURLWithPath: $0) }
    }

    /// The paths in `ldd` output: `name => /path (0x…)` and `/loader (0x…)` lines; the vDSO
    /// (no path) is skipped, and `name => not found` throws.
    static func parseLdd(_ text: String) throws -> [String] {
        var paths: [String] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            var target = trimmed
            if let arrow = trimmed.range(of: " => ") {
                target = String(trimmed[arrow.upperBound...])
                if target.hasPrefix("not found") {
                    throw ServingImageError.libraryNotFound(String(trimmed[..<arrow.lowerBound]))
                }
            }
            guard target.hasPrefix("/") else { continue }
            if let address = target.range(of: " (0x", options: .backwards) {
                target = String(target[..<address.lowerBound])
            }
            let components = target.split(separator: "/")
            guard !components.contains(where: { $0 == ".." || $0 == "." }) else {
                throw ServingImageError.unusableLibraryPath(target)
            }
            paths.append("/" + components.joined(separator: "/"))
        }
        return paths
    }

    /// The server executable: `modelgate-serve` beside the running program (`/proc/self/exe`),
    /// else the first on `PATH`.
    public static func locateServer(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> URL
    {
        let manager = FileManager.default
        if let own = try? manager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let beside = URL(fileURLWithPath: own).deletingLastPathComponent()
                .appendingPathComponent("modelgate-serve")
            if manager.isExecutableFile(atPath: beside.path) { return beside }
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") where directory.hasPrefix("/") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("modelgate-serve")
            if manager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ServingImageError.serverNotFound
    }
}

/// Why a serving image cannot be built.
public enum ServingImageError: UserFacingError, Equatable {
    /// No `modelgate-serve` beside modelgate or on PATH.
    case serverNotFound
    /// `ldd` could not list the executable's libraries.
    case lddFailed(executable: String, reason: String)
    /// The loader cannot find a library the server needs.
    case libraryNotFound(String)
    /// The loader reported a path with `.` or `..` components.
    case unusableLibraryPath(String)

    /// What happened.
    public var summary: String {
        switch self {
        case .serverNotFound:
            "cannot find the serving executable 'modelgate-serve': modelgate-serve is not installed beside this modelgate or on PATH"
        case .lddFailed(let executable, let reason):
            "cannot list the shared libraries of \(executable): \(reason)"
        case .libraryNotFound(let name):
            "the serving executable needs \(name), which the loader cannot find on this machine"
        case .unusableLibraryPath(let path):
            "the loader reported the library path '\(path)', which an image cannot hold"
        }
    }

    /// Where.
    public var location: String? {
        switch self {
        case .lddFailed(let executable, _): executable
        case .unusableLibraryPath(let path): path
        case .serverNotFound, .libraryNotFound: nil
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .serverNotFound:
            "'make install' installs both binaries side by side; in a checkout, 'swift build --product modelgate-serve'"
        case .lddFailed:
            "check that 'ldd' (libc-bin) is installed and the executable is intact"
        case .libraryNotFound:
            "install the library's package (see 'ldd modelgate-serve'), or build with 'swift build -c release --static-swift-stdlib'"
        case .unusableLibraryPath: "install the library under a plain path"
        }
    }

    /// 3: the machine lacks something; the input is fine.
    public var exitStatus: ExitStatus { .failure }
}
