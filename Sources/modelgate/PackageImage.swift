import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Pipeline

/// `modelgate package [REV] --oci DIR`: the artifact as an OCI image layout.
struct PackageImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Write a commit's artifact as an OCI image layout (files under /model).",
        discussion: Help.discussion(
            """
            The image is deterministic: packaging the same artifact twice gives the same digest.
            Standard tools accept it: 'skopeo inspect oci:DIR', 'skopeo copy oci:DIR docker://…',
            'umoci unpack --image DIR:REF'. Prints the manifest digest.

            With --serve the image runs: a layer under the model holds modelgate-serve (found
            beside modelgate, else on PATH), exactly the shared libraries its loader resolves and a
            non-root user (65532, nonroot); the entrypoint serves /model on 0.0.0.0:8080.
            'docker run -p 8080:8080 IMAGE' or 'podman run' start it. The same modelgate-serve
            gives the same digest.

            """))

    @Argument(help: "The commit (or artifact digest sha256:…).") var rev = "HEAD"
    @Option(help: "The OCI layout directory to write (created; other images in it are kept).") var oci: String
    @Option(
        name: .customLong("image-version"),
        help:
            "org.opencontainers.image.version (default: a release tag on the commit, else the short commit id)."
    )
    var version: String?
    @Option(help: "The name index.json lists the image under (default: the version).") var refName: String?
    @Flag(help: "Make the image runnable: modelgate-serve and its libraries, serving /model on port 8080.")
    var serve = false
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let labels = try ImageLabels.make(for: rev, in: repository, version: version, referenceName: refName)
        let directory = URL(fileURLWithPath: oci, relativeTo: .currentDirectory()).standardizedFileURL
        let serving = try serve ? ServingRuntime.collect(executable: ServingRuntime.locateServer()) : nil
        let image = try ImagePackager(store: ArtifactStore(repository: repository))
            .package(labels.digest, into: directory, labels: labels.labels, serving: serving)
        if json {
            let summary: [String: String] = [
                "digest": image.digest.description, "layout": directory.path,
                "artifact": labels.digest.description,
                "reference": labels.labels.referenceName ?? "",
            ]
            try Terminal.printJSON(summary)
        } else {
            print(image.digest.description)
        }
    }
}

/// The annotations `package` and `push` put on an image of `rev`.
enum ImageLabels {
    static func make(
        for rev: String, in repository: Repository, version: String?, referenceName: String?
    ) throws -> (digest: Digest, labels: ImagePackager.Labels) {
        let located = try ArtifactLocator(repository: repository).locate(rev)
        var resolvedVersion = version
        var releases: [Artifacts.Release] = []
        if let commit = located.commit {
            releases = try ReleaseBook(repository: repository).releases().filter { $0.commit == commit.hex }
        }
        if resolvedVersion == nil, let commit = located.commit {
            resolvedVersion =
                releases.first(where: { $0.version != nil })?.version ?? releases.first?.tag ?? commit.short
        }
        let source = try repository.configString("remote.origin.url").flatMap { $0.isEmpty ? nil : $0 }
        var labels = ImagePackager.Labels(
            revision: located.commit?.hex, source: source, version: resolvedVersion,
            referenceName: ImagePackager.referenceName(referenceName ?? resolvedVersion ?? "latest"))
        // The image carries the commit's model card (`/model/README.md`), for its newest release.
        if let commit = located.commit, let record = located.record {
            let release = releases.first(where: { $0.version != nil }) ?? releases.first
            let signer = try TrustedVerdicts.policy(in: repository).flatMap { _, signers in
                try? TrustedVerdicts(repository: repository, signers: signers).voucher(for: commit)
            }
            let card = ModelCard(
                model: try ArtifactStore(repository: repository).manifest(located.digest).name,
                release: release.map { (release: Artifacts.Release) -> ModelCard.Release in
                    .init(
                        tag: release.tag, version: release.version, environment: release.environment,
                        date: release.date)
                }, commit: commit, record: record, signer: signer,
                authored: ModelCard.authoredText(in: repository, commit: commit))
            labels.modelCard = Data(try card.render().utf8)
        }
        return (located.digest, labels)
    }
}
