import ArgumentParser
import Diagnostics
import Serving

/// `modelgate-serve`: serve a built-in model over HTTP (Open Inference Protocol v2, KServe v1,
/// Prometheus metrics) until SIGTERM or SIGINT.
@main
struct ModelgateServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelgate-serve",
        abstract: "Serve a built-in model over HTTP: Open Inference Protocol v2, KServe v1 and /metrics.",
        discussion: """
            MODEL DIR is an artifact directory ('modelgate artifact export', or /model in an image) \
            or a model.json. Exit codes: 0 after a graceful shutdown (SIGTERM/SIGINT), 2 a model \
            or option that cannot be served, 3 the address cannot be bound.
            """,
        version: Tool.version)

    @Option(name: .customLong("model"), help: "The artifact directory or model file.") var location: String
    @Option(help: "The interface to bind.") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one).") var port = 8080
    @Option(help: "The model name in URLs (default: the artifact's name).") var name: String?
    @Option(help: "The model file inside the directory, when it holds several.") var file: String?
    @Option(help: "The commit to report in metadata and metrics.") var commit: String?
    @Option(
        name: .customLong("model-version"), help: "The version to report (default: short commit or digest).")
    var modelVersion: String?
    @Option(name: .customLong("max-body"), help: "The largest request body, in bytes.") var maxBody = 16 << 20
    @Option(name: .customLong("max-rows"), help: "The most rows in one request.") var maxRows = 100_000
    @Option(name: .customLong("idle-timeout"), help: "Seconds a silent connection is kept open.")
    var idleTimeout = 30

    func run() async throws {
        do {
            guard (0...65535).contains(port), maxBody > 0, maxRows > 0, idleTimeout > 0 else {
                throw ServingError(
                    .badOption, "--port must be 0–65535 and --max-body, --max-rows, --idle-timeout positive")
            }
            let model = try ServedModel.load(
                .init(location: location, file: file, name: name, commit: commit, version: modelVersion))
            let options = ServerOptions(
                host: host, port: port, maxBody: maxBody, maxRows: maxRows, idleTimeout: idleTimeout)
            do {
                try await InferenceServer(model: model, options: options).run()
            } catch {
                StandardError.emit("error: cannot serve on \(host):\(port): \(error)\n")
                throw ExitCode(ExitStatus.failure.rawValue)
            }
        } catch let error as UserFacingError {
            StandardError.emit(error.renderedMessage + "\n")
            throw ExitCode(error.exitStatus.rawValue)
        }
    }
}
