import Pipeline

extension FuzzEntry {
    /// What git writes to the pre-push hook's stdin, decoded as the hook command does.
    public static func prePush(_ bytes: [UInt8]) {
        do {
            _ = try PrePushCheck.parse(String(decoding: bytes, as: UTF8.self))
        } catch {
            precondition(error is HookError, "not a HookError: \(error)")
        }
    }
}
