import GitKit

extension FuzzEntry {
    /// A `deps` glob from `modelgate.yml` and a repository path: the bytes up to the first
    /// newline are the pattern, the rest is the path. Matching must return in time linear in the
    /// path's length, whatever the pattern.
    public static func pathPattern(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        let pattern = PathPattern(String(decoding: bytes[..<newline], as: UTF8.self))
        let path = String(decoding: bytes[min(newline + 1, bytes.endIndex)...], as: UTF8.self)
        _ = pattern.literalDirectory
        _ = pattern.matches(path)
    }
}
