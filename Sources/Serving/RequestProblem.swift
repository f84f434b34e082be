/// A request the server refuses: the HTTP status (4xx) and a message naming the problem, sent as
/// `{"error": "…"}`. Every path through request decoding ends in a prediction or one of these.
public struct RequestProblem: Error, Equatable, Sendable {
    /// The HTTP status code.
    public let status: Int
    /// What is wrong with the request, in one sentence.
    public let message: String

    /// A problem answered with `status`.
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    /// 400: the body cannot be used.
    static func bad(_ message: String) -> RequestProblem { RequestProblem(400, message) }
}
