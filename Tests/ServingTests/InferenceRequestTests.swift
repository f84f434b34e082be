import Foundation
import InferenceProtocol
import Testing

/// The v1 body's two decoding paths: rows of numbers go straight into doubles, anything else
/// through the JSON tree that names what is wrong. Both must give the same values, bit for bit.
@Suite struct InferenceRequestTests {
    let schema = RequestSchema(features: ["a", "b", "c"], maxRows: 1000)

    /// Numbers in every spelling JSON allows (integers, exponents, many digits, -0, subnormals):
    /// the positional body and the same rows with one row by name (which takes the tree) decode
    /// to the same bit patterns.
    @Test func positionalRowsDecodeAsTheTreeDoes() throws {
        let spellings = [
            "0", "-0", "1", "-17", "3.141592653589793", "2.2250738585072014e-308", "4.9e-324", "1e308",
            "-1.7976931348623157E+308", "0.1", "123456789012345678901234567890", "1.5e-7", "7E2",
            "0.30000000000000004", "-2.5e+3",
        ]
        var rows: [[String]] = []
        for index in stride(from: 0, to: spellings.count, by: 3) {
            rows.append((0..<3).map { spellings[(index + $0) % spellings.count] })
        }
        let positional =
            "{\"instances\":[" + rows.map { "[" + $0.joined(separator: ",") + "]" }.joined(separator: ",")
            + "]}"
        let byName =
            "{\"instances\":[{\"a\":\(rows[0][0]),\"b\":\(rows[0][1]),\"c\":\(rows[0][2])},"
            + rows.dropFirst().map { "[" + $0.joined(separator: ",") + "]" }.joined(separator: ",") + "]}"
        let fast = try InferenceRequest.decodeV1(Data(positional.utf8), schema: schema)
        let tree = try InferenceRequest.decodeV1(Data(byName.utf8), schema: schema)
        #expect(fast.rows == rows.count)
        #expect(fast.values.map(\.bitPattern) == tree.values.map(\.bitPattern))
        #expect(fast.values.map(\.bitPattern) == rows.joined().map { Double($0)!.bitPattern })
    }

    /// Bodies the direct path must not take: each still gets the tree's precise refusal.
    @Test func otherBodiesKeepTheirMessages() {
        let cases: [(String, String)] = [
            ("{\"instances\":[[1,2]]}", "instances[0] has 2 values; the model takes 3 features"),
            ("{\"instances\":[[1,2,1e999]]}", "instances[0][2]"),
            ("{\"instances\":[[1,2,true]]}", "instances[0][2] is true, not a number"),
            ("{\"instances\":[]}", "the batch is empty"),
        ]
        for (body, message) in cases {
            #expect {
                _ = try InferenceRequest.decodeV1(Data(body.utf8), schema: schema)
            } throws: { error in
                (error as? RequestProblem).map { $0.status == 400 && $0.message.contains(message) } ?? false
            }
        }
    }
}
