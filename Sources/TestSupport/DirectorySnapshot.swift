import Foundation

/// What is under a directory, path by path, to compare before and after an operation that must
/// leave it alone (or change exactly what it says).
public enum DirectorySnapshot {
    /// One path: a link (its destination), a file (its bytes) or a folder.
    public enum Entry: Equatable, CustomStringConvertible {
        case link(String)
        case file(Data)
        case folder

        /// The entry in a line, for a failed comparison's message.
        public var description: String {
            switch self {
            case .link(let destination): "link -> \(destination)"
            case .file(let bytes): "file (\(bytes.count) bytes)"
            case .folder: "folder"
            }
        }
    }

    /// Every path under `url`, relative to it, with what it is; links are not followed.
    public static func of(_ url: URL) -> [String: Entry] {
        var result: [String: Entry] = [:]
        let enumerator = FileManager.default.enumerator(atPath: url.path)
        while let path = enumerator?.nextObject() as? String {
            let full = url.appendingPathComponent(path).path
            if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: full) {
                result[path] = .link(destination)
            } else {
                result[path] = FileManager.default.contents(atPath: full).map(Entry.file) ?? .folder
            }
        }
        return result
    }

    /// The paths under `url` with a component that starts with `prefix` (e.g. a staging
    /// folder an interrupted operation left behind).
    public static func paths(under url: URL, withComponentPrefix prefix: String) -> [String] {
        (FileManager.default.enumerator(atPath: url.path)?.allObjects as? [String] ?? [])
            .filter { $0.split(separator: "/").contains { $0.hasPrefix(prefix) } }
    }
}
