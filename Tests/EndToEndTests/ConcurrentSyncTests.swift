import Foundation
import TestSupport
import Testing

/// Many `modelgate sync` processes finishing together into one bare remote (CI jobs ending at
/// once): each fetches, merges and pushes again when another got there first, so every job
/// succeeds and every record arrives.
@Suite struct ConcurrentSyncTests {
    static let jobs = 8

    func record(commit: String, job: Int) -> String {
        """
        {"commit": "\(commit)", "duration_ms": 5, "fingerprint": "f-\(job)", "gates": [], "inputs": {},
         "metrics": {"r2": 0.9\(job)}, "schema": 1, "source": "rev", "stages": [],
         "started": "2026-01-0\(job)T10:00:00Z", "tool": "modelgate 0.1.0", "verdict": "pass"}

        """
    }

    @Test func eightSyncsAtOnceAllSucceedAndEveryRecordArrives() throws {
        let fixture = try HookFixture(install: false)
        let shared = try fixture.head()
        try fixture.repo.git(["push", "--quiet", "--no-verify", "origin", "main"])
        var commits: [String] = []
        var clones: [URL] = []
        for job in 1...Self.jobs {
            let clone = fixture.repo.directory.appending("clone\(job)")
            try fixture.repo.git(
                ["clone", "--quiet", fixture.remote.path, clone.path], in: fixture.repo.directory.url)
            try Data("\(job)\n".utf8).write(to: clone.appendingPathComponent("job.txt"))
            try fixture.repo.git(["add", "job.txt"], in: clone)
            try fixture.repo.git(["commit", "--quiet", "--no-verify", "-m", "job \(job)"], in: clone)
            let commit = try fixture.repo.git(["rev-parse", "HEAD"], in: clone)
            // Each job records its own commit, and all of them the shared one (a conflict to merge).
            try fixture.repo.git(
                ["notes", "--ref=modelgate", "add", "-m", record(commit: commit, job: job), commit], in: clone
            )
            try fixture.repo.git(
                ["notes", "--ref=modelgate", "add", "-m", record(commit: shared, job: job), shared], in: clone
            )
            commits.append(commit)
            clones.append(clone)
        }

        // Eight real processes started together, then waited for.
        let binary = try ModelgateBinary.url.path
        let environment = fixture.repo.gitEnvironment()
        let running = try clones.map { clone in
            try ProcessRunner.start(
                binary, ["sync", "origin", "--json"], in: clone, environment: environment)
        }
        var attempts: [Int] = []
        for (job, process) in running.enumerated() {
            let result = try process.wait()
            #expect(result.status == 0, "job \(job + 1): \(result.stderr)")
            let summary = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            attempts.append(summary?["attempts"] as? Int ?? 0)
        }
        // They really raced: at least one had to fetch and merge again.
        #expect(attempts.contains { $0 > 1 }, "attempts: \(attempts)")

        // Every job's record is on the remote.
        let listed = try fixture.repo.git(["notes", "--ref=modelgate", "list"], in: fixture.remote)
        let annotated = Set(
            listed.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
        for commit in commits { #expect(annotated.contains(commit)) }
        // The shared commit: the newest run is the note, the seven others are kept, none dropped.
        let note = try fixture.repo.git(["notes", "--ref=modelgate", "show", shared], in: fixture.remote)
        #expect(note.contains("\"fingerprint\": \"f-\(Self.jobs)\""))
        let superseded = try fixture.repo.git(
            ["notes", "--ref=modelgate-superseded", "show", shared], in: fixture.remote)
        let kept = Set(
            superseded.split(separator: "\n").compactMap { line in
                (1..<Self.jobs).first { line.contains("\"fingerprint\":\"f-\($0)\"") }
            })
        #expect(kept == Set(1..<Self.jobs))
    }

    /// A refusal that another round cannot change (a hook on the remote) fails at once, exit 3,
    /// naming the ref and the reason; the local record stays.
    @Test func aRefusalOtherThanARaceFailsAtOnceKeepingTheRecord() throws {
        let fixture = try HookFixture(install: false)
        let commit = try fixture.head()
        try fixture.repo.git([
            "notes", "--ref=modelgate", "add", "-m", record(commit: commit, job: 1), commit,
        ])
        try writeScript(
            "#!/bin/sh\necho 'notes are read-only here' >&2\nexit 1\n",
            to: fixture.remote.appendingPathComponent("hooks/pre-receive"))
        let result = try fixture.modelgate(["sync", "origin"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("could not push the notes to 'origin'"))
        #expect(result.stderr.contains("refs/notes/modelgate [remote rejected] (pre-receive hook declined)"))
        #expect(try fixture.remoteRef("refs/notes/modelgate") == nil)
        #expect(try fixture.repo.git(["notes", "--ref=modelgate", "show", commit]).contains("f-1"))
    }
}
