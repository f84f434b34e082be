import Diagnostics

/// Why `modelgate-serve` cannot start: a model directory it cannot serve, or an address it cannot bind.
public struct ServingError: UserFacingError, Equatable {
    /// Which problem, so tests and callers branch on cases rather than text.
    public enum Kind: String, Sendable, Equatable {
        /// `--model` names nothing readable.
        case modelNotFound
        /// The directory holds no built-in model file (a command stage's artifact).
        case notBuiltin
        /// Several built-in model files and no `--file` to choose.
        case ambiguousModel
        /// The model or manifest is unreadable or malformed.
        case badModel
        /// A flag's value is out of range.
        case badOption
    }

    /// Which problem this is.
    public let kind: Kind
    /// What went wrong, on one line.
    public let summary: String
    /// The path involved, when there is one.
    public let location: String?
    /// How to fix it.
    public let hint: String?
    /// Bad input (exit 2) for every case: each is fixed by changing what was passed.
    public var exitStatus: ExitStatus { .badInput }

    /// A problem of `kind`.
    public init(_ kind: Kind, _ summary: String, location: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.summary = summary
        self.location = location
        self.hint = hint
    }
}
