import Foundation
import GitKit
import Trust

/// Signed run records, under `refs/notes/modelgate-signatures`: on each commit, one line per
/// signature, `BASE64(record bytes) BASE64(sshsig blob)`.
///
/// A line carries the exact bytes that were signed, not a pointer to the commit's note: a signed
/// verdict is self-contained, so it survives every note merge (`sync` may replace a commit's
/// note by a later run; the signed line stays), and it can vouch for any commit with the same
/// inputs (a squash-merged or rebased twin) wherever it is attached. One line per signature
/// makes the note mergeable by union (`cat_sort_uniq`), so several signers and several
/// machines never lose each other's lines.
///
/// Everything here is read from notes a remote may have written: a note over `noteBytes` is
/// not read, at most `signaturesPerCommit` lines of it are, and a line that does not decode is
/// reported as such and never trusted.
public struct SignedRecords {
    /// The notes ref of signed records.
    public static let ref = "refs/notes/modelgate-signatures"
    /// The largest signatures note read (each line holds a record of up to `RecordLimits.noteBytes`).
    static let noteBytes = 4 * RecordLimits.noteBytes + 64 * 1024
    /// The most lines read from one commit's note.
    static let signaturesPerCommit = 32

    /// One signed record.
    public struct Entry: Equatable, Sendable {
        /// The signed bytes: a run record's note text, exactly.
        public var record: [UInt8]
        /// The signature over them.
        public var signature: SSHSignature

        /// The note line.
        var line: String {
            "\(Data(record).base64EncodedString()) \(Data(signature.blob).base64EncodedString())"
        }

        init(record: [UInt8], signature: SSHSignature) {
            self.record = record
            self.signature = signature
        }

        /// Reads a note line; nil when it is not two base64 fields or the signature is unreadable.
        init?(line: Substring) {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let record = Data(base64Encoded: String(fields[0])),
                let blob = Data(base64Encoded: String(fields[1])),
                let signature = try? SSHSignature(blob: [UInt8](blob))
            else { return nil }
            self.init(record: [UInt8](record), signature: signature)
        }
    }

    /// What one commit's note holds.
    public struct Found: Sendable {
        /// The readable lines.
        public var entries: [Entry] = []
        /// Lines (or a whole note) that could not be read, with why.
        public var unreadable: [String] = []
    }

    let repository: Repository

    /// Makes a reader/writer of `repository`'s signed records.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// The signed records on `commit` in `ref` (the local ref by default).
    public func entries(on commit: ObjectID, ref: String = Self.ref) throws -> Found {
        guard let blob = try repository.noteBlob(on: commit, ref: ref) else { return Found() }
        return try entries(inBlob: blob)
    }

    /// The signed records in a signatures note's blob.
    func entries(inBlob blob: ObjectID) throws -> Found {
        var found = Found()
        let size = try repository.objectSize(blob)
        guard size <= Self.noteBytes else {
            found.unreadable.append("its signatures note is \(size) bytes, over the limit")
            return found
        }
        let text = String(decoding: try repository.blob(blob), as: UTF8.self)
        for line in text.split(separator: "\n").prefix(Self.signaturesPerCommit) {
            if let entry = Entry(line: line) {
                found.entries.append(entry)
            } else {
                found.unreadable.append("a signature line that is not a signed record")
            }
        }
        return found
    }

    /// Every commit with signed records in `ref`, and its note's blob.
    func annotated(ref: String) throws -> [(commit: ObjectID, blob: ObjectID)] {
        try repository.notes(ref: ref).map { ($0.target, $0.blob) }
    }

    /// Adds `signature` over `record` to `commit`'s signatures (kept once, lines sorted, so
    /// every clone writes the same note for the same set). Signers adding to one commit at the
    /// same time all land: the note is read and rewritten inside the ref's compare-and-swap
    /// (`Repository.updateNote`).
    public func add(_ signature: SSHSignature, over record: [UInt8], on commit: ObjectID) throws {
        let line = Entry(record: record, signature: signature).line
        try repository.updateNote(on: commit, ref: Self.ref) { current in
            let existing = String(decoding: current ?? Data(), as: UTF8.self)
            var lines = Set(existing.split(separator: "\n").map(String.init))
            guard lines.insert(line).inserted else { return nil }
            return lines.sorted().joined(separator: "\n") + "\n"
        }
    }

    /// The exact bytes of `commit`'s record note (what is signed); nil when it has none.
    public func noteBytes(on commit: ObjectID) throws -> [UInt8]? {
        guard let blob = try repository.noteBlob(on: commit, ref: RecordNotes.ref) else { return nil }
        let size = try repository.objectSize(blob)
        guard size <= RecordLimits.noteBytes else {
            throw RecordError.unreadable(
                UnreadableRecord(commit: commit.hex, reason: RecordDecoder.sizeProblem(size)))
        }
        return [UInt8](try repository.blob(blob))
    }
}

extension SignedRecords {
    /// Signs `commit`'s record note, exactly its bytes, with `signer`, and keeps the signature.
    @discardableResult
    public func sign(_ commit: ObjectID, with signer: any SSHSigner) throws -> SSHSignature {
        guard let record = try noteBytes(on: commit) else {
            throw VerdictError.noRecordToSign(commit: commit.short)
        }
        let signature = try SSHSignature.make(over: record, signer: signer)
        try add(signature, over: record, on: commit)
        return signature
    }

    /// Attaches an armored signature made elsewhere (`ssh-keygen -Y sign -n modelgate-verdict`
    /// over `modelgate show REV --record`), after checking it is a signature over `commit`'s
    /// record note for the verdict namespace. Whether its key is trusted is decided when read.
    @discardableResult
    public func attach(_ armored: [UInt8], to commit: ObjectID, location: String) throws -> SSHSignature {
        guard let record = try noteBytes(on: commit) else {
            throw VerdictError.noRecordToSign(commit: commit.short)
        }
        do {
            let signature = try SSHSignature(armored: armored)
            try signature.verify(record)
            try add(signature, over: record, on: commit)
            return signature
        } catch let error as TrustError {
            throw TrustError(error.problem, location: location)
        }
    }
}
