import CLibGit2

/// A git object id (SHA-1), held as 40 lowercase hexadecimal digits.
public struct ObjectID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The full id, 40 lowercase hex digits.
    public let hex: String

    /// Validates `hex` (40 hex digits, any case); nil when it is not a full object id.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy(\.isHexDigit) else { return nil }
        self.hex = hex.lowercased()
    }

    /// Copies an id out of libgit2's struct.
    init(_ oid: git_oid) {
        var oid = oid
        // git_oid_fmt writes exactly 40 hex characters and no NUL.
        var buffer = [UInt8](repeating: 0, count: 40)
        buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 40) { _ = git_oid_fmt($0, &oid) }
        }
        hex = String(decoding: buffer, as: UTF8.self)
    }

    /// Copies an id out of a borrowed libgit2 pointer.
    init(_ oid: UnsafePointer<git_oid>) {
        self.init(oid.pointee)
    }

    /// The id as libgit2's struct, for passing to C.
    var raw: git_oid {
        var oid = git_oid()
        // Cannot fail: `hex` was validated when this value was made.
        git_oid_fromstr(&oid, hex)
        return oid
    }

    /// The id of git's empty tree, which every repository knows without storing it.
    public static let emptyTree = ObjectID(hex: "4b825dc642cb6eb9a060e54bf8d69288fbee4904")!

    /// The 40-digit id of all zeros that git uses for "no object" (e.g. in pre-push input).
    public static let zero = ObjectID(hex: String(repeating: "0", count: 40))!

    /// The first 7 hex digits, as `git log --oneline` shows by default.
    public var short: String { String(hex.prefix(7)) }

    /// True for the all-zero id.
    public var isZero: Bool { self == .zero }

    /// The full hex id.
    public var description: String { hex }

    /// Orders ids by their hex text, which is the order of their bytes.
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    /// Decodes from a single JSON string, rejecting anything that is not a full id.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a 40-digit hex object id")
        }
        self = id
    }

    /// Encodes as a single string of 40 hex digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
