/// Facts about this build of modelgate.
public enum Tool {
    /// The command's name, as users type it.
    public static let name = "modelgate"
    /// The release version; part of every fingerprint, so a new version re-evaluates.
    public static let version = "0.1.0"
}
