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

    /// The plain reader against JSONDecoder itself, on 30,000 numbers: random doubles in their
    /// shortest spelling, random digit strings with fractions and exponents (up to 25 digits and exponents to ±280, past
    /// what a double holds), tiny fractions, and the edges (0 and -0, 2^53 ± 1, subnormals, the
    /// largest double, halfway cases). Every value the reader gives is JSONDecoder's, bit for bit,
    /// and it refuses no body JSONDecoder takes but for numbers it leaves to the decoder.
    @Test func plainRowsAreJSONDecodersDoubles() throws {
        var random = SeededRandom(seed: 0x5EED)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
        }
        var spellings: [String] = [
            "0", "-0", "0.0", "-0.0", "-0.000", "1", "9007199254740991", "9007199254740992",
            "9007199254740993", "18446744073709551615", "18446744073709551616", "1e22", "1e23", "1e-22",
            "1e-23", "4.9e-324", "5e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
            "2.2250738585072014e-308", "1.7976931348623157e308", "1.7976931348623158e308", "0.1",
            "0.30000000000000004", "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124", "7.2057594037927933e16", "1E+2",
        ]
        for _ in 0..<10_000 {
            let value = Double(bitPattern: random.next())
            spellings.append(value.isFinite ? "\(value)" : "1")
        }
        for _ in 0..<10_000 {
            var text =
                (Bool.random(using: &random) ? "-" : "") + String(Int.random(in: 1...9, using: &random))
            text += digits(Int.random(in: 0...24, using: &random))
            if Bool.random(using: &random) { text += "." + digits(Int.random(in: 1...25, using: &random)) }
            if Bool.random(using: &random) {
                text +=
                    ["e", "E"].randomElement(using: &random)! + ["", "+", "-"].randomElement(using: &random)!
                text += String(Int.random(in: 0...280, using: &random))
            }
            spellings.append(text)
        }
        for _ in 0..<10_000 {
            spellings.append(
                "0." + String(repeating: "0", count: Int.random(in: 0...20, using: &random))
                    + String(random.next() | 1) + "e-\(Int.random(in: 0...300, using: &random))")
        }
        struct Rows: Decodable { var instances: [[Double]] }
        var plain = 0
        for start in stride(from: 0, to: spellings.count, by: 100) {
            let chunk = Array(spellings[start..<min(start + 100, spellings.count)])
            let body = Data(("{\"instances\":[" + chunk.map { "[\($0)]" }.joined(separator: ",") + "]}").utf8)
            let reference = try? JSONDecoder().decode(Rows.self, from: body).instances.map { $0[0] }
            let read = body.withUnsafeBytes { PositionalRows.decode($0, width: 1, maxRows: 1000) }
            if let read {
                plain += 1
                #expect(read.rows == chunk.count)
                let differing = chunk.indices.first {
                    read.values[$0].bitPattern != reference?[$0].bitPattern
                }
                #expect(differing == nil, "\(differing.map { chunk[$0] } ?? "")")
            } else {
                // Only a number outside a double's range (which JSONDecoder refuses too) sends
                // such a body to the general path.
                #expect(reference == nil, "the plain reader refused a body JSONDecoder reads")
            }
        }
        #expect(plain >= 250)
    }

    /// Bodies outside the plain form: the reader leaves each to the general path (nil), which
    /// still answers as before, and accepts JSON whitespace anywhere between tokens.
    @Test func thePlainReaderLeavesOtherBodiesToTheTree() throws {
        let schema = RequestSchema(features: ["a"], maxRows: 3)
        let refused = [
            "{\"instances\":[[01]]}", "{\"instances\":[[1.]]}", "{\"instances\":[[.5]]}",
            "{\"instances\":[[+1]]}",
            "{\"instances\":[[1e]]}", "{\"instances\":[[-]]}", "{\"instances\":[[1e999]]}",
            "{\"instances\":[[1e-999]]}",
            "{\"instances\":[[NaN]]}", "{\"instances\":[[1],]}", "{\"instances\":[[1]]}x",
            "{\"instances\":[]}",
            "{\"instances\":[[1,2]]}", "{\"instance\":[[1]]}", "{\"instances\":[[1]],\"parameters\":{}}",
            "\u{FEFF}{\"instances\":[[1]]}", "{\"instances\":[[1]]", "", "{\"instances\":[[0x10]]}",
            "{\"instances\":[[0e5]]}", "{\"instances\":[[-0e1]]}", "{\"instances\":[[-0.0E-5]]}",
            "{\"instances\":[[1],[2],[3],[4]]}", "{\"instances\":[{\"a\":1}]}", "{\"instances\":[1]}",
            "{\"instances\":[[\"1\"]]}", "{\"instances\":[[" + String(repeating: "1", count: 65) + "]]}",
        ]
        for body in refused {
            let read = Array(body.utf8).withUnsafeBytes {
                PositionalRows.decode($0, width: schema.features.count, maxRows: schema.maxRows)
            }
            #expect(read == nil, "\(body)")
        }
        // The general path still takes what is valid among them, with the same doubles.
        let byTree = try InferenceRequest.decodeV1(
            Data("{\"instances\":[[1]],\"parameters\":{}}".utf8), schema: schema)
        #expect(byTree.values == [1])
        // A zero with an exponent is JSONDecoder's to judge (it refuses `0e5` and `-0.0E-5`, and
        // takes `-0e1`).
        let zero = try InferenceRequest.decodeV1(Data("{\"instances\":[[-0e1]]}".utf8), schema: schema)
        #expect(zero.values.map(\.bitPattern) == [(-0.0).bitPattern])
        #expect(
            throws: RequestProblem.self,
            performing: {
                try InferenceRequest.decodeV1(Data("{\"instances\":[[1],[2],[3],[4]]}".utf8), schema: schema)
            })
        let spaced = " {\n\"instances\" :\t[ [ 1.5 ] ,\r\n[-2e1]\n] } \n"
        let read = Array(spaced.utf8).withUnsafeBytes { PositionalRows.decode($0, width: 1, maxRows: 3) }
        #expect(read?.rows == 2)
        #expect(read?.values == [1.5, -20])
        // A limit near Int.max (`--max-rows` takes any positive number) must not overflow.
        let unbounded = Array("{\"instances\":[[1,2,3]]}".utf8).withUnsafeBytes {
            PositionalRows.decode($0, width: 3, maxRows: .max)
        }
        #expect(unbounded?.values == [1, 2, 3])
    }
}

/// SplitMix64: the same numbers on every run, so a failure can be replayed.
private struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
