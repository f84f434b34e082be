import CLibGit2
import Foundation

/// Who made a commit, tag or note, and when, with the time zone they were in.
public struct Signature: Sendable, Equatable, Codable {
    /// The person's name.
    public let name: String
    /// The person's e-mail address.
    public let email: String
    /// The moment, independent of time zone.
    public let date: Date
    /// The time zone as minutes east of UTC (e.g. +0130 is 90).
    public let utcOffsetMinutes: Int

    /// Makes a signature; `date` is whole seconds in git, so fractions are dropped when written.
    public init(name: String, email: String, date: Date, utcOffsetMinutes: Int = 0) {
        self.name = name
        self.email = email
        self.date = date
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Copies a borrowed `git_signature` (owned by the commit or tag it came from).
    init(_ raw: UnsafePointer<git_signature>) {
        let value = raw.pointee
        name = value.name.map { String(cString: $0) } ?? ""
        email = value.email.map { String(cString: $0) } ?? ""
        date = Date(timeIntervalSince1970: TimeInterval(value.when.time))
        utcOffsetMinutes = Int(value.when.offset)
    }

    /// The name used when git has no identity configured (as on CI machines).
    public static let fallbackName = "modelgate"
    /// The e-mail used when git has no identity configured.
    public static let fallbackEmail = "modelgate@localhost"
}

/// Owns a `git_signature` made for writing, freed on deinit.
final class SignatureHandle {
    let raw: UnsafeMutablePointer<git_signature>

    /// `date` in whole seconds since 1970, clamped to what git stores (never traps).
    static func seconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970.rounded(.down)
        return value.isFinite ? Int64(min(max(value, -9e18), 9e18)) : 0
    }

    /// `signature` as given, or git's configured identity (`user.name`/`user.email`) now, or
    /// `modelgate <modelgate@localhost>` now when none is configured.
    init(_ signature: Signature?, repository: OpaquePointer) throws {
        var out: UnsafeMutablePointer<git_signature>?
        if let signature {
            try check(
                git_signature_new(
                    &out, signature.name, signature.email,
                    git_time_t(Self.seconds(signature.date)),
                    Int32(signature.utcOffsetMinutes)),
                "make a signature for '\(signature.name) <\(signature.email)>'",
                exitStatus: .badInput)
        } else if git_signature_default(&out, repository) < 0 || out == nil {
            // git_signature_default fails when user.name or user.email is unset, as on CI.
            try check(
                git_signature_now(&out, Signature.fallbackName, Signature.fallbackEmail),
                "make a signature")
        }
        guard let out else {
            throw GitError(operation: "make a signature", message: "libgit2 returned no signature")
        }
        raw = out
    }

    deinit { git_signature_free(raw) }
}
