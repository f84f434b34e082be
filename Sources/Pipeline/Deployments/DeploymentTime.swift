import Foundation

/// Times of deployments: the stored form (RFC 3339 UTC, whole seconds) and what a user may type.
public enum DeploymentTime {
    /// `2026-12-03T15:21:09Z`.
    public static func rfc3339(_ date: Date) -> String {
        let style = Date.ISO8601FormatStyle(timeZone: .gmt)
        return date.formatted(style)
    }

    /// A time as a user may give it: RFC 3339 (`2026-12-03T15:21:09Z`, `…+01:00`, fractions of a
    /// second dropped) or `YYYY-MM-DD[ HH:MM[:SS]]` (also with `T`), read as UTC; nil otherwise.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count <= 64 else { return nil }
        return rfc3339Date(bytes, utcOnly: false) ?? plainDate(bytes)
    }

    /// The stored form only: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; nil for anything else.
    public static func parseStored(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count <= 40 else { return nil }
        return rfc3339Date(bytes, utcOnly: true)
    }

    // MARK: - Reading

    /// Reads `count` decimal digits at `index`.
    private static func number(_ bytes: [UInt8], _ index: Int, _ count: Int) -> Int? {
        guard index >= 0, index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + count] {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// A UTC civil time, after checking every field's range (years 1970–9999, no leap seconds).
    private static func epoch(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int
    )
        -> Date?
    {
        guard (1970...9999).contains(year), (1...12).contains(month), (0...23).contains(hour),
            (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...days[month - 1]).contains(day) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.date(
            from: DateComponents(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    /// `YYYY-MM-DD(T| )HH:MM:SS[.d+](Z|±HH:MM)`.
    private static func rfc3339Date(_ bytes: [UInt8], utcOnly: Bool) -> Date? {
        guard bytes.count >= 20, let year = number(bytes, 0, 4), bytes[4] == 0x2D,
            let month = number(bytes, 5, 2),
            bytes[7] == 0x2D, let day = number(bytes, 8, 2),
            bytes[10] == 0x54 || (!utcOnly && (bytes[10] == 0x20 || bytes[10] == 0x74)),
            let hour = number(bytes, 11, 2), bytes[13] == 0x3A, let minute = number(bytes, 14, 2),
            bytes[16] == 0x3A, let second = number(bytes, 17, 2)
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard let base = epoch(year, month, day, hour, minute, second), index < bytes.count else {
            return nil
        }
        let zone = bytes[index]
        if zone == 0x5A || (!utcOnly && zone == 0x7A) { return index + 1 == bytes.count ? base : nil }
        guard !utcOnly, zone == 0x2B || zone == 0x2D, index + 6 == bytes.count,
            let hours = number(bytes, index + 1, 2), bytes[index + 3] == 0x3A,
            let minutes = number(bytes, index + 4, 2), hours <= 23, minutes <= 59
        else { return nil }
        let offset = Double((hours * 60 + minutes) * 60)
        return base.addingTimeInterval(zone == 0x2B ? -offset : offset)
    }

    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS` (or with `T`), as UTC.
    private static func plainDate(_ bytes: [UInt8]) -> Date? {
        guard bytes.count == 10 || bytes.count == 16 || bytes.count == 19, let year = number(bytes, 0, 4),
            bytes[4] == 0x2D, let month = number(bytes, 5, 2), bytes[7] == 0x2D, let day = number(bytes, 8, 2)
        else { return nil }
        if bytes.count == 10 { return epoch(year, month, day, 0, 0, 0) }
        guard bytes[10] == 0x20 || bytes[10] == 0x54, let hour = number(bytes, 11, 2), bytes[13] == 0x3A,
            let minute = number(bytes, 14, 2)
        else { return nil }
        if bytes.count == 16 { return epoch(year, month, day, hour, minute, 0) }
        guard bytes[16] == 0x3A, let second = number(bytes, 17, 2) else { return nil }
        return epoch(year, month, day, hour, minute, second)
    }
}
