import Foundation
import TestSupport
import Testing

/// `modelgate install`, `uninstall` and `hooks` next to other hooks and hook managers.
@Suite struct HookInstallTests {
    @Test func foreignHooksAreChainedAndRestoredByteForByte() throws {
        let fixture = try HookFixture(install: false)
        let hooks = try fixture.hooksDirectory()
        let log = fixture.repo.directory.appending("foreign.log").path
        let gate = fixture.repo.directory.appending("foreign-fails").path
        // Unusual bytes and modes, so a rewrite instead of a rename would show.
        let preCommit =
            "#!/bin/sh\n# user's own hook\t\u{00E9}\necho \"pre-commit $0\" >> '\(log)'\n[ ! -e '\(gate)' ]\n"
        let prePush = "#!/bin/bash\necho \"pre-push $1\" >> '\(log)'\ncat >> '\(log)'\n"
        try writeScript(preCommit, to: hooks.appendingPathComponent("pre-commit"), mode: 0o750)
        try writeScript(prePush, to: hooks.appendingPathComponent("pre-push"), mode: 0o700)

        let install = try fixture.modelgate(["install"])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(
            install.stdout.contains(
                "pre-commit: installed; the existing hook was kept as pre-commit.modelgate-chained and runs first"
            ))

        // The foreign hook runs first, with $0 still naming the hook, and its failure counts.
        #expect(try fixture.commit(["data/a.csv": "x\n1\n2\n3\n"], message: "more").status == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("pre-commit .git/hooks/pre-commit"))
        #expect(fixture.runCount == 1)
        _ = FileManager.default.createFile(atPath: gate, contents: Data())
        let blocked = try fixture.commit(["README.md": "x\n"], message: "blocked")
        #expect(blocked.status != 0)
        try FileManager.default.removeItem(atPath: gate)

        // Both pre-push hooks read every stdin line.
        try fixture.repo.git(["branch", "copy"])
        let push = try fixture.repo.gitResult(["push", "--quiet", "origin", "main", "copy"])
        #expect(push.status == 0, "\(push.stderr)")
        let head = try fixture.head()
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        #expect(logged.contains("pre-push origin"))
        #expect(logged.contains("refs/heads/main \(head) refs/heads/main"))
        #expect(logged.contains("refs/heads/copy \(head) refs/heads/copy"))
        #expect(push.stderr.contains("modelgate: pass branch main, branch copy"))

        // Reinstalling changes nothing.
        let shim = try Data(contentsOf: hooks.appendingPathComponent("pre-commit"))
        let again = try fixture.modelgate(["install"])
        #expect(again.stdout.contains("pre-commit: already installed"))
        #expect(try Data(contentsOf: hooks.appendingPathComponent("pre-commit")) == shim)
        #expect(
            try Data(contentsOf: hooks.appendingPathComponent("pre-commit.modelgate-chained"))
                == Data(preCommit.utf8))

        let uninstall = try fixture.modelgate(["uninstall"])
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        #expect(uninstall.stdout.contains("pre-commit: removed; restored the hook it replaced"))
        #expect(try Data(contentsOf: hooks.appendingPathComponent("pre-commit")) == Data(preCommit.utf8))
        #expect(try Data(contentsOf: hooks.appendingPathComponent("pre-push")) == Data(prePush.utf8))
        #expect(try fileMode(hooks.appendingPathComponent("pre-commit")) == 0o750)
        #expect(try fileMode(hooks.appendingPathComponent("pre-push")) == 0o700)
        #expect(
            !FileManager.default.fileExists(
                atPath: hooks.appendingPathComponent("pre-commit.modelgate-chained").path))
    }

    @Test func anOlderShimIsUpgradedInPlace() throws {
        let fixture = try HookFixture()
        let hook = try fixture.hooksDirectory().appendingPathComponent("pre-commit")
        let current = try String(contentsOf: hook, encoding: .utf8)
        let older = current.replacingOccurrences(of: "version 1: pre-commit", with: "version 0: pre-commit")
            .replacingOccurrences(of: "# Fast path", with: "# old fast path")
        try writeScript(older, to: hook)
        let status = try fixture.modelgate(["hooks", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let first = (json?["hooks"] as? [[String: Any]])?.first
        #expect(first?["version"] as? Int == 0)
        #expect(first?["upToDate"] as? Bool == false)
        let install = try fixture.modelgate(["install", "--hooks", "pre-commit"])
        #expect(install.stdout.contains("pre-commit: replaced version 0 in place"))
        #expect(try String(contentsOf: hook, encoding: .utf8) == current)
        #expect(!FileManager.default.fileExists(atPath: hook.path + ".modelgate-chained"))
    }

    @Test func preCommitFrameworkHookKeepsRunning() throws {
        let fixture = try HookFixture(install: false)
        let hooks = try fixture.hooksDirectory()
        let log = fixture.repo.directory.appending("framework.log").path
        // The shape of the script `pre-commit install` writes (bash, finds itself through $0).
        let framework = """
            #!/usr/bin/env bash
            # File generated by pre-commit: https://pre-commit.com
            # ID: 138fd403232d2ddd5efb44317e38bf03
            ARGS=(hook-impl --config=.pre-commit-config.yaml --hook-type=pre-commit)
            HERE="$(cd "$(dirname "$0")" && pwd)"
            ARGS+=(--hook-dir "$HERE" -- "$@")
            echo "framework ${ARGS[*]}" >> '\(log)'

            """
        try writeScript(framework, to: hooks.appendingPathComponent("pre-commit"))
        #expect(try fixture.modelgate(["install"]).status == 0)
        let refused = try fixture.commit(["data/a.csv": HookFixture.failingData], message: "bad")
        #expect(refused.status != 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("--hook-dir \(hooks.path)"))
        #expect(refused.stderr.contains("commit refused"))

        // The other order: modelgate first, then the framework moves our shim to pre-commit.legacy.
        #expect(try fixture.modelgate(["uninstall"]).status == 0)
        #expect(try fixture.modelgate(["install"]).status == 0)
        try FileManager.default.moveItem(
            at: hooks.appendingPathComponent("pre-commit"),
            to: hooks.appendingPathComponent("pre-commit.legacy"))
        try writeScript(
            framework + "\"$HERE/pre-commit.legacy\" \"$@\"\n", to: hooks.appendingPathComponent("pre-commit")
        )
        let status = try fixture.modelgate(["hooks"])
        #expect(
            status.stdout.contains("modelgate shim called by the pre-commit framework (as pre-commit.legacy)")
        )
        #expect(try fixture.commit(["data/a.csv": "x\n"], message: "bad").status != 0)
    }

    @Test func huskyStyleHooksPathIsUsedAndReported() throws {
        let fixture = try HookFixture(install: false)
        let log = fixture.repo.directory.appending("husky.log").path
        // husky 9: core.hooksPath = .husky/_ (ignored, generated); each hook sources `h`, which
        // runs .husky/<name of $0>.
        try fixture.repo.write([".gitignore": ".husky/_\n"])
        try writeScript(
            "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
            to: fixture.repo.url.appendingPathComponent(".husky/_/pre-commit"))
        try writeScript(
            "#!/usr/bin/env sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n",
            to: fixture.repo.url.appendingPathComponent(".husky/_/h"))
        try writeScript(
            "echo husky-user-hook >> '\(log)'\n",
            to: fixture.repo.url.appendingPathComponent(".husky/pre-commit"))
        try fixture.repo.git(["config", "core.hooksPath", ".husky/_"])
        // A shim left in .git/hooks from before is not run by git while core.hooksPath is set.
        try writeScript(
            "#!/bin/sh\n# modelgate hook shim, version 1: pre-push\n",
            to: fixture.repo.url.appendingPathComponent(".git/hooks/pre-push"))

        let install = try fixture.modelgate(["install"])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains(".husky/_/pre-commit"))
        let status = try fixture.modelgate(["hooks", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect(
            json?["hooksDirectory"] as? String == fixture.repo.url.appendingPathComponent(".husky/_").path)
        #expect(json?["coreHooksPath"] as? String == ".husky/_")
        let hooks = json?["hooks"] as? [[String: Any]]
        #expect(hooks?.map { $0["modelgateRuns"] as? Bool } == [true, true, true])
        let text = try fixture.modelgate(["hooks"]).stdout
        #expect(text.contains("hooks dir    \(fixture.repo.url.path)/.husky/_ (core.hooksPath = .husky/_)"))
        #expect(text.contains(".git/hooks/pre-push is a modelgate shim, but git does not run it"))
        #expect(text.contains("husky"))

        let result = try fixture.commit(["data/a.csv": HookFixture.failingData], message: "bad")
        #expect(result.status != 0)
        // husky found its script by $0
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "husky-user-hook\n")
        #expect(result.stderr.contains("commit refused"))
    }

    @Test func aCommittedHooksDirectoryNeedsForce() throws {
        let fixture = try HookFixture(install: false)
        try writeScript(
            "#!/bin/sh\nexit 0\n", to: fixture.repo.url.appendingPathComponent(".githooks/pre-commit"))
        try fixture.repo.git(["add", ".githooks/pre-commit"])
        try fixture.repo.git(["commit", "--quiet", "-m", "hooks"])
        try fixture.repo.git(["config", "core.hooksPath", ".githooks"])
        let refused = try fixture.modelgate(["install"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the hooks directory '.githooks' (core.hooksPath) is committed"))
        #expect(
            !FileManager.default.fileExists(
                atPath: fixture.repo.url.appendingPathComponent(".githooks/pre-push").path))
        let forced = try fixture.modelgate(["install", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(
            FileManager.default.fileExists(
                atPath: fixture.repo.url.appendingPathComponent(".githooks/pre-commit.modelgate-chained").path
            ))
    }

    @Test func linkedWorktreeSharesTheHooksAndSubdirectoryInstallWorks() throws {
        let fixture = try HookFixture(install: false)
        let linked = fixture.repo.directory.appending("linked")
        try fixture.repo.git(["worktree", "add", "--quiet", "-b", "wt", linked.path])
        let install = try fixture.modelgate(["install"], in: linked.appendingPathComponent("data"))
        #expect(install.status == 0, "\(install.stderr)")
        let common = fixture.repo.url.appendingPathComponent(".git/hooks/pre-commit")
        #expect(install.stdout.contains(common.path))
        #expect(try String(contentsOf: common, encoding: .utf8).contains("modelgate hook shim"))
        // A commit in the linked worktree (git sets GIT_DIR for its hooks) is judged there.
        try Data(HookFixture.failingData.utf8).write(to: linked.appendingPathComponent("data/a.csv"))
        try fixture.repo.git(["add", "data/a.csv"], in: linked)
        let refused = try fixture.repo.gitResult(["commit", "--quiet", "-m", "bad"], in: linked)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("r2      0.91"))
        try Data("x\n1\n2\n3\n".utf8).write(to: linked.appendingPathComponent("data/a.csv"))
        try fixture.repo.git(["add", "data/a.csv"], in: linked)
        let allowed = try fixture.repo.gitResult(["commit", "--quiet", "-m", "good"], in: linked)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        // The main work tree is untouched by the linked worktree's runs.
        #expect(try fixture.repo.read("data/a.csv") == HookFixture.passingData)
    }

    @Test func bareRepositoriesAndUnknownHooksAreRefused() throws {
        let bare = try TemporaryRepository(bare: true)
        let result = try ModelgateBinary.run(["install"], in: bare.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("could not install hooks: this is a bare repository"))
        #expect(
            !FileManager.default.fileExists(atPath: bare.url.appendingPathComponent("hooks/pre-commit").path))
        let fixture = try HookFixture(install: false)
        let unknown = try fixture.modelgate(["install", "--hooks", "post-merge"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("modelgate has no 'post-merge' hook"))
    }
}

/// The real pre-commit framework (PyPI `pre-commit`), which `make deps` installs into
/// .build-tools/venv (PATH and benchmarks/.venv-hooks are looked at too).
@Suite struct HookPreCommitFrameworkTests {
    static let executable: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map {
                "\($0)/pre-commit"
            }
            + [
                root.appendingPathComponent(".build-tools/venv/bin/pre-commit").path,
                root.appendingPathComponent("benchmarks/.venv-hooks/bin/pre-commit").path,
            ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    func setUp(_ fixture: HookFixture) throws -> [String: String] {
        let log = fixture.repo.directory.appending("framework.log").path
        try fixture.repo.commit(
            files: [
                ".pre-commit-config.yaml": """
                repos:
                  - repo: local
                    hooks:
                      - id: marker
                        name: marker
                        entry: sh -c 'echo framework-ran >> \(log)'
                        language: system
                        pass_filenames: false
                        always_run: true

                """
            ], message: "pre-commit config")
        return ["PRE_COMMIT_HOME": fixture.repo.directory.appending("pre-commit-cache").path]
    }

    @Test func bothInstallOrdersRunBothHooks() throws {
        guard Self.executable != nil else {
            Issue.record("the pre-commit framework is not installed; run 'make deps'")
            return
        }
        for modelgateFirst in [false, true] {
            let fixture = try HookFixture(install: false)
            let environment = try setUp(fixture)
            let frameworkInstall = {
                try ProcessRunner.run(
                    Self.executable!, ["install"], in: fixture.repo.url, environment: environment)
            }
            if modelgateFirst {
                #expect(try fixture.modelgate(["install"]).status == 0)
                #expect(try frameworkInstall().status == 0)
                #expect(
                    try fixture.modelgate(["hooks"]).stdout.contains("called by the pre-commit framework"))
            } else {
                #expect(try frameworkInstall().status == 0)
                #expect(try fixture.modelgate(["install"]).status == 0)
            }
            let refused = try fixture.commit(
                ["data/a.csv": HookFixture.failingData], message: "bad", environment: environment)
            #expect(refused.status != 0, "modelgate first: \(modelgateFirst)")
            #expect(refused.stderr.contains("commit refused"))
            let log = try String(
                contentsOfFile: fixture.repo.directory.appending("framework.log").path, encoding: .utf8)
            #expect(log.contains("framework-ran"))
            // Uninstalling leaves the framework's hook working and modelgate out of the way.
            #expect(try fixture.modelgate(["uninstall"]).status == 0)
            let allowed = try fixture.repo.gitResult(
                ["commit", "--quiet", "-m", "bad"], environment: environment)
            #expect(allowed.status == 0, "\(allowed.stderr)")
            let after = try String(
                contentsOfFile: fixture.repo.directory.appending("framework.log").path, encoding: .utf8)
            #expect(after.split(separator: "\n").count == 2)
        }
    }
}
