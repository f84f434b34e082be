import Foundation
import GitKit
import TestSupport
import Testing

/// Config reads and writes and reference listings, checked with `git config` and `git for-each-ref`.
@Suite struct ConfigAndReferenceListTests {
    @Test func configReadsWhatGitWrites() throws {
        let repo = try TemporaryRepository()
        try repo.git(["config", "modelgate.model", "housing"])
        try repo.git(["config", "modelgate.strict", "yes"])
        try repo.git(["config", "--add", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"])
        try repo.git(["config", "--add", "remote.origin.fetch", "+refs/notes/*:refs/notes/*"])
        let repository = try repo.open()
        #expect(try repository.configString("modelgate.model") == "housing")
        #expect(try repository.configString("modelgate.missing") == nil)
        #expect(try repository.configBool("modelgate.strict") == true)
        #expect(try repository.configBool("modelgate.missing") == nil)
        #expect(
            try repository.configValues("remote.origin.fetch")
                == (try repo.git(["config", "--get-all", "remote.origin.fetch"])).split(separator: "\n").map(
                    String.init))
        #expect(try repository.configValues("remote.nowhere.fetch") == [])
        #expect(gitError { _ = try repository.configBool("modelgate.model") }?.exitStatus != nil)
    }

    /// Only the exact value goes: regex characters in it match themselves, and a value it is a
    /// prefix or a regex match of stays.
    @Test func removingAValueKeepsTheOthersInOrder() throws {
        let repo = try TemporaryRepository()
        let values = [
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/notes/modelgate:refs/notes/remotes/origin/modelgate",
            "+refs/notes/modelgateX:refs/notes/remotes/origin/modelgateX",
            "+refs/notes/modelgate:refs/notes/remotes/origin/modelgate-more",
            "+refs/notes/modelgate:refs/notes/remotes/origin/modelgate",
        ]
        for value in values { try repo.git(["config", "--add", "remote.origin.fetch", value]) }
        let repository = try repo.open()
        try repository.removeConfigValue("remote.origin.fetch", values[1])
        try repository.removeConfigValue(
            "remote.origin.fetch", "+refs/notes/modelgate.:refs/notes/remotes/origin/modelgate.")
        try repository.removeConfigValue("remote.nowhere.fetch", values[1])  // nothing there: no error
        #expect(
            try repo.git(["config", "--get-all", "remote.origin.fetch"])
                == [values[0], values[2], values[3]].joined(separator: "\n"))
    }

    @Test func configWritesAreWhatGitReads() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        try repository.setConfig("notes.rewriteRef", "refs/notes/modelgate")
        #expect(try repo.git(["config", "--local", "--get", "notes.rewriteRef"]) == "refs/notes/modelgate")
        try repository.setConfig("notes.rewriteRef", "refs/notes/other")
        #expect(try repo.git(["config", "--local", "--get-all", "notes.rewriteRef"]) == "refs/notes/other")

        try repository.addConfigValue("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
        try repository.addConfigValue("remote.origin.fetch", "refs/notes/modelgate:refs/notes/modelgate")
        try repository.addConfigValue("remote.origin.push", "refs/notes/modelgate")
        #expect(
            try repo.git(["config", "--get-all", "remote.origin.fetch"])
                == "+refs/heads/*:refs/remotes/origin/*\nrefs/notes/modelgate:refs/notes/modelgate")
        #expect(try repository.configValues("remote.origin.fetch").count == 2)

        try repository.unsetConfig("remote.origin.fetch")
        #expect(try repo.gitResult(["config", "--get-all", "remote.origin.fetch"]).status == 1)
        try repository.unsetConfig("remote.origin.fetch")  // already gone: no error
        #expect(try repo.git(["config", "--get", "remote.origin.push"]) == "refs/notes/modelgate")

        let error = gitError { try repository.setConfig("nodot", "x") }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.hint?.contains("section.name") == true)
    }

    @Test func linkedWorktreeWritesTheSharedConfig() throws {
        let repo = try TemporaryRepository.withHistory()
        let worktree = repo.directory.appending("linked")
        try repo.git(["worktree", "add", "--quiet", "-b", "feature", worktree.path])
        try Repository(at: worktree).setConfig("modelgate.shared", "yes")
        #expect(try repo.git(["config", "--get", "modelgate.shared"]) == "yes")
        #expect(try repo.open().configString("modelgate.shared") == "yes")
    }

    @Test func remoteNamesMatchGitRemote() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        #expect(try repository.remoteNames() == [])
        let origin = try repo.addBareRemote()
        #expect(try repo.git(["config", "remote.origin.url"]) == origin.path)
        try repo.git(["remote", "add", "backup", "/srv/backup.git"])
        #expect(
            try repository.remoteNames() == (try repo.git(["remote"])).split(separator: "\n").map(String.init)
        )
    }

    @Test func referencesMatchForEachRef() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["tag", "-a", "-m", "one", "v1", "HEAD~1"])
        try repo.git(["tag", "light"])
        try repo.git(["branch", "topic", "HEAD~2"])
        try repo.git(["notes", "--ref=modelgate", "add", "-m", "n", "HEAD"])
        try repo.git(["symbolic-ref", "refs/heads/alias", "refs/heads/topic"])
        let repository = try repo.open()
        for prefix in ["refs/tags/", "refs/heads/", "refs/notes/", "refs/"] {
            let expected = try repo.git(["for-each-ref", "--format=%(refname) %(objectname)", prefix]).split(
                separator: "\n"
            ).map { line in
                let parts = line.split(separator: " ")
                return ReferenceEntry(name: String(parts[0]), id: try objectID(String(parts[1])))
            }
            #expect(try repository.references(withPrefix: prefix) == expected, "prefix \(prefix)")
        }
        #expect(
            try repository.reference("refs/heads/main") == (try objectID(repo.git(["rev-parse", "main"]))))
        #expect(try repository.reference("HEAD") == (try objectID(repo.git(["rev-parse", "HEAD"]))))
        #expect(try repository.reference("refs/heads/none") == nil)
        #expect(gitError { _ = try repository.reference("refs/heads/a..b") }?.exitStatus == .badInput)
    }
}
