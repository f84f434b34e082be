import ArgumentParser
import Artifacts
import Diagnostics
import FileSafety
import Foundation
import GitKit
import Kubernetes

/// `modelgate deploy`: what a cluster needs to run a blessed commit's model.
struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Write the manifests that run a blessed commit's serving image.",
        subcommands: [DeployKubernetes.self])
}

/// `modelgate deploy k8s [REV | TAG] --env ENV --registry REG/REPO --out DIR`.
struct DeployKubernetes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Write Kubernetes manifests (Deployment and Service, or a KServe InferenceService).",
        discussion: Help.discussion(
            """
            The image is the commit's runnable image ('modelgate package --serve', or 'push --serve'
            to REGISTRY/REPOSITORY), pinned by the digest this machine's packager computes for it:
            push it with the same modelgate-serve. The pods run as user 65532 on a read-only root
            file system without privileges, are probed on /v2/health/live and /v2/health/ready,
            and carry Prometheus' scrape annotations (prometheus.io/scrape, port, path /metrics).

            Writes deployment.yaml and service.yaml (and servicemonitor.yaml with
            --service-monitor), or inferenceservice.yaml with --kserve, into DIR, each replaced
            whole. A file there that this command did not write is left alone (exit 2) unless
            --force. Exit 2 when REV is not blessed (no passing, current record with a verified
            artifact) or a name is unusable.

            """))

    @Argument(help: "The commit or release tag to deploy.") var target = "HEAD"
    @Option(help: "The environment (a DNS label, e.g. production); part of every object's name.") var env:
        String
    @Option(help: "Where the image is pushed: REGISTRY/REPOSITORY, e.g. ghcr.io/team/housing.")
    var registry: String
    @Option(help: "The folder to write the manifests into (created if needed).") var out: String
    @Flag(help: "Also write a Prometheus Operator ServiceMonitor (monitoring.coreos.com/v1).")
    var serviceMonitor = false
    @Flag(help: "Write a KServe InferenceService (serving.kserve.io/v1beta1) instead of a Deployment.")
    var kserve = false
    @Option(help: "How many pods (with --kserve: the predictor's minReplicas).") var replicas = 2
    @Option(help: "The port the server listens on in the pod.") var port = ServingRuntime.port
    @Flag(help: "Replace files in the folder that this command did not write.") var force = false
    @Flag(help: "Print the image and the files written as JSON.") var json = false

    func validate() throws {
        guard (1...1000).contains(replicas) else { throw ValidationError("--replicas must be 1 to 1000") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        if kserve && serviceMonitor {
            throw ValidationError("--service-monitor goes with a Deployment, not with --kserve")
        }
    }

    func run() throws {
        guard KubernetesManifests.isDNSLabel(env) else { throw KubernetesError.badEnvironment(env) }
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let registryPath = try Self.checkRegistry(registry)
        let book = ReleaseBook(repository: repository)
        let release = try book.release(named: target)
        let commit =
            try release.map { try repository.resolveCommit($0.commit) } ?? repository.resolveCommit(target)
        let assessment = try book.assess(commit)
        guard assessment.isBlessed, assessment.artifact != nil else {
            throw KubernetesError.notDeployable(
                target, reason: assessment.refusal ?? "not blessed", hint: assessment.hint)
        }
        let made = try ImageLabels.make(
            for: commit.hex, in: repository, version: nil, referenceName: nil)
        let digest = try Self.servingImageDigest(made, repository: repository)
        let manifest = try ArtifactStore(repository: repository).manifest(made.digest)
        let manifests = KubernetesManifests(
            workload: .init(
                model: manifest.name, commit: commit.hex, artifact: made.digest.description,
                version: made.labels.version, environment: env, image: "\(registryPath)@\(digest)",
                replicas: replicas, port: port, user: ServingRuntime.userID),
            flavour: kserve ? .kserve : .deployment(serviceMonitor: serviceMonitor))
        let files = try manifests.files()
        let folder = URL(fileURLWithPath: out, relativeTo: .currentDirectory()).standardizedFileURL
        try Self.write(files, into: folder, force: force)
        if json {
            let summary: [String: Any] = [
                "image": "\(registryPath)@\(digest)", "name": manifests.name, "commit": commit.hex,
                "files": files.map { folder.appendingPathComponent($0.name).path },
            ]
            let data = try JSONSerialization.data(
                withJSONObject: summary, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            Terminal.printJSON(data: data)
        } else {
            for file in files { print(folder.appendingPathComponent(file.name).path) }
            Terminal.printError("image \(registryPath)@\(digest)")
        }
    }

    /// `REGISTRY/REPOSITORY` as given, refused when it has a tag or digest or is no reference.
    static func checkRegistry(_ text: String) throws -> String {
        let reference: RegistryReference
        do {
            reference = try RegistryReference(parsing: text)
        } catch let error as ArtifactError {
            throw KubernetesError.badRegistry(
                text, reason: error.summary.components(separatedBy: ": ").dropFirst().joined(separator: ": "))
        }
        guard reference.tag == nil, reference.digest == nil, !text.hasPrefix("docker://") else {
            throw KubernetesError.badRegistry(text, reason: "it carries a tag, digest or scheme")
        }
        return "\(reference.registry)/\(reference.repository)"
    }

    /// The digest of the commit's `--serve` image, packaged into a scratch folder that is then
    /// removed: the deterministic packager gives the digest `push --serve` pushes.
    static func servingImageDigest(
        _ made: (digest: Digest, labels: ImagePackager.Labels), repository: Repository
    ) throws -> Digest {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-deploy-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let serving = try ServingRuntime.collect(executable: ServingRuntime.locateServer())
        var labels = made.labels
        // As 'push' names it: the reference name is not part of the manifest's bytes.
        labels.referenceName = nil
        return try ImagePackager(store: ArtifactStore(repository: repository))
            .package(made.digest, into: scratch, labels: labels, serving: serving).digest
    }

    /// Writes `files` into `folder`, each replaced whole; refuses (before writing any) a name
    /// held by something this command did not write, unless `force` (a folder there is never
    /// replaced).
    static func write(_ files: [KubernetesManifests.File], into folder: URL, force: Bool) throws {
        let directory = try DirectoryHandle(creating: folder)
        for file in files {
            let path = folder.appendingPathComponent(file.name).path
            switch try directory.kind(of: file.name) {
            case .missing: continue
            case .file:
                let existing = try directory.readFile(file.name, limit: 1 << 20) ?? Data()
                if force || existing.starts(with: Data(KubernetesManifests.header.utf8)) { continue }
                throw KubernetesError.notOurs(path: path, found: "a file without its first line")
            case .link(let destination):
                if force { continue }
                throw KubernetesError.notOurs(path: path, found: "a link to \(destination)")
            case .folder: throw KubernetesError.notOurs(path: path, found: "a folder")
            case .other:
                if force { continue }
                throw KubernetesError.notOurs(path: path, found: "a device, FIFO or socket")
            }
        }
        for file in files {
            try directory.replaceFile(file.name, with: Data(file.yaml.utf8), syncing: true)
        }
    }
}
