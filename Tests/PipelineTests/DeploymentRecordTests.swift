import Foundation
import GitKit
import Pipeline
import TestSupport
import Testing

/// Deployment records below the command line: the times users type, the note line's exact
/// form, the strict decoder's bounds, and the library's reading of several refs.
@Suite struct DeploymentRecordTests {
    let commit = ObjectID(hex: String(repeating: "ab", count: 20))!

    @Test(arguments: [
        ("2026-12-03T15:04:05Z", "2026-12-03T15:04:05Z"),
        ("2026-12-03t15:04:05z", "2026-12-03T15:04:05Z"),
        ("2026-12-03 15:04:05Z", "2026-12-03T15:04:05Z"),
        ("2026-12-03T15:04:05.999Z", "2026-12-03T15:04:05Z"),
        ("2026-12-03T16:04:05+01:00", "2026-12-03T15:04:05Z"),
        ("2026-12-03T00:30:00-01:00", "2026-12-03T01:30:00Z"),
        ("2026-12-03", "2026-12-03T00:00:00Z"),
        ("2026-12-03 15:04", "2026-12-03T15:04:00Z"),
        ("2026-12-03T15:04", "2026-12-03T15:04:00Z"),
        ("2026-12-03 15:04:05", "2026-12-03T15:04:05Z"),
        ("2024-02-29", "2024-02-29T00:00:00Z"),
        ("2026-12-03T15:04:05", "2026-12-03T15:04:05Z"),
    ])
    func userTimesAreReadAsUTC(text: String, expected: String) throws {
        let date = try #require(DeploymentTime.parse(text))
        #expect(DeploymentTime.rfc3339(date) == expected)
    }

    @Test(arguments: [
        "", "yesterday", "2026-13-01", "2026-02-29", "2026-12-32", "2026-12-03 24:00", "2026-12-03 12:60",
        "2026-12-03 12:00:60", "1969-12-31", "10000-01-01", "2026-12-03T15:04:05+1:00",
        "2026-12-03T15:04:05.Z", "2026-12-03T15:04:05.1234567890Z", "2026-12-03  15:04", "２０２６-12-03",
        String(repeating: "2026-12-03 ", count: 10),
    ])
    func otherTextIsNoTime(text: String) {
        #expect(DeploymentTime.parse(text) == nil)
    }

    @Test func storedTimesAreUTCOnly() {
        #expect(DeploymentTime.parseStored("2026-12-03T15:04:05Z") != nil)
        #expect(DeploymentTime.parseStored("2026-12-03T15:04:05+00:00") == nil)
        #expect(DeploymentTime.parseStored("2026-12-03 15:04:05Z") == nil)
        #expect(DeploymentTime.parseStored("2026-12-03") == nil)
    }

    @Test func theLineIsCompactSortedAndReadsBack() throws {
        let at = try #require(DeploymentTime.parse("2026-01-02T10:00:00.75Z"))
        let deployment = Deployment(
            env: "production", at: at, by: "cd@example.com", tag: nil,
            image: "r.example/x@sha256:" + String(repeating: "0", count: 64), commit: commit)
        #expect(
            deployment.line
                == #"{"at":"2026-01-02T10:00:00Z","by":"cd@example.com","commit":"\#(commit.hex)","env":"production","image":"r.example/x@sha256:\#(String(repeating: "0", count: 64))","tag":null}"#
        )
        let decoded = DeploymentDecoder().decode(line: Substring(deployment.line), on: commit)
        #expect((try? decoded.get()) == deployment)
    }

    @Test func sameSecondTiesFollowTheLines() throws {
        let at = try #require(DeploymentTime.parse("2026-01-01"))
        let a = Deployment(env: "p", at: at, by: "a", tag: nil, image: nil, commit: commit)
        let b = Deployment(env: "p", at: at, by: "b", tag: nil, image: nil, commit: commit)
        let later = Deployment(
            env: "p", at: at.addingTimeInterval(1), by: "a", tag: nil, image: nil, commit: commit)
        #expect(Deployment.happenedBefore(a, b))
        #expect(!Deployment.happenedBefore(b, a))
        #expect(Deployment.happenedBefore(b, later))
    }

    @Test func theDecoderIsBounded() {
        let decoder = DeploymentDecoder()
        let huge = [UInt8](repeating: 0x20, count: DeploymentDecoder.noteBytes + 1)
        #expect(
            decoder.decode(note: huge, on: commit).warnings == [
                "the note is 1048577 bytes, over the 1048576-byte limit"
            ])
        let line = #"{"at":"2026-01-01T00:00:00Z","by":"a","commit":"\#(commit.hex)","env":"p"}"#
        let many = Array(String(repeating: line + "\n", count: DeploymentDecoder.linesPerNote + 5).utf8)
        let decoded = decoder.decode(note: many, on: commit)
        #expect(decoded.deployments.count == DeploymentDecoder.linesPerNote)
        #expect(decoded.warnings == ["lines after 4096 were not read"])
        let deep = String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000)
        #expect(
            decoder.decode(note: Array(deep.utf8), on: commit).warnings == ["line 1: it is not a JSON object"]
        )
    }

    @Test func recordsFromTheLocalAndTrackingRefsCountOnce() throws {
        let repo = try TemporaryRepository()
        try repo.commit(files: ["a": "1\n"], message: "one")
        let repository = try Repository(at: repo.url)
        let head = try repository.resolveCommit("HEAD")
        let log = DeploymentLog(repository: repository)
        let at = try #require(DeploymentTime.parse("2026-01-01"))
        let first = Deployment(env: "production", at: at, by: "a", tag: nil, image: nil, commit: head)
        #expect(try log.record(first).added)
        #expect(try !log.record(first).added)
        // A remote's copy (as a fetch writes it) with the same event and one more.
        try repo.git([
            "update-ref", "refs/notes/remotes/origin/modelgate-deployments",
            "refs/notes/modelgate-deployments",
        ])
        let second = Deployment(
            env: "production", at: at.addingTimeInterval(60), by: "b", tag: "v2", image: nil, commit: head)
        try repository.setNote(
            first.line + "\n" + second.line + "\n", on: head,
            ref: "refs/notes/remotes/origin/modelgate-deployments")
        let found = try log.all()
        #expect(found.deployments == [first, second])
        #expect(found.live(in: "production", at: at.addingTimeInterval(59)) == first)
        #expect(found.live(in: "production", at: at.addingTimeInterval(60)) == second)
        #expect(found.live(in: "staging", at: at.addingTimeInterval(60)) == nil)
        #expect(
            found.timeline(of: "production") == [
                DeploymentLog.Period(deployment: second, until: nil),
                DeploymentLog.Period(deployment: first, until: at.addingTimeInterval(60)),
            ])
    }
}
