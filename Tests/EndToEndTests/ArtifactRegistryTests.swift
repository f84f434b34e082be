import Foundation
import TestSupport
import Testing

/// `modelgate push` and `pull` against a real registry (Debian's docker-registry) on loopback.
@Suite struct ArtifactRegistryTests {
    private func inspect(_ reference: String, in directory: URL, creds: String? = nil) throws -> ProcessResult
    {
        try ExternalTool.run(
            "skopeo",
            ["inspect", "--tls-verify=false"] + (creds.map { ["--creds", $0] } ?? []) + [
                "docker://\(reference)"
            ],
            in: directory)
    }

    @Test func pushShowsTheSameDigestInSkopeoAndPullGivesIdenticalFiles() throws {
        let registry = try TestRegistry()
        let repository = try ArtifactRepository(modelBytes: 3_000_000)
        #expect(try repository.modelgate(["run"]).status == 0)
        let layout = repository.repo.directory.appending("oci")
        let packaged = try repository.modelgate(["package", "--oci", layout.path, "--ref-name", "v1"]).output
        let push = try repository.modelgate(["push", "\(registry.address)/team/demo:v1", "--insecure"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.output == "\(registry.address)/team/demo:v1@\(packaged)")
        let inspected = try inspect("\(registry.address)/team/demo:v1", in: repository.url)
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any]
        #expect(info?["Digest"] as? String == packaged)
        #expect((info?["Labels"] as? [String: String])?["dev.modelgate.metrics"] == #"{"r2":0.92}"#)

        // Again: every blob is already there; to another repository: mounted, not uploaded.
        let again = try repository.modelgate([
            "push", "\(registry.address)/team/demo:v1", "--insecure", "--json",
        ])
        let againResult = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect((againResult?["uploaded"] as? [String])?.isEmpty == true)
        #expect((againResult?["existing"] as? [String])?.count == 2)
        let other = try repository.modelgate([
            "push", "\(registry.address)/other/demo:v1", "--insecure", "--json",
        ])
        let otherResult = try JSONSerialization.jsonObject(with: Data(other.stdout.utf8)) as? [String: Any]
        #expect((otherResult?["mounted"] as? [String])?.count == 2)

        let pulled = repository.repo.directory.appending("pulled")
        let pull = try repository.modelgate([
            "pull", "\(registry.address)/team/demo:v1", "--to", pulled.path, "--insecure",
        ])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("every digest verified"))
        let exported = repository.repo.directory.appending("exported")
        #expect(try repository.modelgate(["artifact", "export", "--to", exported.path]).status == 0)
        for file in ["model.bin", "weights/a.txt", "weights/layer/b.txt", "manifest.json"] {
            #expect(
                try Data(contentsOf: pulled.appendingPathComponent(file))
                    == Data(contentsOf: exported.appendingPathComponent(file)), "\(file)")
        }
        // By digest too, and skopeo copies our layout to the registry with the same digest.
        let byDigest = try repository.modelgate(
            [
                "pull", "\(registry.address)/team/demo@\(packaged)", "--to",
                repository.repo.directory.appending("d").path, "--insecure",
            ])
        #expect(byDigest.status == 0, "\(byDigest.stderr)")
        let copy = try ExternalTool.run(
            "skopeo",
            [
                "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.path):v1",
                "docker://\(registry.address)/copied/demo:v1",
            ],
            in: repository.url)
        #expect(copy.status == 0, "\(copy.stderr)")
        let copied = try JSONSerialization.jsonObject(
            with: Data(try inspect("\(registry.address)/copied/demo:v1", in: repository.url).stdout.utf8))
        #expect((copied as? [String: Any])?["Digest"] as? String == packaged)
    }

    /// Images copied with gzip or zstd compression (what `docker push`, podman and most
    /// registries' tooling produce) pull to the same files.
    @Test func compressedLayersPullToTheSameFiles() throws {
        let registry = try TestRegistry()
        let repository = try ArtifactRepository(modelBytes: 2_000_000)
        #expect(try repository.modelgate(["run"]).status == 0)
        #expect(
            try repository.modelgate(["push", "\(registry.address)/team/demo:v1", "--insecure"]).status == 0)
        // Through an OCI layout, which skopeo compresses (a copy between repositories of one
        // registry would reuse the uncompressed blobs), then to the registry as it is.
        func copy(to name: String, format: String) throws -> ProcessResult {
            let layout = repository.repo.directory.appending("layout-\(format)")
            let compressed = try ExternalTool.run(
                "skopeo",
                [
                    "copy", "--src-tls-verify=false", "--dest-compress-format", format,
                    "docker://\(registry.address)/team/demo:v1", "oci:\(layout.path):v1",
                ],
                in: repository.url)
            guard compressed.status == 0 else { return compressed }
            return try ExternalTool.run(
                "skopeo",
                [
                    "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.path):v1",
                    "docker://\(registry.address)/\(name):v1",
                ],
                in: repository.url)
        }
        let gzipped = try copy(to: "team/gzipped", format: "gzip")
        #expect(gzipped.status == 0, "\(gzipped.stderr)")
        let raw = try ExternalTool.run(
            "skopeo",
            ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.address)/team/gzipped:v1"],
            in: repository.url)
        #expect(raw.stdout.contains("application/vnd.oci.image.layer.v1.tar+gzip"), "\(raw.stdout)")

        let plain = repository.repo.directory.appending("plain")
        let fromGzip = repository.repo.directory.appending("from-gzip")
        for (reference, folder) in [("team/demo", plain), ("team/gzipped", fromGzip)] {
            let pull = try repository.modelgate(
                ["pull", "\(registry.address)/\(reference):v1", "--to", folder.path, "--insecure"])
            #expect(pull.status == 0, "\(reference): \(pull.stderr)")
        }
        for file in ["model.bin", "weights/a.txt", "weights/layer/b.txt", "manifest.json"] {
            #expect(
                try Data(contentsOf: fromGzip.appendingPathComponent(file))
                    == Data(contentsOf: plain.appendingPathComponent(file)), "\(file)")
        }

        let zstd = try copy(to: "team/zstd", format: "zstd")
        #expect(zstd.status == 0, "\(zstd.stderr)")
        let fromZstd = repository.repo.directory.appending("from-zstd")
        let pulled = try repository.modelgate(
            ["pull", "\(registry.address)/team/zstd:v1", "--to", fromZstd.path, "--insecure"])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        for file in ["model.bin", "weights/a.txt", "weights/layer/b.txt", "manifest.json"] {
            #expect(
                try Data(contentsOf: fromZstd.appendingPathComponent(file))
                    == Data(contentsOf: plain.appendingPathComponent(file)), "\(file)")
        }
    }

    @Test func aRegistryThatClosesMidUploadLeavesNoManifest() throws {
        let registry = try TestRegistry()
        let proxy = try CuttingProxy(upstream: registry.port, cutAfter: 400_000)
        let repository = try ArtifactRepository(modelBytes: 4_000_000)
        #expect(try repository.modelgate(["run"]).status == 0)
        let push = try repository.modelgate(["push", "127.0.0.1:\(proxy.port)/team/demo:v1", "--insecure"])
        #expect(push.status == 3)
        #expect(
            push.stderr.contains("closed the connection") || push.stderr.contains("request to 127.0.0.1"),
            "\(push.stderr)")
        #expect(push.stderr.contains("nothing was tagged"))
        let inspected = try inspect("\(registry.address)/team/demo:v1", in: repository.url)
        #expect(inspected.status != 0)
        #expect(
            inspected.stderr.contains("manifest unknown") || inspected.stderr.contains("not found"),
            "\(inspected.stderr)")
        // Straight to the registry, the same push then succeeds.
        #expect(
            try repository.modelgate(["push", "\(registry.address)/team/demo:v1", "--insecure"]).status == 0)
    }

    @Test func credentialsFromTheEnvironmentAndTheDockerConfig() throws {
        let registry = try TestRegistry(user: "ada", password: "s3cret")
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let target = "\(registry.address)/team/demo:v1"
        let empty = repository.repo.directory.appending("no-docker")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)

        let anonymous = try repository.modelgate(
            ["push", target, "--insecure"], environment: ["DOCKER_CONFIG": empty.path])
        #expect(anonymous.status == 3)
        #expect(anonymous.stderr.contains("requires credentials (HTTP 401)"), "\(anonymous.stderr)")

        let wrong = try repository.modelgate(
            ["push", target, "--insecure"],
            environment: [
                "MODELGATE_REGISTRY_USER": "ada", "MODELGATE_REGISTRY_PASSWORD": "wrong",
                "DOCKER_CONFIG": empty.path,
            ])
        #expect(wrong.status == 3)
        #expect(wrong.stderr.contains("rejected the credentials of 'ada' (HTTP 401)"), "\(wrong.stderr)")
        #expect(try inspect(target, in: repository.url, creds: "ada:s3cret").status != 0)

        let right = try repository.modelgate(
            ["push", target, "--insecure"],
            environment: [
                "MODELGATE_REGISTRY_USER": "ada", "MODELGATE_REGISTRY_PASSWORD": "s3cret",
                "DOCKER_CONFIG": empty.path,
            ])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(try inspect(target, in: repository.url, creds: "ada:s3cret").status == 0)

        let docker = repository.repo.directory.appending("docker")
        try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
        let auth = Data("ada:s3cret".utf8).base64EncodedString()
        try Data(#"{"auths": {"http://\#(registry.address)": {"auth": "\#(auth)"}}}"#.utf8).write(
            to: docker.appendingPathComponent("config.json"))
        let pulled = repository.repo.directory.appending("pulled")
        let pull = try repository.modelgate(
            ["pull", target, "--to", pulled.path, "--insecure"], environment: ["DOCKER_CONFIG": docker.path])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(FileManager.default.fileExists(atPath: pulled.appendingPathComponent("model.bin").path))
    }

    /// `docker login` with a credential store leaves only the helper's name in config.json.
    @Test func credentialsFromADockerCredentialHelper() throws {
        let registry = try TestRegistry(user: "ada", password: "s3cret")
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let target = "\(registry.address)/team/demo:v2"
        let docker = repository.repo.directory.appending("docker")
        try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
        let helper = docker.appendingPathComponent("docker-credential-teststore")
        try ExecutableFile.write(
            """
            #!/bin/sh
            read -r server
            if [ "$1" = get ] && [ "$server" = "\(registry.address)" ]; then
                printf '{"ServerURL": "%s", "Username": "ada", "Secret": "s3cret"}\n' "$server"
            else
                echo "credentials not found in native keychain"; exit 1
            fi
            """,
            to: helper)
        try Data(#"{"auths": {"\#(registry.address)": {}}, "credsStore": "teststore"}"#.utf8).write(
            to: docker.appendingPathComponent("config.json"))
        let environment = [
            "DOCKER_CONFIG": docker.path,
            "PATH": docker.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]
        let push = try repository.modelgate(["push", target, "--insecure"], environment: environment)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(try inspect(target, in: repository.url, creds: "ada:s3cret").status == 0)

        // The store is named but its program is gone: what is missing, where, and what to do.
        try FileManager.default.removeItem(at: helper)
        let missing = try repository.modelgate(["push", target, "--insecure"], environment: environment)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("docker-credential-teststore is not on PATH"), "\(missing.stderr)")
        #expect(missing.stderr.contains(docker.appendingPathComponent("config.json").path))
    }

    @Test func clearErrorsForRefusedConnectionsAndMissingImages() throws {
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let port = try freeLoopbackPort()
        let refused = try repository.modelgate(["push", "127.0.0.1:\(port)/team/demo:v1", "--insecure"])
        #expect(refused.status == 3)
        #expect(
            refused.stderr.contains("cannot connect to the registry 127.0.0.1:\(port): connection refused"),
            "\(refused.stderr)")

        let registry = try TestRegistry()
        let missing = try repository.modelgate(
            [
                "pull", "\(registry.address)/team/nothing:v9", "--to",
                repository.repo.directory.appending("x").path, "--insecure",
            ])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("team/nothing:v9 does not exist (HTTP 404)"), "\(missing.stderr)")

        let bad = try repository.modelgate(["push", "demo:v1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("is not an image reference"))
        let tls = try repository.modelgate(["push", "\(registry.address)/team/demo:v1"])
        #expect(tls.status == 3)
        #expect(tls.stderr.contains("--insecure"), "\(tls.stderr)")
    }

    @Test func aBlobCorruptedInTheRegistryIsADigestMismatchAndWritesNothing() throws {
        let registry = try TestRegistry()
        let repository = try ArtifactRepository(modelBytes: 100_000)
        #expect(try repository.modelgate(["run"]).status == 0)
        let layout = repository.repo.directory.appending("oci")
        #expect(try repository.modelgate(["package", "--oci", layout.path]).status == 0)
        #expect(
            try repository.modelgate(["push", "\(registry.address)/team/demo:v1", "--insecure"]).status == 0)
        // The biggest blob is the layer; flip a byte of the registry's own copy on disk.
        let blobs = try FileManager.default.contentsOfDirectory(
            atPath: layout.appendingPathComponent("blobs/sha256").path)
        let layer = try #require(
            blobs.max { a, b in
                let size = { (name: String) in
                    (try? FileManager.default.attributesOfItem(
                        atPath: layout.appendingPathComponent("blobs/sha256/\(name)").path)[.size]
                        as? Int) ?? 0
                }
                return size(a) < size(b)
            })
        let stored = registry.directory.appending(
            "storage/docker/registry/v2/blobs/sha256/\(layer.prefix(2))/\(layer)/data")
        var bytes = try Data(contentsOf: stored)
        bytes[2000] ^= 0xFF
        try bytes.write(to: stored)
        let target = repository.repo.directory.appending("pulled")
        let pull = try repository.modelgate([
            "pull", "\(registry.address)/team/demo:v1", "--to", target.path, "--insecure",
        ])
        #expect(pull.status == 3)
        #expect(pull.stderr.contains("digest mismatch: blob sha256:\(layer)"), "\(pull.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("model.bin").path))
    }

    /// `push --image-version` names the image's version, as `package` does; `--version` stays the
    /// tool's own flag, and `push --version X` is a usage error naming the new option (before, it
    /// collided with the tool's flag: a parse error printed the version and exited 0).
    @Test func pushTakesTheImageVersionAndLeavesVersionToTheTool() throws {
        let registry = try TestRegistry()
        let repository = try ArtifactRepository()
        #expect(try repository.modelgate(["run"]).status == 0)
        let target = "\(registry.address)/team/versioned:v1"
        let push = try repository.modelgate(["push", "--image-version", "2.3.4", target, "--insecure"])
        #expect(push.status == 0, "\(push.stderr)")
        let inspected = try inspect(target, in: repository.url)
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any]
        #expect((info?["Labels"] as? [String: String])?["org.opencontainers.image.version"] == "2.3.4")

        let untouched = "\(registry.address)/team/old-option:v1"
        let old = try repository.modelgate(["push", "--version", "2.3.4", untouched, "--insecure"])
        #expect(old.status == 64)
        #expect(old.stderr.contains("give the image's version with --image-version VERSION"), "\(old.stderr)")
        #expect(try inspect(untouched, in: repository.url).status != 0)  // nothing was pushed
        let version = try repository.modelgate(["--version"])
        #expect(version.status == 0)
        #expect(version.output.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil)
        // Alone, `push --version` prints it too, as every command does.
        let pushVersion = try repository.modelgate(["push", "--version"])
        #expect(pushVersion.status == 0 && pushVersion.output == version.output, "\(pushVersion.stderr)")
        let help = try repository.modelgate(["push", "--help"])
        #expect(help.stdout.contains("--image-version <image-version>"))
        #expect(!help.stdout.contains("--version <"))
    }

    @Test func chunkedUploadsGiveTheSameImage() throws {
        let registry = try TestRegistry()
        let repository = try ArtifactRepository(modelBytes: 2_500_000)
        #expect(try repository.modelgate(["run"]).status == 0)
        let packaged = try repository.modelgate([
            "package", "--oci", repository.repo.directory.appending("oci").path,
        ]).output
        let push = try repository.modelgate([
            "push", "\(registry.address)/team/chunked:v1", "--insecure", "--chunk-size", "1",
        ])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.output.hasSuffix("@\(packaged)"))
        let pulled = repository.repo.directory.appending("pulled")
        #expect(
            try repository.modelgate([
                "pull", "\(registry.address)/team/chunked:v1", "--to", pulled.path, "--insecure",
            ]).status == 0)
        #expect(try Data(contentsOf: pulled.appendingPathComponent("model.bin")).count == 2_500_000 + 6)
        #expect(
            try repository.modelgate(["push", "\(registry.address)/team/x:v1", "--chunk-size", "0"]).status
                == 64)
    }
}
