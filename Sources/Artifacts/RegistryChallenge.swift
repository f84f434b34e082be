/// One challenge of a `WWW-Authenticate` header: its scheme and parameters. Parsing only;
/// what to do with one is `RegistryAuth.answer`'s decision.
package struct RegistryChallenge: Equatable, Sendable {
    /// As sent (`Bearer`, `Basic`…); compare it lowercased.
    package let scheme: String
    /// Parameter names lowercased; values unquoted.
    package let parameters: [String: String]

    /// Makes a challenge.
    package init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// The challenges of a `WWW-Authenticate` value (RFC 7235: `scheme param=value, …` or
    /// `scheme token68`, several separated by commas). Never fails: what does not parse is
    /// skipped. Bounded: the first 8 KiB are read, at most 16 challenges of 32 parameters kept.
    package static func parse(_ bytes: [UInt8]) -> [RegistryChallenge] {
        var reader = ChallengeReader(Array(bytes.prefix(8192)))
        return reader.challenges()
    }

    /// Bearer when offered (it may carry a token service), else Basic, else the first.
    static func preferred(_ challenges: [RegistryChallenge]) -> RegistryChallenge? {
        challenges.first { $0.scheme.lowercased() == "bearer" }
            ?? challenges.first { $0.scheme.lowercased() == "basic" } ?? challenges.first
    }
}

/// The byte-level reader behind `RegistryChallenge.parse`; every step consumes input or stops.
private struct ChallengeReader {
    let input: [UInt8]
    var index = 0

    init(_ input: [UInt8]) { self.input = input }

    private var atEnd: Bool { index >= input.count }
    private var current: UInt8? { atEnd ? nil : input[index] }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: Array("!#$%&'*+-.^_`|~/".utf8).contains(byte)
        }
    }

    private mutating func skipSpaces() {
        while let byte = current, byte == 0x20 || byte == 0x09 { index += 1 }
    }

    private mutating func skipSpacesAndCommas() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ",") { index += 1 }
    }

    private mutating func token() -> String? {
        let start = index
        while let byte = current, Self.isTokenCharacter(byte) { index += 1 }
        return index > start ? String(decoding: input[start..<index], as: UTF8.self) : nil
    }

    /// True when `name BWS "=" value` starts here (not a token68 ending in `=` padding).
    private func startsParameter() -> Bool {
        var probe = index
        while probe < input.count, Self.isTokenCharacter(input[probe]) { probe += 1 }
        guard probe > index else { return false }
        while probe < input.count, input[probe] == 0x20 || input[probe] == 0x09 { probe += 1 }
        guard probe < input.count, input[probe] == UInt8(ascii: "=") else { return false }
        probe += 1
        return probe < input.count && input[probe] != UInt8(ascii: "=") && input[probe] != UInt8(ascii: ",")
    }

    /// An unquoted value: up to a comma or a space (more lenient than RFC 7235's token, as
    /// registries write unquoted URLs).
    private mutating func bareValue() -> String {
        let start = index
        while let byte = current, byte != UInt8(ascii: ","), byte != 0x20, byte != 0x09 { index += 1 }
        return String(decoding: input[start..<index], as: UTF8.self)
    }

    private mutating func quoted() -> String {
        index += 1  // the opening quote
        var value: [UInt8] = []
        while let byte = current, byte != UInt8(ascii: "\"") {
            if byte == UInt8(ascii: "\\"), index + 1 < input.count {
                value.append(input[index + 1])
                index += 2
            } else {
                value.append(byte)
                index += 1
            }
        }
        if !atEnd { index += 1 }  // the closing quote
        return String(decoding: value, as: UTF8.self)
    }

    mutating func challenges() -> [RegistryChallenge] {
        var found: [RegistryChallenge] = []
        while !atEnd {
            skipSpacesAndCommas()
            guard !atEnd else { break }
            guard let scheme = token() else {
                index += 1  // not a token: skip the byte
                continue
            }
            var parameters: [String: String] = [:]
            skipSpaces()
            if !startsParameter(), current.map(Self.isTokenCharacter) == true {
                // token68 (`Negotiate abc==`): read and ignored.
                _ = token()
                while current == UInt8(ascii: "=") { index += 1 }
            }
            while startsParameter() {
                let name = token()?.lowercased() ?? ""
                skipSpaces()
                index += 1  // "="
                skipSpaces()
                let value = current == UInt8(ascii: "\"") ? quoted() : bareValue()
                if parameters.count < 32 { parameters[name] = value }
                skipSpaces()
                // Anything else before the next comma is malformed: skipped.
                while let byte = current, byte != UInt8(ascii: ",") { index += 1 }
                skipSpacesAndCommas()
            }
            if found.count < 16 { found.append(RegistryChallenge(scheme: scheme, parameters: parameters)) }
        }
        return found
    }
}
