import Foundation
import TestSupport
import Testing

/// A commit that passed the pre-commit hook can be released without running anything again.
@Suite struct HookReleaseTests {
    @Test func aCommitPassedByTheHookIsReleasable() throws {
        let repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                name: demo
                stages:
                  - name: train
                    cmd: sh train.sh
                    deps: [train.sh, data.csv]
                    outs: [model.bin]
                    metrics: metrics.json
                gates:
                  - {metric: score, min: 0.5}

                """,
                "train.sh": "wc -l < data.csv > model.bin\nprintf '{\"score\": 0.9}' > metrics.json\n",
                "README.md": "demo\n",
            ], message: "pipeline")
        let install = try ModelgateBinary.run(["install"], in: repo.url)
        #expect(install.status == 0, "\(install.stderr)")
        try repo.write(["data.csv": "a\n1\n2\n"])
        try repo.git(["add", "data.csv"])
        // git runs the hook; the hook's run stores the artifact.
        let commit = try repo.gitResult(["commit", "-m", "data"])
        #expect(commit.status == 0, "\(commit.stderr)")
        let release = try ModelgateBinary.run(["release", "demo-v1", "--env", "production"], in: repo.url)
        #expect(release.status == 0, "\(release.stderr) \(commit.stderr)")
        let trailers = try repo.git(["tag", "-l", "--format=%(contents)", "demo-v1"])
        #expect(trailers.contains("Modelgate-Artifact: sha256:"))
        #expect(trailers.contains("Modelgate-Environment: production"))
    }
}
