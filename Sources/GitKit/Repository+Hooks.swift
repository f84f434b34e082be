import Foundation

/// A hook script as it stands in the hooks directory git uses.
public struct HookFile: Equatable, Sendable {
    /// The hook's name, e.g. "pre-commit".
    public let name: String
    /// Where git looks for it.
    public let url: URL
    /// Its contents, or nil when there is no such file.
    public let contents: String?
    /// True when git would run it (it exists and is executable by us).
    public let isExecutable: Bool

    /// True when a file is there at all.
    public var exists: Bool { contents != nil }
}

extension Repository {
    /// The hook named `name` in `hooksDirectory`, whether or not it exists.
    public func hook(named name: String) throws -> HookFile {
        let url = try hooksDirectory.appendingPathComponent(name)
        let data = FileManager.default.contents(atPath: url.path)
        return HookFile(
            name: name, url: url,
            contents: data.map { String(decoding: $0, as: UTF8.self) },
            isExecutable: data != nil && FileManager.default.isExecutableFile(atPath: url.path))
    }
}
