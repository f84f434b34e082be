import ArgumentParser
import Artifacts
import Diagnostics
import Foundation
import GitKit
import Learning

#if canImport(Glibc)
    import Glibc
#endif

/// `modelgate serve`: find a commit's artifact and hand it to `modelgate-serve`.
///
/// The server is its own executable so that this binary, which every git hook runs, never links
/// the HTTP stack: this command resolves the artifact, exports it into
/// `<git common dir>/modelgate/served/<digest>` and replaces itself (`execv`) with the
/// `modelgate-serve` found beside this executable, else on PATH.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Serve a commit's built-in model over HTTP (Open Inference Protocol v2, KServe v1, /metrics).",
        discussion: Help.discussion(
            """
            TARGET is a rev (default HEAD) whose passing run stored an artifact, or an artifact \
            directory ('modelgate artifact export') or model.json. Runs modelgate-serve, installed \
            beside modelgate by 'make install'. Exit codes: 2 no artifact, or a command stage's \
            model (only built-in models are served); 3 modelgate-serve missing or the address \
            taken; 0 after SIGTERM/SIGINT.
            """))

    @Argument(help: "A rev, an artifact directory or a model file.") var target = "HEAD"
    @Option(help: "The interface to bind.") var host = "127.0.0.1"
    @Option(help: "The port.") var port = 8080
    @Option(help: "The model file inside the artifact, when it holds several.") var file: String?

    func run() throws {
        var arguments = ["--host", host, "--port", String(port)]
        if let file { arguments += ["--file", file] }
        if FileManager.default.fileExists(atPath: target) {
            return try Self.exec(["--model", target] + arguments)
        }
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let located = try ArtifactLocator(repository: repository).locate(target)
        let store = ArtifactStore(repository: repository)
        let directory = store.root.deletingLastPathComponent()
            .appendingPathComponent("served").appendingPathComponent(located.digest.hex)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let manifest = try store.export(located.digest, to: directory)
        let builtin = manifest.files.map(\.path).filter {
            $0.hasSuffix(".json")
                && (try? ModelFile.read(from: directory.appendingPathComponent($0), name: $0)) != nil
        }
        guard !builtin.isEmpty else {
            throw ArtifactError(
                "the artifact of \(located.subject) holds no built-in model (\(manifest.files.map(\.path).joined(separator: ", ")))",
                location: target,
                hint:
                    "modelgate serve serves models of builtin: stages; export a command stage's model with 'modelgate artifact export' and serve it with its own server",
                exitStatus: .badInput)
        }
        if let commit = located.commit { arguments += ["--commit", commit.hex] }
        Terminal.printError("modelgate: serving \(located.digest.short) of \(located.subject)")
        try Self.exec(["--model", directory.path] + arguments)
    }

    /// Replaces this process with `modelgate-serve ARGUMENTS`; returns only by throwing.
    static func exec(_ arguments: [String]) throws {
        // The same executable `package --serve` puts into images.
        let server = try ServingRuntime.locateServer().path
        let argv = (["modelgate-serve"] + arguments).map { strdup($0) } + [nil]
        fflush(nil)  // every C stream: nothing buffered is lost when the image is replaced
        execv(server, argv)
        let reason = String(cString: strerror(errno))
        throw ArtifactError("cannot run \(server): \(reason)", exitStatus: .failure)
    }
}
