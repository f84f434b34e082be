import Foundation
import TestSupport
import Testing

/// `modelgate deploy k8s`: manifests that kubernetes-validate accepts for the Kubernetes versions
/// teams run, pinned to the `--serve` image's digest; bad input refused with nothing written.
@Suite struct DeployKubernetesTests {
    /// Kubernetes versions whose schemas kubernetes-validate bundles (offline): the oldest still
    /// in providers' extended support, a middle one, and the newest it knows.
    static let kubernetesVersions = ["1.31.0", "1.34.0", "1.37.0"]

    /// `.build-tools/k8s/bin/NAME`, installed by `scripts/install-test-tools.sh k8s` (`make deps`).
    static func tool(_ name: String) throws -> String {
        var folder = try ModelgateBinary.url.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent(".build-tools/k8s/bin/\(name)")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            folder = folder.deletingLastPathComponent()
        }
        throw TestFailure("kubernetes-validate is not installed; run 'scripts/install-test-tools.sh k8s'")
    }

    /// A YAML file read with PyYAML (the one kubernetes-validate uses) and handed back as JSON.
    static func load(_ file: URL) throws -> [String: Any] {
        let read = try ProcessRunner.run(
            try tool("python"),
            [
                "-c",
                "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
                file.path,
            ],
            in: file.deletingLastPathComponent())
        guard read.status == 0 else { throw TestFailure("cannot read \(file.path): \(read.stderr)") }
        let documents = try #require(
            try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [[String: Any]])
        #expect(documents.count == 1)
        return try #require(documents.first)
    }

    static func validate(_ files: [URL], in directory: URL) throws {
        for version in kubernetesVersions {
            let result = try ProcessRunner.run(
                try tool("kubernetes-validate"), ["--strict", "-k", version] + files.map(\.path),
                in: directory)
            #expect(result.status == 0, "kubernetes \(version): \(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("INFO"), "kubernetes \(version): \(result.stdout)")
        }
    }

    @Test func theDeploymentAndServicePassKubernetesValidate() throws {
        let repository = try ServingRepository()
        let (digest, _) = try repository.packageServing("oci")
        let out = repository.repo.directory.appending("k8s")
        let result = try repository.modelgate([
            "deploy", "k8s", "--env", "production", "--registry", "ghcr.io/team/housing", "--out", out.path,
            "--service-monitor", "--replicas", "3", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["image"] as? String == "ghcr.io/team/housing@\(digest)")
        #expect(summary["name"] as? String == "housing-production")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["deployment.yaml", "service.yaml", "servicemonitor.yaml"])
        try Self.validate(
            [out.appendingPathComponent("deployment.yaml"), out.appendingPathComponent("service.yaml")],
            in: out)

        let commit = try repository.repo.git(["rev-parse", "HEAD"])
        let deployment = try Self.load(out.appendingPathComponent("deployment.yaml"))
        let labels = (deployment["metadata"] as? [String: Any])?["labels"] as? [String: String]
        #expect(labels?["modelgate.dev/commit"] == commit)
        #expect(labels?["modelgate.dev/env"] == "production")
        #expect(labels?["modelgate.dev/model"] == "housing")
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 3)
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        #expect(container["image"] as? String == "ghcr.io/team/housing@\(digest)")
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["runAsUser"] as? Int == 65532)
        #expect(security["runAsNonRoot"] as? Bool == true)
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect(((container["resources"] as? [String: Any])?["requests"] as? [String: Any])?["memory"] != nil)

        let service = try Self.load(out.appendingPathComponent("service.yaml"))
        let annotations = (service["metadata"] as? [String: Any])?["annotations"] as? [String: String]
        #expect(annotations?["prometheus.io/scrape"] == "true")
        #expect(annotations?["prometheus.io/path"] == "/metrics")

        // A CRD has no schema offline: checked here by structure.
        let monitor = try Self.load(out.appendingPathComponent("servicemonitor.yaml"))
        #expect(monitor["apiVersion"] as? String == "monitoring.coreos.com/v1")
        #expect(monitor["kind"] as? String == "ServiceMonitor")
        let monitorSpec = try #require(monitor["spec"] as? [String: Any])
        let selected = (monitorSpec["selector"] as? [String: Any])?["matchLabels"] as? [String: String]
        let serviceSelector = (service["spec"] as? [String: Any])?["selector"] as? [String: String]
        #expect(selected == serviceSelector)
        let endpoint = (monitorSpec["endpoints"] as? [[String: Any]])?.first
        #expect(endpoint?["port"] as? String == "http")
        #expect(endpoint?["path"] as? String == "/metrics")

        // Run again over its own files: replaced, still valid.
        let again = try repository.modelgate([
            "deploy", "k8s", "--env", "production", "--registry", "ghcr.io/team/housing", "--out", out.path,
        ])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// `push --serve` sends the image `deploy k8s` names, and the registry serves it by digest.
    @Test func pushServeSendsTheImageTheManifestsName() throws {
        let repository = try ServingRepository()
        let registry = try TestRegistry()
        let push = try repository.modelgate([
            "push", "--serve", "\(registry.address)/team/housing:v1", "--insecure", "--json",
        ])
        #expect(push.status == 0, "\(push.stderr)")
        let pushed = try #require(
            try JSONSerialization.jsonObject(with: Data(push.stdout.utf8)) as? [String: Any])
        let digest = try #require(pushed["digest"] as? String)
        #expect(try repository.packageServing("oci").digest == digest)
        let out = repository.repo.directory.appending("k8s")
        let deploy = try repository.modelgate([
            "deploy", "k8s", "--env", "production", "--registry", "\(registry.address)/team/housing", "--out",
            out.path,
            "--json",
        ])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(deploy.stdout.utf8)) as? [String: Any])
        let image = try #require(summary["image"] as? String)
        #expect(image == "\(registry.address)/team/housing@\(digest)")
        let inspect = try ExternalTool.run(
            "skopeo", ["inspect", "--tls-verify=false", "docker://\(image)"], in: repository.url)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        #expect(info?["Digest"] as? String == digest)
    }

    @Test func kserveWritesAnInferenceService() throws {
        let repository = try ServingRepository()
        try repository.modelgate(["release", "housing@v1.0.0", "--env", "staging"])
        let out = repository.repo.directory.appending("isvc")
        let result = try repository.modelgate([
            "deploy", "k8s", "housing@v1.0.0", "--env", "staging", "--registry",
            "registry.example.com:5000/ml/housing",
            "--out", out.path, "--kserve", "--port", "9000",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["inferenceservice.yaml"])
        // No offline schema for the CRD: its structure is checked here.
        let service = try Self.load(out.appendingPathComponent("inferenceservice.yaml"))
        #expect(service["apiVersion"] as? String == "serving.kserve.io/v1beta1")
        #expect(service["kind"] as? String == "InferenceService")
        #expect((service["metadata"] as? [String: Any])?["name"] as? String == "housing-staging")
        let predictor = try #require((service["spec"] as? [String: Any])?["predictor"] as? [String: Any])
        let container = try #require((predictor["containers"] as? [[String: Any]])?.first)
        #expect(container["name"] as? String == "kserve-container")
        #expect(
            (container["image"] as? String)?.hasPrefix("registry.example.com:5000/ml/housing@sha256:") == true
        )
        #expect((container["command"] as? [String])?.suffix(2) == ["--port", "9000"])
        #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 9000)
        #expect((container["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true)
        let labels = predictor["labels"] as? [String: String]
        #expect(labels?["app.kubernetes.io/version"] == "v1.0.0")
    }

    /// Each bad input: exit 2, the message, and no folder written.
    @Test func badInputIsRefusedWithNothingWritten() throws {
        let repository = try ServingRepository()
        try repository.modelgate(["release", "housing@v1.0.0"])
        // A newer commit whose gate fails, and one never evaluated.
        try repository.repo.commit(
            files: ["data/test.csv": "a,b,y\n1,1,50\n2,2,-40\n3,1,90\n"], message: "bad test data")
        #expect(try repository.modelgate(["run"]).status == 1)
        let failing = try repository.repo.git(["rev-parse", "HEAD"])
        try repository.repo.commit(
            files: ["data/train.csv": BuiltinStageTests.housingCSV(rows: 200, seed: 9)],
            message: "unevaluated")
        let out = repository.repo.directory.appending("k8s")
        let cases: [([String], String)] = [
            (["--env", "Production"], "'Production' is not a valid environment name for Kubernetes"),
            (["--env", "prod\nkind: Secret"], "is not a valid environment name for Kubernetes"),
            (["--registry", "ghcr.io/team/housing:v1"], "carries a tag, digest or scheme"),
            (["--registry", "housing"], "'housing' is not a registry repository"),
            (["--registry", "ghcr.io/Team/housing"], "is not a registry repository"),
            ([failing], "did not pass its gates"),
            (["HEAD"], "has not been evaluated"),
            (["no-such-rev"], "no-such-rev"),
        ]
        for (arguments, message) in cases {
            var full = [
                "deploy", "k8s", "--env", "production", "--registry", "ghcr.io/team/housing", "--out",
                out.path,
            ]
            for (index, argument) in arguments.enumerated() where argument.hasPrefix("--") {
                if let at = full.firstIndex(of: argument) { full[at + 1] = arguments[index + 1] }
            }
            if let target = arguments.first, !target.hasPrefix("--") { full.insert(target, at: 2) }
            let result = try repository.modelgate(full)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(arguments) wrote \(out.path)")
        }
        // The release tag still names the blessed commit.
        let released = try repository.modelgate([
            "deploy", "k8s", "housing@v1.0.0", "--env", "production", "--registry", "ghcr.io/team/housing",
            "--out", out.path,
        ])
        #expect(released.status == 0, "\(released.stderr)")
    }

    /// A file the command did not write is kept (exit 2, nothing else written) unless --force;
    /// a link there is replaced, never written through.
    @Test func foreignFilesAreKeptUnlessForced() throws {
        let repository = try ServingRepository()
        let out = repository.repo.directory.appending("k8s")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let mine = out.appendingPathComponent("service.yaml")
        try Data("# my own service\n".utf8).write(to: mine)
        let outside = repository.repo.directory.appending("outside.yaml")
        try Data("outside\n".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(
            at: out.appendingPathComponent("deployment.yaml"), withDestinationURL: outside)
        let arguments = [
            "deploy", "k8s", "--env", "production", "--registry", "ghcr.io/team/housing", "--out", out.path,
        ]
        let refused = try repository.modelgate(arguments)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("was not written by 'modelgate deploy k8s'"))
        #expect(try String(contentsOf: mine, encoding: .utf8) == "# my own service\n")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == [
                "deployment.yaml", "service.yaml",
            ])

        let forced = try repository.modelgate(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(
            try String(contentsOf: mine, encoding: .utf8).hasPrefix("# Generated by 'modelgate deploy k8s'"))
        #expect(try String(contentsOf: outside, encoding: .utf8) == "outside\n")
        let deployment = out.appendingPathComponent("deployment.yaml")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: deployment.path)) == nil)
        try Self.validate([deployment, mine], in: out)
    }
}
