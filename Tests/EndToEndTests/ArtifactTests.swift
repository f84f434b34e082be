import Foundation
import TestSupport
import Testing

/// The artifact store, `modelgate artifact`, `package` (OCI layout) and `gc`, end to end.
@Suite struct ArtifactTests {
    @Test func aPassingRunStoresItsOutputsWithAManifest() throws {
        let repository = try ArtifactRepository()
        let run = try repository.modelgate(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let digest = try #require(try repository.artifactDigest())
        #expect(digest.hasPrefix("sha256:"))
        // The manifest is the blob named by the digest; it lists every output file with its sha256.
        let manifestData = try Data(contentsOf: repository.blobURL(digest))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        #expect(manifest["name"] as? String == "demo")
        #expect(manifest["verdict"] as? String == "pass")
        #expect(manifest["tree"] as? String == (try repository.repo.git(["rev-parse", "HEAD^{tree}"])))
        #expect((manifest["metrics"] as? [String: Double])?["r2"] == 0.92)
        #expect(
            (manifest["inputs"] as? [String: String])?["data/a.csv"]
                == (try repository.repo.git(["rev-parse", "HEAD:data/a.csv"])))
        let files = try #require(manifest["files"] as? [[String: Any]])
        #expect(files.map { $0["path"] as? String } == ["model.bin", "weights/a.txt", "weights/layer/b.txt"])
        #expect(files[1]["size"] as? Int == 4)
        #expect(manifest["tool"] as? String == "modelgate 0.1.0")
        // show, verify and export agree.
        let show = try repository.modelgate(["artifact", "show", "--json"])
        #expect(show.status == 0)
        #expect(show.stdout == String(decoding: manifestData, as: UTF8.self))
        let verify = try repository.modelgate(["artifact", "verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("ok \(digest): 4 files"))
        let export = repository.repo.directory.appending("export")
        #expect(try repository.modelgate(["artifact", "export", "HEAD", "--to", export.path]).status == 0)
        #expect(
            try String(contentsOf: export.appendingPathComponent("weights/a.txt"), encoding: .utf8) == "w 2\n"
        )
        #expect(try Data(contentsOf: export.appendingPathComponent("manifest.json")) == manifestData)
    }

    @Test func identicalOutputsAreStoredOnce() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        try repository.repo.commit(files: ["README.md": "docs\n"], message: "docs only")
        #expect(try repository.modelgate(["run"]).stdout.contains("(cached)"))
        #expect(try repository.artifactDigest("HEAD") == (try repository.artifactDigest("HEAD~1")))
        #expect(try repository.modelgate(["run", "--force"]).status == 0)
        // A forced rerun is a new artifact (new run time), but its files are the same blobs.
        let blobs = repository.url.appendingPathComponent(".git/modelgate/store/sha256")
        let count = try FileManager.default.subpathsOfDirectory(atPath: blobs.path).filter { $0.count > 3 }
            .count
        #expect(count == 5)  // 3 files + 2 manifests
    }

    @Test func aFlippedByteIsReportedAndBlocksExportPackageAndPush() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let digest = try #require(try repository.artifactDigest())
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: repository.blobURL(digest)))
            as? [String: Any]
        let modelHash = try #require((manifest?["files"] as? [[String: Any]])?.first?["sha256"] as? String)
        let blob = repository.blobURL(modelHash)
        var bytes = try Data(contentsOf: blob)
        bytes[10] ^= 0x01
        try bytes.write(to: blob)

        let verify = try repository.modelgate(["artifact", "verify"])
        #expect(verify.status == 3)
        #expect(verify.stdout.contains("corrupt model.bin: sha256 is"))
        #expect(verify.stderr.contains("is corrupt: model.bin"))
        let export = try repository.modelgate([
            "artifact", "export", "--to", repository.repo.directory.appending("out").path,
        ])
        #expect(export.status == 3)
        #expect(export.stderr.contains("refusing to export"))
        #expect(
            !FileManager.default.fileExists(atPath: repository.repo.directory.appending("out/model.bin").path)
        )
        let package = try repository.modelgate([
            "package", "--oci", repository.repo.directory.appending("oci").path,
        ])
        #expect(package.status == 3)
        #expect(package.stderr.contains("refusing to package"))
        let push = try repository.modelgate(["push", "127.0.0.1:9/demo/model:v1", "--insecure"])
        #expect(push.status == 3)
        #expect(push.stderr.contains("refusing to package"))  // refused before any connection
        let release = try repository.modelgate(["release", "demo@v1.0.0"])
        #expect(release.status == 1)
        #expect(release.stderr.contains("does not verify (model.bin: sha256 is"))
    }

    @Test func failingAndUnevaluatedCommitsHaveNoArtifact() throws {
        let repository = try ArtifactRepository(gates: "  - {metric: r2, min: 0.99}\n")
        #expect(try repository.modelgate(["run"]).status == 1)
        let failed = try repository.modelgate(["artifact", "show"])
        #expect(failed.status == 2)
        #expect(failed.stderr.contains("has no artifact: its verdict is fail"))
        try repository.repo.commit(files: ["README.md": "x\n"], message: "later")
        let unevaluated = try repository.modelgate(["artifact", "verify", "HEAD"])
        #expect(unevaluated.status == 2)
    }

    @Test func packageWritesALayoutSkopeoAndUmociAccept() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let layout = repository.repo.directory.appending("oci")
        let package = try repository.modelgate(["package", "--oci", layout.path])
        #expect(package.status == 0, "\(package.stderr)")
        let digest = package.output
        // index.json lists the manifest the command printed.
        let index =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: layout.appendingPathComponent("index.json"))) as? [String: Any]
        let listed = (index?["manifests"] as? [[String: Any]])?.first
        #expect(listed?["digest"] as? String == digest)
        #expect(
            try String(contentsOf: layout.appendingPathComponent("oci-layout"), encoding: .utf8).contains(
                "1.0.0"))

        let inspect = try ExternalTool.run("skopeo", ["inspect", "oci:\(layout.path)"], in: repository.url)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        #expect(info?["Digest"] as? String == digest)
        let labels = info?["Labels"] as? [String: String]
        let commit = try repository.repo.git(["rev-parse", "HEAD"])
        #expect(labels?["org.opencontainers.image.revision"] == commit)
        #expect(labels?["org.opencontainers.image.title"] == "demo")
        #expect(labels?["org.opencontainers.image.version"] == String(commit.prefix(7)))
        #expect(labels?["dev.modelgate.metrics"] == #"{"r2":0.92}"#)
        #expect(labels?["dev.modelgate.artifact"] == (try repository.artifactDigest()))
        #expect(labels?["dev.modelgate.fingerprint"]?.count == 64)
        let manifestJSON = try ExternalTool.run(
            "skopeo", ["inspect", "--raw", "oci:\(layout.path)"], in: repository.url)
        let manifest =
            try JSONSerialization.jsonObject(with: Data(manifestJSON.stdout.utf8)) as? [String: Any]
        let annotations = manifest?["annotations"] as? [String: String]
        #expect(annotations?["org.opencontainers.image.created"] != nil)
        #expect(annotations?["org.opencontainers.image.revision"] == commit)

        let ref = String(commit.prefix(7))
        let bundle = repository.repo.directory.appending("bundle")
        let unpack = try ExternalTool.run(
            "umoci", ["unpack", "--rootless", "--image", "\(layout.path):\(ref)", bundle.path],
            in: repository.url)
        #expect(unpack.status == 0, "\(unpack.stderr)")
        let model = bundle.appendingPathComponent("rootfs/model")
        #expect(
            try String(contentsOf: model.appendingPathComponent("weights/layer/b.txt"), encoding: .utf8)
                == "b\n")
        #expect(FileManager.default.fileExists(atPath: model.appendingPathComponent("manifest.json").path))
        let exported = repository.repo.directory.appending("export")
        #expect(try repository.modelgate(["artifact", "export", "--to", exported.path]).status == 0)
        #expect(
            try Data(contentsOf: model.appendingPathComponent("model.bin"))
                == Data(contentsOf: exported.appendingPathComponent("model.bin")))
    }

    @Test func packagingTwiceIsByteIdentical() throws {
        let repository = try ArtifactRepository(modelBytes: 300_000)
        #expect(try repository.modelgate(["run"]).status == 0)
        let first = repository.repo.directory.appending("one")
        let second = repository.repo.directory.appending("two")
        let a = try repository.modelgate(["package", "--oci", first.path])
        sleep(1)  // a clock-dependent time stamp would now differ
        let b = try repository.modelgate(["package", "--oci", second.path])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        let files = try FileManager.default.subpathsOfDirectory(atPath: first.path).sorted()
        #expect(files == (try FileManager.default.subpathsOfDirectory(atPath: second.path).sorted()))
        #expect(files.count == 7)  // oci-layout, index.json, blobs, blobs/sha256, 3 blobs
        for file in files where !file.hasSuffix("blobs") && !file.hasSuffix("sha256") {
            #expect(
                try Data(contentsOf: first.appendingPathComponent(file))
                    == Data(contentsOf: second.appendingPathComponent(file)),
                "\(file) differs")
        }
        // The tar itself has fixed owners and times: GNU tar lists uid/gid 0 and one time stamp.
        let layers = try FileManager.default.contentsOfDirectory(
            atPath: first.appendingPathComponent("blobs/sha256").path)
        let listings = try layers.map {
            try ProcessRunner.run(
                "tar", ["tvf", first.appendingPathComponent("blobs/sha256/\($0)").path], in: first)
        }
        let tarListing = try #require(
            listings.first { $0.status == 0 && $0.stdout.contains("model/model.bin") })
        #expect(tarListing.stdout.split(separator: "\n").allSatisfy { $0.contains(" 0/0 ") })
        #expect(tarListing.stdout.contains("model/weights/layer/b.txt"))
    }

    @Test func gcKeepsReleasedAndRecentArtifacts() throws {
        let repository = try ArtifactRepository()
        var digests: [String] = []
        for rows in [2, 3, 4, 5] {
            if rows > 2 { try repository.commitRows(rows) }
            #expect(try repository.modelgate(["run"]).status == 0)
            digests.append(try #require(try repository.artifactDigest()))
        }
        #expect(try repository.modelgate(["release", "demo@v1.0.0", "--rev", "HEAD~3"]).status == 0)
        let dry = try repository.modelgate(["gc", "--keep", "1", "--dry-run", "--json"])
        #expect(dry.status == 0)
        let plan = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any]
        #expect(Set(plan?["removed"] as? [String] ?? []) == Set([digests[1], digests[2]]))
        #expect(FileManager.default.fileExists(atPath: repository.blobURL(digests[1]).path))
        let gc = try repository.modelgate(["gc", "--keep", "1"])
        #expect(gc.status == 0)
        #expect(gc.stdout.contains("removed 2 artifact(s)"))
        #expect(!FileManager.default.fileExists(atPath: repository.blobURL(digests[1]).path))
        #expect(try repository.modelgate(["artifact", "verify", "HEAD~3"]).status == 0)
        #expect(try repository.modelgate(["artifact", "verify", "HEAD"]).status == 0)
        // HEAD~1's note still names its artifact, which gc removed.
        #expect(try repository.modelgate(["artifact", "verify", "HEAD~1"]).status == 3)
    }

    @Test func aStagedRunsArtifactIsTheCommitsArtifact() throws {
        // The store is called before the commit exists (pre-commit): the manifest names the tree
        // and fingerprint, not the commit, so the committed verdict reuses the same artifact.
        let repository = try ArtifactRepository()
        try repository.repo.write(["data/a.csv": "x\n1\n2\n3\n"])
        try repository.repo.git(["add", "data/a.csv"])
        let staged = try repository.modelgate(["run", "--staged", "--json"])
        #expect(staged.status == 0, "\(staged.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(staged.stdout.utf8)) as? [String: Any]
        let digest = try #require(record?["artifact"] as? String)
        try repository.repo.git(["commit", "--quiet", "-m", "three rows"])
        let committed = try repository.modelgate(["run"])
        #expect(committed.stdout.contains("(cached)"))
        #expect(try repository.artifactDigest() == digest)
        let show = try repository.modelgate(["artifact", "show"])
        #expect(show.stdout.contains("commit       \(try repository.repo.git(["rev-parse", "HEAD"]))"))
        #expect(try repository.modelgate(["release", "demo@v1.0.0"]).status == 0)
    }
}
