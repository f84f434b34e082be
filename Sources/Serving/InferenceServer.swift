import Diagnostics
import Hummingbird
import InferenceProtocol
import Learning
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Limits and the address of a server.
public struct ServerOptions: Sendable {
    /// Interface to bind.
    public var host: String
    /// Port to bind; 0 picks a free one (printed on standard error).
    public var port: Int
    /// The largest request body accepted, in bytes.
    public var maxBody: Int
    /// The most rows in one request.
    public var maxRows: Int
    /// Seconds a connection may stay silent (idle, or in the middle of a request) before it is closed.
    public var idleTimeout: Int

    /// Options; see the properties.
    public init(host: String, port: Int, maxBody: Int, maxRows: Int, idleTimeout: Int) {
        self.host = host
        self.port = port
        self.maxBody = maxBody
        self.maxRows = maxRows
        self.idleTimeout = idleTimeout
    }
}

/// An HTTP/1.1 server answering for one built-in model: the Open Inference Protocol v2, KServe v1,
/// health, and Prometheus metrics.
///
/// Guarantees: every request is answered, each refusal with a 4xx status and `{"error": "…"}`
/// naming the problem (bad JSON, shape, datatype, feature, value; a body over `maxBody`; a batch
/// over `maxRows`; an unknown model, route or method), and the server keeps serving. A
/// connection silent for `idleTimeout` seconds, also in the middle of a body, is closed, so a slow
/// client holds one connection, not the server. On SIGTERM or SIGINT the server stops accepting,
/// lets requests in flight finish, and returns (the process exits 0): Hummingbird's graceful
/// shutdown driven by swift-service-lifecycle's `ServiceGroup`.
public struct InferenceServer: Sendable {
    private let model: ServedModel
    private let options: ServerOptions
    private let metrics: ServingMetrics

    /// A server for `model`.
    public init(model: ServedModel, options: ServerOptions) {
        self.model = model
        self.options = options
        metrics = ServingMetrics(
            model: model,
            drift: DriftMonitor(profile: model.model.featureProfile, features: model.model.features))
    }

    /// Binds, prints `modelgate-serve: serving MODEL on http://HOST:PORT` on standard error, and
    /// serves until SIGTERM or SIGINT.
    public func run() async throws {
        var logger = Logger(label: "modelgate-serve")
        logger.logLevel = .warning
        let name = model.name
        let host = options.host
        let app = Application(
            responder: CallbackResponder { (request: Request, _: BasicRequestContext) in
                await self.respond(to: request)
            },
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.idleTimeout)))),
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "modelgate-serve"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                StandardError.emit("modelgate-serve: serving \(name) on http://\(host):\(port)\n")
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Answers one request; never throws, so every request gets a response the metrics count.
    func respond(to request: Request) async -> Response {
        let start = ContinuousClock.now
        let route = Route.match(request.uri.path, version: model.version)
        let response: Response
        do {
            response = try await answer(request, route: route)
        } catch {
            response = Self.error(error.status, error.message)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        metrics.observe(
            route: route?.pattern ?? Route.unmatched, status: response.status.code, seconds: seconds)
        return response
    }

    private func answer(_ request: Request, route: Route?) async throws(RequestProblem) -> Response {
        guard let route else {
            throw RequestProblem(
                404,
                "no route \(request.method.rawValue) \(request.uri.path); see GET /v2 and /v2/models/\(model.name)"
            )
        }
        let method = request.method == .head ? "GET" : request.method.rawValue
        guard method == route.method else {
            throw RequestProblem(
                405, "\(route.pattern) takes \(route.method), not \(request.method.rawValue)")
        }
        if let name = route.modelName, name != model.name {
            throw RequestProblem(404, "no model '\(name)'; this server serves '\(model.name)'")
        }
        switch route {
        case .serverMetadata:
            return Self.json(
                "{\"name\":\"modelgate-serve\",\"version\":\(Self.quoted(Tool.version)),\"extensions\":[]}")
        case .live: return Self.json("{\"live\":true}")
        case .ready: return Self.json("{\"ready\":true}")
        case .modelReady, .v1Status:
            return Self.json("{\"name\":\(Self.quoted(model.name)),\"ready\":true}")
        case .modelMetadata: return Self.json(metadata())
        case .metrics:
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        case .infer, .v1Predict:
            metrics.inFlight(1)
            defer { metrics.inFlight(-1) }
            let body = try await readBody(request)
            let schema = RequestSchema(features: model.model.features, maxRows: options.maxRows)
            let batch =
                route == .v1Predict(model.name)
                ? try InferenceRequest.decodeV1(body, schema: schema)
                : try InferenceRequest.decodeV2(body, schema: schema)
            let prediction = BatchPrediction(model: model, batch: batch)
            metrics.observe(batch: batch, values: prediction.values)
            return Self.json(
                route == .v1Predict(model.name) ? prediction.v1Body() : prediction.v2Body(id: batch.id))
        }
    }

    /// The whole body, at most `maxBody` bytes (413 beyond, told by Content-Length or counted).
    private func readBody(_ request: Request) async throws(RequestProblem) -> Data {
        let tooLarge = RequestProblem(
            413, "the body is larger than this server's limit of \(options.maxBody) bytes")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxBody {
            throw tooLarge
        }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: options.maxBody)
            return Data(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch {
            throw RequestProblem(400, "the body could not be read")
        }
    }

    /// `GET /v2/models/{name}`: one FP64 input `[-1]` per feature (or one `[-1, F]` of rows), the outputs.
    private func metadata() -> String {
        var json = JSONText()
        json.raw("{\"name\":")
        json.string(model.name)
        json.raw(",\"versions\":[")
        json.string(model.version)
        json.raw("],\"platform\":")
        json.string("modelgate-\(model.model.kind)")
        json.raw(",\"inputs\":[")
        for (index, feature) in model.model.features.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{\"name\":")
            json.string(feature)
            json.raw(",\"datatype\":\"FP64\",\"shape\":[-1]}")
        }
        let predict: String
        switch model.model.kind {
        case LogisticRegressionTrainer.kind:
            predict = model.predictor.classes.allSatisfy({ Double($0)?.isFinite == true }) ? "FP64" : "BYTES"
        case KMeansTrainer.kind: predict = "INT64"
        default: predict = "FP64"
        }
        json.raw("],\"outputs\":[{\"name\":\"predict\",\"datatype\":\"\(predict)\",\"shape\":[-1]}")
        if model.predictor.probabilityCount > 0 {
            json.raw(
                ",{\"name\":\"probabilities\",\"datatype\":\"FP64\",\"shape\":[-1,\(model.predictor.probabilityCount)]}"
            )
        }
        json.raw("],\"parameters\":{\"commit\":")
        json.string(model.commit)
        json.raw(",\"artifact\":")
        json.string(model.artifact)
        json.raw(",\"tensor_input_shape\":[-1,\(model.model.features.count)]")
        if let classes = model.model.classes {
            json.raw(",\"classes\":[")
            for (index, label) in classes.enumerated() {
                if index > 0 { json.raw(",") }
                json.string(label)
            }
            json.raw("]")
        }
        json.raw("}}")
        return json.text
    }

    private static func quoted(_ text: String) -> String {
        var json = JSONText()
        json.string(text)
        return json.text
    }

    private static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func error(_ status: Int, _ message: String) -> Response {
        json(JSONText.error(message), status: HTTPResponse.Status(code: status))
    }
}
