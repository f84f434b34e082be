import FileSafety
import Foundation
import GitKit
import Learning

/// Validated `modelgate.yml`s remembered by the git blob id of their bytes, so the answers asked
/// most often (`status`, a cached verdict, `verify`, the pre-push hook) do not parse YAML: Yams'
/// first regular expression starts ICU and decoding walks Codable, about a fifth of such a call.
///
/// Mechanism: one JSON file per config under `<git common dir>/modelgate/config-cache/`, named
/// by the blob id, holding the format, the identity of the executable that wrote it (size,
/// modification time and inode of `/proc/self/exe`), the blob id again and the config. An entry
/// is used only when it is a regular file of at most `maxEntryBytes` (no link is followed),
/// decodes, and names this format, this executable and its own blob id; anything else is a miss.
/// On a miss the bytes are parsed and validated by `ConfigLoader` as before, and the entry is
/// written (`AtomicFile`: whole or not at all) only when the config decodes back from it equal to
/// what was validated.
///
/// Guarantee: a config read from the cache is the one `ConfigLoader.parse` returns for the same
/// bytes in the same executable; a config with an error is never cached, so its message (with
/// line and column) is produced every time; a damaged, foreign or stale entry costs one parse,
/// never a wrong config or an error. The cache lives in the local git directory, which a clone or
/// fetch never writes. A failure to write is ignored (the next call parses again).
struct ConfigCache {
    /// Entries are a few kilobytes; anything past this is not one of ours.
    static let maxEntryBytes = 4 << 20
    /// More entries than this and the folder is emptied before the next is written.
    static let maxEntries = 64
    /// Bumped when the entry layout changes.
    static let format = 1

    let folder: URL

    init(repository: Repository) {
        folder = repository.commonDirectory.appendingPathComponent(
            "modelgate/config-cache", isDirectory: true)
    }

    private struct Entry: Codable {
        var format: Int
        var executable: String
        var blob: String
        var config: PipelineConfig
    }

    /// The validated config in `data`, from the cache or parsed by `loader` (whose errors pass on).
    func config(for data: Data, loader: ConfigLoader) throws -> PipelineConfig {
        guard let blob = try? Repository.hashBlob(data), let executable = Self.executableIdentity else {
            return try loader.parse(data)
        }
        let name = "\(blob.hex).json"
        if let bytes = try? DirectoryHandle(opening: folder.path).readFile(name, limit: Self.maxEntryBytes),
            let entry = try? JSONDecoder().decode(Entry.self, from: bytes),
            entry.format == Self.format, entry.executable == executable, entry.blob == blob.hex
        {
            return entry.config
        }
        let config = try loader.parse(data)
        store(config, as: name, blob: blob, executable: executable)
        return config
    }

    private func store(_ config: PipelineConfig, as name: String, blob: ObjectID, executable: String) {
        let entry = Entry(format: Self.format, executable: executable, blob: blob.hex, config: config)
        guard let bytes = try? JSONEncoder().encode(entry),
            let back = try? JSONDecoder().decode(Entry.self, from: bytes), back.config == config
        else { return }
        if let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path),
            names.count >= Self.maxEntries
        {
            for old in names { try? FileManager.default.removeItem(at: folder.appendingPathComponent(old)) }
        }
        try? AtomicFile.write(bytes, to: folder.appendingPathComponent(name))
    }

    /// Size, modification time and inode of the running executable: a rebuilt or upgraded
    /// modelgate (whose validation may differ) never reads an entry an older one wrote.
    static let executableIdentity: String? = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return nil }
        return "\(info.st_size)-\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)-\(info.st_ino)"
    }()
}

extension ConfigLoader {
    /// `modelgate.yml`'s bytes parsed and validated as `ConfigLoader().parse(_:)` does, through
    /// the config cache of `repository` (`ConfigCache`).
    public static func parse(_ data: Data, cachingIn repository: Repository) throws -> PipelineConfig {
        try ConfigCache(repository: repository).config(for: data, loader: ConfigLoader())
    }
}

// Part of a validated config (validate stages); Learning keeps it free of coding concerns.
extension DataExpectations: Codable {
    private enum CodingKeys: String, CodingKey {
        case columns, types, ranges, minimumRows, baseline, baselineName
    }

    /// Decodes what `encode(to:)` wrote.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            columns: try container.decodeIfPresent([String].self, forKey: .columns),
            types: try container.decode([String: ColumnType].self, forKey: .types),
            ranges: try container.decode([String: ClosedRange<Double>].self, forKey: .ranges),
            minimumRows: try container.decodeIfPresent(Int.self, forKey: .minimumRows),
            baseline: try container.decodeIfPresent(URL.self, forKey: .baseline),
            baselineName: try container.decodeIfPresent(String.self, forKey: .baselineName))
    }

    /// Encodes every field.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(columns, forKey: .columns)
        try container.encode(types, forKey: .types)
        try container.encode(ranges, forKey: .ranges)
        try container.encodeIfPresent(minimumRows, forKey: .minimumRows)
        try container.encodeIfPresent(baseline, forKey: .baseline)
        try container.encodeIfPresent(baselineName, forKey: .baselineName)
    }
}
