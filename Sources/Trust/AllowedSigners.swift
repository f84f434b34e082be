import Foundation

/// git's and ssh-keygen's `allowed_signers` file: which keys may sign, as whom, for which
/// namespaces and when (ssh-keygen(1), "ALLOWED SIGNERS").
///
/// Each line is `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`; principals are a comma list of
/// patterns (`*`, `?`, `!` to exclude); options are `namespaces="a,b"`, `valid-after=TIME`,
/// `valid-before=TIME` (`YYYYMMDD[HHMM[SS]][Z]`, local time unless `Z`). `cert-authority`
/// lines are refused with an error naming the line: modelgate trusts keys, not certificates,
/// and silently skipping a line would make a key look untrusted for no visible reason.
///
/// The file may come from a repository an attacker wrote: it is read only up to `maxBytes`,
/// and the pattern matcher is linear in practice (no backtracking blow-up).
public struct AllowedSigners: Sendable {
    /// The largest file read.
    public static let maxBytes = 1 << 20

    /// One line.
    public struct Entry: Sendable, Equatable {
        /// The principals field as written ("ci@example.com", "*@example.com").
        public var principals: String
        /// The key.
        public var key: SSHPublicKey
        /// `namespaces=` patterns; nil when any namespace is allowed.
        public var namespaces: [String]?
        /// `valid-after=`.
        public var validAfter: Date?
        /// `valid-before=`.
        public var validBefore: Date?
        /// The line number (1-based).
        public var line: Int
    }

    /// What the file says about a key.
    public enum Standing: Equatable, Sendable {
        /// Trusted as `principal` for the namespace, now.
        case trusted(principal: String)
        /// Listed as `principal`, but its validity ended (`valid-before`).
        case expired(principal: String, before: Date)
        /// Listed as `principal`, but not valid yet (`valid-after`).
        case notYetValid(principal: String, after: Date)
        /// Listed, but not for this namespace.
        case otherNamespace(principal: String)
        /// Not listed.
        case unknown
    }

    /// The lines, in file order.
    public let entries: [Entry]

    /// Reads the file's bytes; `location` names it in errors.
    public init(_ bytes: [UInt8], location: String? = nil) throws {
        guard bytes.count <= Self.maxBytes else {
            throw TrustError(
                .unreadableFile(reason: "the allowed signers file is over 1 MiB"), location: location)
        }
        var entries: [Entry] = []
        for (index, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = String(decoding: rawLine, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                entries.append(try Self.parse(line, number: index + 1))
            } catch let error as TrustError {
                let problem: TrustError.Problem =
                    if case .allowedSigners = error.problem { error.problem } else {
                        .allowedSigners(line: index + 1, reason: error.summary)
                    }
                throw TrustError(problem, location: location.map { "\($0):\(index + 1)" })
            }
        }
        self.entries = entries
    }

    /// Reads the file at `path`.
    public init(contentsOf path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrustError(.unreadableFile(reason: "\(path) cannot be opened"), location: path)
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: Self.maxBytes + 1)) ?? Data()
        try self.init([UInt8](data), location: path)
    }

    /// What the file says about `key` signing for `namespace` at `time`: the first line that
    /// lists the key for the namespace and is valid wins; otherwise the most telling refusal.
    public func standing(of key: SSHPublicKey, namespace: String, at time: Date = Date()) -> Standing {
        var best = Standing.unknown
        for entry in entries where entry.key == key {
            if let namespaces = entry.namespaces, !Pattern.matchesList(namespace, namespaces) {
                if best == .unknown { best = .otherNamespace(principal: entry.principals) }
                continue
            }
            if let before = entry.validBefore, time >= before {
                best = .expired(principal: entry.principals, before: before)
                continue
            }
            if let after = entry.validAfter, time < after {
                best = .notYetValid(principal: entry.principals, after: after)
                continue
            }
            return .trusted(principal: entry.principals)
        }
        return best
    }

    static func parse(_ line: String, number: Int) throws -> Entry {
        var rest = Substring(line)
        let principals = try field(&rest, number: number)
        guard !principals.isEmpty else {
            throw TrustError(.allowedSigners(line: number, reason: "no principals"))
        }
        var options: [String: String] = [:]
        var keyType = try field(&rest, number: number)
        if SSHPublicKey.Kind(rawValue: keyType) == nil, !Self.looksLikeKeyType(keyType) {
            options = try parseOptions(keyType, number: number)
            keyType = try field(&rest, number: number)
        }
        let base64 = try field(&rest, number: number)
        let key = try SSHPublicKey(line: "\(keyType) \(base64)")
        if options["cert-authority"] != nil {
            throw TrustError(
                .allowedSigners(
                    line: number,
                    reason: "cert-authority is not supported: list the signing key itself"))
        }
        return Entry(
            principals: principals, key: key,
            namespaces: options["namespaces"].map { $0.split(separator: ",").map(String.init) },
            validAfter: try options["valid-after"].map { try time($0, number: number) },
            validBefore: try options["valid-before"].map { try time($0, number: number) },
            line: number)
    }

    private static func looksLikeKeyType(_ field: String) -> Bool {
        ["ssh-", "ecdsa-", "sk-"].contains { field.hasPrefix($0) }
    }

    /// The next whitespace-separated field; a field may hold quoted parts with spaces.
    private static func field(_ rest: inout Substring, number: Int) throws -> String {
        rest = rest.drop { $0 == " " || $0 == "\t" }
        var out = ""
        var quoted = false
        while let character = rest.first {
            if character == "\"" {
                quoted.toggle()
            } else if !quoted, character == " " || character == "\t" {
                break
            }
            out.append(character)
            rest = rest.dropFirst()
        }
        guard !quoted else { throw TrustError(.allowedSigners(line: number, reason: "unterminated quote")) }
        guard !out.isEmpty else { throw TrustError(.allowedSigners(line: number, reason: "missing key")) }
        return out.hasPrefix("\"") && out.hasSuffix("\"") && out.count >= 2
            ? String(out.dropFirst().dropLast()) : out
    }

    /// `name[="value"]` options separated by commas outside quotes.
    private static func parseOptions(_ text: String, number: Int) throws -> [String: String] {
        var options: [String: String] = [:]
        var current = ""
        var quoted = false
        for character in text + "," {
            if character == "\"" {
                quoted.toggle()
            } else if character == ",", !quoted {
                let parts = current.split(separator: "=", maxSplits: 1)
                let name = parts.first.map(String.init)?.lowercased() ?? ""
                guard ["cert-authority", "namespaces", "valid-after", "valid-before"].contains(name) else {
                    throw TrustError(.allowedSigners(line: number, reason: "unknown option '\(current)'"))
                }
                guard options[name] == nil else {
                    throw TrustError(.allowedSigners(line: number, reason: "option '\(name)' given twice"))
                }
                options[name] = parts.count == 2 ? String(parts[1]) : ""
                current = ""
            } else {
                current.append(character)
            }
        }
        return options
    }

    /// `YYYYMMDD[HHMM[SS]][Z]`.
    static func time(_ text: String, number: Int) throws -> Date {
        let utc = text.hasSuffix("Z") || text.hasSuffix("z")
        let digits = utc ? String(text.dropLast()) : text
        guard [8, 12, 14].contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber)
        else {
            throw TrustError(
                .allowedSigners(line: number, reason: "'\(text)' is not a time (YYYYMMDD[HHMM[SS]][Z])"))
        }
        let values = stride(from: 0, to: digits.count, by: 2).map { offset -> Int in
            let start = digits.index(digits.startIndex, offsetBy: offset)
            return Int(digits[start..<digits.index(start, offsetBy: 2)]) ?? 0
        }
        let hour = values.count > 4 ? values[4] : 0
        let minute = values.count > 5 ? values[5] : 0
        let second = values.count > 6 ? values[6] : 0
        let components = DateComponents(
            year: values[0] * 100 + values[1], month: values[2], day: values[3], hour: hour, minute: minute,
            second: second)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc ? TimeZone(identifier: "UTC") ?? .current : .current
        guard (1...12).contains(values[2]), (1...31).contains(values[3]), hour < 24, minute < 60,
            second < 60, let date = calendar.date(from: components)
        else {
            throw TrustError(.allowedSigners(line: number, reason: "'\(text)' is not a valid time"))
        }
        return date
    }
}

/// OpenSSH's pattern lists: `*` and `?` wildcards, `!` negation, comma-separated.
enum Pattern {
    /// True when `name` matches a positive pattern of `list` and no negated one.
    static func matchesList(_ name: String, _ list: [String]) -> Bool {
        var matched = false
        for pattern in list {
            if pattern.hasPrefix("!") {
                if matches(Array(name.utf8), Array(pattern.dropFirst().utf8)) { return false }
            } else if matches(Array(name.utf8), Array(pattern.utf8)) {
                matched = true
            }
        }
        return matched
    }

    /// Glob match with one-star backtracking: O(name × pattern) at worst, never exponential.
    static func matches(_ name: [UInt8], _ pattern: [UInt8]) -> Bool {
        var n = 0
        var p = 0
        var star: Int?
        var resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = n
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == name[n] {
                n += 1
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
