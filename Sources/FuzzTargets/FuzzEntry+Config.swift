import Foundation
import Pipeline

extension FuzzEntry {
    /// `modelgate.yml` of a freshly cloned repository, read and validated as `load(from:)`
    /// does (UTF-8 first). Errors must be `ConfigError`s (`file:line:column`, exit 2).
    public static func config(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        do {
            _ = try ConfigLoader().parse(text)
        } catch {
            precondition(error is ConfigError, "not a ConfigError: \(error)")
        }
    }
}
