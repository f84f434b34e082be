import Pipeline

extension FuzzEntry {
    /// `modelgate.yml` of a freshly cloned repository, through the size cap, libyaml's shape
    /// check, Yams and validation (`ConfigLoader.fuzz`: every error must be a `ConfigError`);
    /// then the same bytes as a stage's parameters file (`params:`), flattened under its own
    /// size and shape limits.
    public static func config(_ bytes: [UInt8]) {
        ConfigLoader.fuzz(bytes)
        _ = ParametersFile.flatten(String(decoding: bytes, as: UTF8.self))
    }
}
