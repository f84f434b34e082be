import Diagnostics

/// Bad data, bad options, or a file that cannot be read: what, where (`file:line:column`), how to fix.
public struct DataError: UserFacingError, Equatable {
    /// What kind of problem, so callers and tests can branch without parsing text.
    public enum Kind: String, Sendable, Equatable {
        case cannotOpen, readFailed, emptyFile, headerOnly, duplicateColumn, raggedRow
        case unterminatedQuote, badQuote, notNumeric, nonFinite, missingValue, missingColumn
        case unknownTrainer, unknownOption, badOption, singleClass, tooFewRows, emptyTestSplit
        case emptyTrainingSet, modelMismatch, badModelFile, noFeatures, recordTooLong, tooManyClasses
        case tooManyParameters
        /// `MODELGATE_THREADS` is not a thread count.
        case badEnvironment
        // A predictions file (`PredictionsFile`).
        case repeatedID, tooManyRows, unknownColumn, predictionsMismatch
    }

    /// Which kind of problem or model this is.
    public let kind: Kind
    /// What went wrong, on one line.
    public let summary: String
    /// Where: `file:line:column`, a path, or nil.
    public let location: String?
    /// How to fix it, or nil.
    public let hint: String?
    /// The exit code this error maps to.
    public let exitStatus: ExitStatus

    /// A problem of `kind`; bad input (exit 2) unless `exitStatus` says otherwise.
    public init(
        _ kind: Kind, _ summary: String, location: String? = nil, hint: String? = nil,
        exitStatus: ExitStatus = .badInput
    ) {
        self.kind = kind
        self.summary = summary
        self.location = location
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// A file that cannot be opened: bad input (exit 2) when it does not exist, else an I/O failure (3).
    static func cannotOpen(name: String, reason: String, missing: Bool = false) -> DataError {
        DataError(
            .cannotOpen, "cannot open '\(name)': \(reason)", location: name,
            hint: "check the path; it is relative to the repository root",
            exitStatus: missing ? .badInput : .failure)
    }

    static func readFailed(reason: String) -> DataError {
        DataError(.readFailed, "reading failed: \(reason)", exitStatus: .failure)
    }
}
