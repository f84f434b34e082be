import Pipeline

extension FuzzEntry {
    /// `modelgate.yml` of a freshly cloned repository, through the size cap, libyaml's shape
    /// check, Yams and validation (`ConfigLoader.fuzz`: every error must be a `ConfigError`).
    public static func config(_ bytes: [UInt8]) {
        ConfigLoader.fuzz(bytes)
    }
}
