import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit

/// `modelgate push [REV] REGISTRY/REPO:TAG`: the artifact as an image in an OCI registry.
struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Package a commit's artifact and push it to an OCI registry.",
        discussion: Help.discussion(
            """
            Blobs the registry already has are skipped (or mounted from another repository this
            store pushed them to); the manifest goes last, so a failed push never leaves the tag
            pointing at missing blobs. Credentials: MODELGATE_REGISTRY_USER and
            MODELGATE_REGISTRY_PASSWORD, else what 'docker login' left in $DOCKER_CONFIG/config.json
            (default ~/.docker/config.json): the registry's credential helper (credHelpers, then
            credsStore: docker-credential-NAME on PATH) or its 'auths' entry. Prints the pushed
            reference with its digest.

            """))

    @Argument(help: "[REV] REGISTRY/REPOSITORY:TAG (REV defaults to HEAD).") var arguments: [String]
    @Flag(help: "Use plain HTTP (for a registry on this machine).") var insecure = false
    @Option(
        name: .customLong("image-version"),
        help:
            "org.opencontainers.image.version (default: a release tag on the commit, else the short commit id)."
    )
    var version: String?
    /// `--version` is the tool's own flag, which an image-version option of that name shadowed.
    /// It is taken here as a flag, so that alone it prints the version as on every command, and
    /// with arguments it is a usage error naming `--image-version` (left to ArgumentParser, it
    /// would print the version and exit 0 without pushing).
    @Flag(name: .customLong("version"), help: .hidden) var versionRequested = false
    @Option(
        help:
            "Upload blobs larger than this many MiB in PATCH chunks of this size (default: one PUT per blob)."
    )
    var chunkSize: Int?
    @Flag(
        help: "Push the runnable image ('modelgate package --serve'): the server, its libraries, the model.")
    var serve = false
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if versionRequested {
            guard arguments.isEmpty else {
                throw ValidationError(
                    "--version prints modelgate's version; give the image's version with --image-version VERSION"
                )
            }
            throw CleanExit.message(Tool.version)
        }
        if let chunkSize, chunkSize < 1 {
            throw ValidationError("--chunk-size is in MiB and must be at least 1")
        }
        guard (1...2).contains(arguments.count) else {
            throw ValidationError("give [REV] REGISTRY/REPOSITORY:TAG")
        }
    }

    func run() async throws {
        let rev = arguments.count == 2 ? arguments[0] : "HEAD"
        let reference = try RegistryReference(parsing: arguments.last!)
        let (digest, labels) = try {
            let repository = try Repository(discoveringFrom: .currentDirectory())
            let made = try ImageLabels.make(
                for: rev, in: repository, version: version, referenceName: reference.tag)
            return (made.digest, made.labels)
        }()
        let store = try ArtifactStore(repository: Repository(discoveringFrom: .currentDirectory()))
        let credentials = try RegistryCredentials.lookup(registry: reference.registry)
        let result = try await Publisher(store: store).push(
            digest, labels: labels, to: reference, insecure: insecure, credentials: credentials,
            chunkSize: chunkSize.map { $0 << 20 },
            serving: serve ? ServingRuntime.collect(executable: ServingRuntime.locateServer()) : nil)
        if json {
            try Terminal.printJSON(result)
        } else {
            Terminal.printError(
                "pushed \(result.uploaded.count) blob(s) (\(result.bytes) bytes), \(result.existing.count) already there, \(result.mounted.count) mounted"
            )
            print(result.reference)
        }
    }
}

/// `modelgate pull REGISTRY/REPO:TAG --to DIR`: the model files of an image, verified.
struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download an image's model files (verifying every digest) into a directory.",
        discussion: Help.discussion(
            """
            Credentials come from the same places as for 'modelgate push': MODELGATE_REGISTRY_USER
            and MODELGATE_REGISTRY_PASSWORD, else the registry's credential helper or 'auths' entry
            in $DOCKER_CONFIG/config.json (default ~/.docker/config.json).

            Layers may be plain tar or compressed with gzip or zstd (as copies made by other tools
            often are); a compressed layer must inflate to the digest the image config lists for it.
            Only the files the image's model/manifest.json lists are written, each checked against
            its size and SHA-256; an image without that manifest is refused. Links, devices,
            names starting with '.' (such as .git) and paths leaving the directory are refused,
            and nothing is ever written through a link already in the directory. Files are written
            0644, folders 0755.

            All or nothing: the files are unpacked into a hidden .modelgate-pull-* folder on the
            same file system (removed at the end, or by the next pull after a crash) and moved into
            place only once all are checked. A new directory appears in one rename; in an existing
            one, a pull that would overwrite a file is refused before anything moves, unless
            --overwrite is given (other files in the directory are left alone).

            A malformed or hostile image, or one past the limits, is exit 3; a directory in the way
            (a file to overwrite, a link inside it) is exit 2. Either way the directory is left as
            it was.

            Credentials go only to the registry itself (never to a host it redirects to, never
            over plain HTTP off this machine), and a blob stops downloading as soon as it outgrows
            the size the manifest declares.
            """))

    @Argument(help: "REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:….") var reference: String
    @Option(help: "The directory to write the files into (created if needed).") var to: String
    @Flag(help: "Use plain HTTP (for a registry on this machine).") var insecure = false
    @Flag(help: "Replace files of the image that already exist in the directory (never links or folders).")
    var overwrite = false
    @Option(
        help: ArgumentHelp(
            "The most bytes a layer may inflate to and the pull may write (K, M, G, T suffixes).",
            valueName: "size"))
    var maxBytes = "32G"
    @Option(help: "The most entries (files, folders) the image's layers may hold in all.")
    var maxEntries = 100_000
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard PullOptions.parse(size: maxBytes) != nil else {
            throw ValidationError("--max-bytes takes a size such as 500M, 32G or 1T")
        }
        guard maxEntries > 0 else { throw ValidationError("--max-entries must be at least 1") }
    }

    func run() async throws {
        let parsed = try RegistryReference(parsing: reference)
        let directory = URL(fileURLWithPath: to, relativeTo: .currentDirectory()).standardizedFileURL
        let options = PullOptions(
            maxBytes: PullOptions.parse(size: maxBytes) ?? PullOptions.defaults.maxBytes,
            maxEntries: maxEntries, overwrite: overwrite)
        let result = try await Publisher(store: ArtifactStore(root: directory)).pull(
            parsed, into: directory, insecure: insecure,
            credentials: try RegistryCredentials.lookup(registry: parsed.registry), options: options)
        if json {
            try Terminal.printJSON(result)
        } else {
            Terminal.printError(
                "pulled \(parsed) (\(result.digest)), \(result.bytes) bytes, every digest verified")
            for file in result.files { print(directory.appendingPathComponent(file).path) }
        }
    }
}
