/// The routes the server answers, matched on the request path's components (the HTTP itself is
/// parsed by Hummingbird). `pattern` is the route's label in metrics.
enum Route: Equatable {
    case serverMetadata, live, ready, metrics
    case modelMetadata(String)
    case modelReady(String)
    case infer(String)
    case v1Status(String)
    case v1Predict(String)

    /// The method the route takes.
    var method: String {
        switch self {
        case .infer, .v1Predict: return "POST"
        default: return "GET"
        }
    }

    /// The route pattern: the `route` label of the request metrics.
    var pattern: String {
        switch self {
        case .serverMetadata: return "/v2"
        case .live: return "/v2/health/live"
        case .ready: return "/v2/health/ready"
        case .metrics: return "/metrics"
        case .modelMetadata: return "/v2/models/{name}"
        case .modelReady: return "/v2/models/{name}/ready"
        case .infer: return "/v2/models/{name}/infer"
        case .v1Status: return "/v1/models/{name}"
        case .v1Predict: return "/v1/models/{name}:predict"
        }
    }

    /// The model name in the path, when the route has one.
    var modelName: String? {
        switch self {
        case .modelMetadata(let name), .modelReady(let name), .infer(let name), .v1Status(let name),
            .v1Predict(let name):
            return name
        default: return nil
        }
    }

    /// The label of a request no route matched.
    static let unmatched = "unmatched"

    /// The route of `path` (query already removed), or nil. A versioned v2 path
    /// (`/v2/models/{name}/versions/{version}/…`) matches when `version` is the served one.
    static func match(_ path: String, version: String) -> Route? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts {
        case ["v2"]: return .serverMetadata
        case ["v2", "health", "live"]: return .live
        case ["v2", "health", "ready"]: return .ready
        case ["metrics"]: return .metrics
        default: break
        }
        if parts.count >= 5, parts[0] == "v2", parts[1] == "models", parts[3] == "versions" {
            guard parts[4] == version else { return nil }
            parts.removeSubrange(3...4)
        }
        if parts.count == 3, parts[0] == "v1", parts[1] == "models" {
            let last = parts[2]
            if last.hasSuffix(":predict") { return .v1Predict(String(last.dropLast(8))) }
            return .v1Status(last)
        }
        guard parts.count >= 3, parts[0] == "v2", parts[1] == "models" else { return nil }
        switch parts.count {
        case 3: return .modelMetadata(parts[2])
        case 4 where parts[3] == "ready": return .modelReady(parts[2])
        case 4 where parts[3] == "infer": return .infer(parts[2])
        default: return nil
        }
    }
}
