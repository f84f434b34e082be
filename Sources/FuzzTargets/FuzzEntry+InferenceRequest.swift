import Foundation
import InferenceProtocol

extension FuzzEntry {
    /// The body of an inference request to `modelgate-serve`, from any client. The first byte
    /// chooses the protocol (bit 0: KServe v1, else Open Inference Protocol v2) and the model's
    /// width (bits 1–2: 1 to 4 features named a, b, c, d); the rest is the body. The decoder must
    /// answer with a batch or a `RequestProblem` (4xx); a batch must hold 1 to `maxRows` rows of
    /// exactly one finite value per feature, which is what the predictor relies on. A v1 body the
    /// plain reader (`PositionalRows`) takes must decode with `JSONDecoder` to the same doubles,
    /// bit for bit.
    public static func inferenceRequest(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let width = 1 + Int((selector >> 1) & 3)
        let schema = RequestSchema(features: Array(["a", "b", "c", "d"].prefix(width)), maxRows: 64)
        let body = Data(bytes.dropFirst())
        if selector & 1 == 1,
            let plain = body.withUnsafeBytes({
                PositionalRows.decode($0, width: width, maxRows: schema.maxRows)
            })
        {
            let reference = try? JSONDecoder().decode(PlainRows.self, from: body).instances.joined()
            precondition(
                reference?.map(\.bitPattern) == plain.values.map(\.bitPattern),
                "the plain reader disagrees with JSONDecoder")
        }
        do {
            let batch =
                selector & 1 == 1
                ? try InferenceRequest.decodeV1(body, schema: schema)
                : try InferenceRequest.decodeV2(body, schema: schema)
            precondition((1...schema.maxRows).contains(batch.rows), "batch of \(batch.rows) rows")
            precondition(batch.values.count == batch.rows * width, "ragged batch")
            precondition(batch.values.allSatisfy(\.isFinite), "a non-finite value passed")
        } catch {
            precondition(
                (400..<500).contains(error.status) && !error.message.isEmpty, "bad refusal: \(error)")
        }
    }
}

/// The plain v1 form as JSONDecoder reads it, the reference for `PositionalRows`.
private struct PlainRows: Decodable {
    var instances: [[Double]]
}
