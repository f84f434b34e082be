import Foundation
import GitKit
import TestSupport
import Testing

/// Opening repositories and the directories git uses, checked against `git rev-parse`.
@Suite struct RepositoryTests {
    private func absolute(_ repo: TemporaryRepository, _ arguments: [String], in directory: URL? = nil) throws
        -> URL
    {
        URL(
            fileURLWithPath: try repo.git(
                ["rev-parse", "--path-format=absolute"] + arguments, in: directory), isDirectory: true
        )
        .standardizedFileURL
    }

    @Test func discoversFromSubdirectory() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try Repository(discoveringFrom: repo.url.appendingPathComponent("data"))
        #expect(
            repository.workingDirectory?.path
                == URL(fileURLWithPath: try repo.git(["rev-parse", "--show-toplevel"])).path)
        #expect(
            repository.gitDirectory.path
                == URL(fileURLWithPath: try repo.git(["rev-parse", "--absolute-git-dir"])).path)
        #expect(repository.commonDirectory.path == (try absolute(repo, ["--git-common-dir"])).path)
        #expect(!repository.isBare)
        #expect(!repository.isLinkedWorktree)
        #expect(try repository.hooksDirectory.path == (try absolute(repo, ["--git-path", "hooks"])).path)
    }

    @Test func discoversThroughGitFile() throws {
        // A submodule's work tree has a `.git` file ("gitdir: …") instead of a directory.
        let repo = try TemporaryRepository()
        let work = repo.directory.appending("module")
        let separate = repo.directory.appending("modules/module.git")
        try FileManager.default.createDirectory(
            at: separate.deletingLastPathComponent(), withIntermediateDirectories: true)
        try repo.git(["init", "--quiet", "--separate-git-dir", separate.path, work.path])
        var isDirectory: ObjCBool = true
        #expect(
            FileManager.default.fileExists(
                atPath: work.appendingPathComponent(".git").path, isDirectory: &isDirectory))
        #expect(!isDirectory.boolValue)
        try FileManager.default.createDirectory(
            at: work.appendingPathComponent("deep/er"), withIntermediateDirectories: true)
        let repository = try Repository(discoveringFrom: work.appendingPathComponent("deep/er"))
        #expect(
            repository.gitDirectory.path
                == URL(fileURLWithPath: try repo.git(["rev-parse", "--absolute-git-dir"], in: work)).path)
        #expect(repository.gitDirectory.path == separate.path)
        #expect(repository.workingDirectory?.path == work.path)
    }

    @Test func linkedWorktreeSharesCommonDirectoryAndHooks() throws {
        let repo = try TemporaryRepository.withHistory()
        let worktree = try repo.addWorktree(named: "linked", branch: "feature")
        let repository = try Repository(discoveringFrom: worktree)
        #expect(repository.isLinkedWorktree)
        #expect(repository.workingDirectory?.path == worktree.path)
        #expect(
            repository.gitDirectory.path
                == URL(fileURLWithPath: try repo.git(["rev-parse", "--absolute-git-dir"], in: worktree)).path)
        #expect(
            repository.commonDirectory.path == (try absolute(repo, ["--git-common-dir"], in: worktree)).path)
        #expect(repository.commonDirectory.path == repo.url.appendingPathComponent(".git").path)
        #expect(
            try repository.hooksDirectory.path
                == (try absolute(repo, ["--git-path", "hooks"], in: worktree)).path)
        #expect(try repository.headBranch == "feature")
    }

    @Test(arguments: [".githooks", "tools/hooks", "../outside-hooks"])
    func relativeHooksPathIsRelativeToTheWorkTreeTop(hooksPath: String) throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["config", "core.hooksPath", hooksPath])
        let worktree = try repo.addWorktree(named: "linked", branch: "feature")
        for top in [repo.url, worktree] {
            let expected = try absolute(repo, ["--git-path", "hooks"], in: top)
            let fromSubdirectory = try Repository(discoveringFrom: top.appendingPathComponent("data"))
            #expect(try fromSubdirectory.hooksDirectory.path == expected.path)
            #expect(expected.path == top.appendingPathComponent(hooksPath).standardizedFileURL.path)
        }
    }

    @Test func absoluteHooksPath() throws {
        let repo = try TemporaryRepository.withHistory()
        let hooks = repo.directory.appending("shared-hooks")
        try repo.git(["config", "core.hooksPath", hooks.path])
        let repository = try repo.open()
        #expect(try repository.hooksDirectory.path == hooks.path)
        #expect(try repository.hooksDirectory.path == (try absolute(repo, ["--git-path", "hooks"])).path)
        let hook = try repository.hook(named: "pre-commit")
        #expect(!hook.exists)
        #expect(hook.url.path == hooks.appendingPathComponent("pre-commit").path)
    }

    @Test func perWorktreeHooksPath() throws {
        // With extensions.worktreeConfig, `git config --worktree` writes $GIT_DIR/config.worktree,
        // which git reads and libgit2 1.5 does not; GitKit must see it like git.
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["config", "extensions.worktreeConfig", "true"])
        try repo.git(["config", "core.hooksPath", "shared-hooks"])
        let worktree = try repo.addWorktree(named: "linked", branch: "feature")
        try repo.git(["config", "--worktree", "core.hooksPath", "linked-hooks"], in: worktree)
        #expect(
            try absolute(repo, ["--git-path", "hooks"], in: worktree).path
                == worktree.appendingPathComponent("linked-hooks").path)
        #expect(
            try Repository(at: worktree).hooksDirectory.path
                == (try absolute(repo, ["--git-path", "hooks"], in: worktree)).path)
        #expect(try Repository(at: worktree).configString("core.hooksPath") == "linked-hooks")
        #expect(try repo.open().hooksDirectory.path == (try absolute(repo, ["--git-path", "hooks"])).path)
        try repo.git(["config", "--worktree", "core.hooksPath", "main-hooks"])
        #expect(try repo.open().hooksDirectory.path == repo.url.appendingPathComponent("main-hooks").path)
        #expect(try repo.open().hooksDirectory.path == (try absolute(repo, ["--git-path", "hooks"])).path)
        // Writes still go to the shared config, like `git config` without --worktree.
        try Repository(at: worktree).setConfig("modelgate.where", "shared")
        #expect(try repo.git(["config", "--local", "modelgate.where"]) == "shared")
    }

    @Test func sha256RepositoryIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let made = try ProcessRunner.run(
            "git", ["init", "--quiet", "--object-format=sha256", "s"], in: directory.url)
        #expect(made.status == 0)
        let error = gitError { _ = try Repository(at: directory.appending("s")) }
        #expect(error?.hint?.contains("SHA-256") == true)
        #expect(error?.exitStatus == .failure)
    }

    @Test func bareRepositoryHasNoWorkTree() throws {
        let repo = try TemporaryRepository(bare: true)
        let repository = try repo.open()
        #expect(repository.isBare)
        #expect(repository.workingDirectory == nil)
        #expect(repository.gitDirectory.path == repo.url.path)
        #expect(try repository.hooksDirectory.path == (try absolute(repo, ["--git-path", "hooks"])).path)
        let error = gitError { _ = try repository.requireWorkingDirectory(for: "export the index") }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.summary.contains("bare repository") == true)
        #expect(error?.hint != nil)
        #expect(gitError { _ = try repository.workingFileMatchesIndex(path: "x") }?.exitStatus == .badInput)
        #expect(
            gitError { try repository.exportIndex(to: repo.directory.appending("out")) }?.exitStatus
                == .badInput)
        #expect(gitError { _ = try repository.indexTreeID() }?.exitStatus == .badInput)
    }

    @Test func notARepository() throws {
        let directory = try TemporaryDirectory()
        let error = gitError { _ = try Repository(discoveringFrom: directory.url) }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.isNotFound == true)
        #expect(error?.location == directory.url.path)
        #expect(error?.summary.contains("not a git repository") == true)
        #expect(error?.hint?.contains("git init") == true)

        let missing = gitError { _ = try Repository(at: directory.appending("does/not/exist")) }
        #expect(missing?.exitStatus == .badInput)
        #expect(missing?.summary.contains("no such file or directory") == true)
        #expect(missing?.renderedMessage.hasPrefix("error: could not open repository") == true)
    }

    @Test func openAtDoesNotSearchUpwards() throws {
        let repo = try TemporaryRepository.withHistory()
        #expect(
            gitError { _ = try Repository(at: repo.url.appendingPathComponent("data")) }?.exitStatus
                == .badInput)
        #expect(try Repository(at: repo.url).workingDirectory?.path == repo.url.path)
    }

    @Test func gitIndexFileFromEnvironment() {
        let base = URL(fileURLWithPath: "/srv/example/repo")
        #expect(Repository.indexFileFromEnvironment([:], relativeTo: base) == nil)
        #expect(
            Repository.indexFileFromEnvironment(["GIT_INDEX_FILE": ".git/index.lock"], relativeTo: base)?.path
                == "/srv/example/repo/.git/index.lock")
        #expect(
            Repository.indexFileFromEnvironment(["GIT_INDEX_FILE": "/tmp/next-index"], relativeTo: base)?.path
                == "/tmp/next-index")
    }

    @Test func libraryVersion() {
        #expect(GitLibrary.version.split(separator: ".").count == 3)
    }
}
