/// What a pull may do to the target and how much it may unpack.
///
/// The limits stop decompression bombs with a clear error long before a disk or the inode table
/// fills: a few kilobytes of gzip or zstd can inflate to gigabytes, and a small tar of empty
/// entries to millions of files. The defaults sit well above real models (32 GiB holds the
/// weights of a 16-billion-parameter model in 16 bits; 100,000 entries are far more files than
/// any model folder has), and `pull --max-bytes`/`--max-entries` raise them.
public struct PullOptions: Sendable, Equatable {
    /// The most bytes one layer may inflate to, and the most bytes of files a pull writes.
    public var maxBytes: Int64
    /// The most entries (files, folders, anything) the layers may have in all.
    public var maxEntries: Int
    /// Replace files that already exist in the target (never links or folders).
    public var overwrite: Bool

    /// The defaults: 32 GiB, 100,000 entries, no overwriting.
    public static let defaults = PullOptions(maxBytes: 32 << 30, maxEntries: 100_000, overwrite: false)

    /// Makes options.
    public init(maxBytes: Int64, maxEntries: Int, overwrite: Bool) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
        self.overwrite = overwrite
    }

    /// Parses a size: bytes, or a number with K, M, G or T (powers of 1024; `64G`, `500M`).
    /// Nil when malformed, zero, or beyond 2^62.
    public static func parse(size text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last?.uppercased().first, let scale = units[last] {
            unit = scale
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits),
            value > 0
        else {
            return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow || product > 1 << 62 ? nil : product
    }

    /// `32 GiB`, `512 MiB`, `1000 bytes`: a size in the largest unit that divides it.
    static func describe(bytes: Int64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")]
        where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) bytes"
    }
}
