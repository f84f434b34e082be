import Checksum
import Foundation
import TestSupport
import Testing

/// `modelgate serve` / `modelgate-serve` end to end: real repositories, real runs, the built
/// binaries on loopback ports.
@Suite struct ServingTests {
    /// v2 (one [N, F] input, and one input per feature) and v1 (rows by position, rows by name)
    /// give exactly what `modelgate predict` prints for the same rows, for every built-in trainer.
    @Test(arguments: ServingFixture.Trainer.allCases)
    func predictionsEqualModelgatePredict(trainer: ServingFixture.Trainer) throws {
        let fixture = try ServingFixture(trainer)
        let expected = try fixture.predictLines()
        let server = try fixture.serve()
        let rows = fixture.rows
        let count = rows.count

        // v1: the body is compared as text, so every double must be written as predict writes it.
        let items = expected.map { line -> String in
            trainer == .logistic ? "\"\(line[0])\"" : line[0]
        }
        let v1Expected = "{\"predictions\":[\(items.joined(separator: ","))]}"
        let positional = "{\"instances\":[\(rows.map { "[\($0.a),\($0.b)]" }.joined(separator: ","))]}"
        let byName =
            "{\"instances\":[\(rows.map { "{\"b\":\($0.b),\"a\":\($0.a)}" }.joined(separator: ","))]}"
        for body in [positional, byName] {
            let reply = try TestConnection.request(
                "POST", "/v1/models/served:predict", body: body, port: server.port)
            #expect(reply.status == 200)
            #expect(reply.body == v1Expected)
        }

        // v2, both input forms.
        let matrix = rows.map { "[\($0.a),\($0.b)]" }.joined(separator: ",")
        let tensor =
            "{\"id\":\"r1\",\"inputs\":[{\"name\":\"x\",\"shape\":[\(count),2],\"datatype\":\"FP64\",\"data\":[\(matrix)]}]}"
        let columns =
            "{\"inputs\":[{\"name\":\"b\",\"shape\":[\(count)],\"datatype\":\"FP32\",\"data\":[\(rows.map(\.b).joined(separator: ","))]},"
            + "{\"name\":\"a\",\"shape\":[\(count)],\"datatype\":\"FP64\",\"data\":[\(rows.map(\.a).joined(separator: ","))]}]}"
        for body in [tensor, columns] {
            let reply = try TestConnection.request(
                "POST", "/v2/models/served/infer", body: body, port: server.port)
            #expect(reply.status == 200, "\(reply.body)")
            let json = reply.json
            #expect(json["model_name"] as? String == "served")
            #expect((json["id"] as? String) == (body == tensor ? "r1" : nil))
            let outputs = try #require(json["outputs"] as? [[String: Any]])
            let predict = try #require(outputs.first { $0["name"] as? String == "predict" })
            #expect(predict["shape"] as? [Int] == [count])
            // Numbers are compared as the text the server wrote (Foundation's JSONSerialization
            // on Linux does not always parse a double back to the same bits).
            let data = Self.rawData(reply.body, output: "predict")
            switch trainer {
            case .linear:
                #expect(predict["datatype"] as? String == "FP64")
                #expect(data == expected.map { $0[0] })
            case .logistic:
                #expect(predict["datatype"] as? String == "BYTES")
                #expect(data == expected.map { "\"\($0[0])\"" })
                let probabilities = try #require(outputs.first { $0["name"] as? String == "probabilities" })
                #expect(probabilities["shape"] as? [Int] == [count, 3])
                #expect(
                    Self.rawData(reply.body, output: "probabilities") == expected.flatMap { $0.dropFirst() })
            case .kmeans:
                #expect(predict["datatype"] as? String == "INT64")
                #expect(data == expected.map { $0[0] })
            }
        }

        // Metadata names the features and the commit the artifact came from.
        let metadata = try TestConnection.request("GET", "/v2/models/served", port: server.port).json
        let inputs = (metadata["inputs"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(inputs == ["a", "b"])
        let head = try fixture.repo.git(["rev-parse", "HEAD"])
        #expect((metadata["parameters"] as? [String: Any])?["commit"] as? String == head)
        #expect(metadata["versions"] as? [String] == [String(head.prefix(12))])
        let ready = try TestConnection.request("GET", "/v1/models/served", port: server.port)
        #expect(ready.json["ready"] as? Bool == true)
        #expect(try TestConnection.request("GET", "/v2/health/ready", port: server.port).status == 200)
    }

    /// Every kind of bad request gets its 4xx and a JSON error naming the problem, and the next
    /// good request is answered. A model file without `feature_profile` serves, without drift gauges.
    @Test func badRequestsAreRefusedAndTheServerKeepsServing() throws {
        let directory = try TemporaryDirectory()
        let data = directory.appending("train.csv")
        try ServingFixture.csv(.linear, rows: 200, seed: 3).write(to: data, atomically: true, encoding: .utf8)
        let train = try ModelgateBinary.run(
            [
                "train", "--builtin", "linear-regression", "--data", data.path, "--target", "y", "--model",
                "m.json",
            ],
            in: directory.url)
        #expect(train.status == 0, "\(train.output)")
        let server = try ServerProcess(
            ServerProcess.serverURL,
            [
                "--model", directory.appending("m.json").path, "--name", "m", "--max-body", "4096",
                "--max-rows", "5",
            ])
        let infer = "/v2/models/m/infer"
        func v2(_ input: String) -> String { "{\"inputs\":[\(input)]}" }
        let cases: [(method: String, path: String, body: String?, status: Int, error: String)] = [
            ("POST", infer, "{\"inputs\":[{\"name", 400, "not valid JSON"),
            ("POST", infer, "[1,2]", 400, "JSON object with an \"inputs\" array"),
            (
                "POST", infer, v2("{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP64\",\"data\":[1,2,3]}"),
                400,
                "the model takes 2 features (a, b)"
            ),
            (
                "POST", infer, v2("{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"FP64\",\"data\":[1,2,3]}"),
                400,
                "needs 4 values; its data has 3"
            ),
            (
                "POST", infer,
                v2("{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"BYTES\",\"data\":[\"1\",\"2\"]}"), 400,
                "datatype BYTES"
            ),
            (
                "POST", infer, v2("{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,true]}"),
                400,
                "data element 1 is true, not a number"
            ),
            (
                "POST", infer, v2("{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,NaN]}"),
                400,
                "not valid JSON"
            ),
            (
                "POST", infer,
                v2("{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,\"NaN\"]}"), 400,
                "is a string, not a number"
            ),
            (
                "POST", infer,
                v2("{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,1e999]}"), 400,
                "data element 1 is a number too large for a double"
            ),
            (
                "POST", infer, v2("{\"name\":\"x\",\"shape\":[0,2],\"datatype\":\"FP64\",\"data\":[]}"), 400,
                "the batch is empty"
            ),
            (
                "POST", infer,
                v2(
                    "{\"name\":\"x\",\"shape\":[6,2],\"datatype\":\"FP64\",\"data\":[1,2,1,2,1,2,1,2,1,2,1,2]}"
                ),
                413, "at most 5"
            ),
            (
                "POST", infer, v2("{\"name\":\"zz\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[1]}"), 400,
                "input \"zz\" (inputs[0]) is not a feature of the model"
            ),
            (
                "POST", infer, v2("{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[1]}"), 400,
                "missing feature \"b\""
            ),
            ("POST", infer, String(repeating: "[", count: 1000), 400, "nests deeper than 16"),
            (
                "POST", infer, "{\"inputs\":[]}" + String(repeating: " ", count: 5000), 413,
                "limit of 4096 bytes"
            ),
            (
                "POST", "/v1/models/m:predict", "{\"instances\":[{\"a\":1,\"b\":2,\"c\":3}]}", 400,
                "instances[0] has unknown feature \"c\""
            ),
            (
                "POST", "/v1/models/m:predict", "{\"instances\":[{\"a\":1}]}", 400,
                "instances[0] is missing feature \"b\""
            ),
            ("POST", "/v1/models/m:predict", "{\"instances\":[[1]]}", 400, "instances[0] has 1 values"),
            ("POST", "/v1/models/m:predict", "{\"instances\":[]}", 400, "the batch is empty"),
            ("POST", "/v1/models/other:predict", "{\"instances\":[[1,2]]}", 404, "no model 'other'"),
            ("POST", "/v2/models/other/infer", "{}", 404, "no model 'other'"),
            ("GET", infer, nil, 405, "takes POST, not GET"),
            ("DELETE", "/metrics", nil, 405, "takes GET, not DELETE"),
            ("GET", "/nowhere", nil, 404, "no route GET /nowhere"),
        ]
        let good = v2("{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[[1.5,2]]}")
        for item in cases {
            let reply = try TestConnection.request(item.method, item.path, body: item.body, port: server.port)
            #expect(reply.status == item.status, "\(item.path) \(item.body?.prefix(80) ?? ""): \(reply.body)")
            let message = reply.json["error"] as? String ?? ""
            #expect(
                message.contains(item.error),
                "\(item.body.map { String($0.prefix(80)) } ?? item.path): \(reply.body)")
            let next = try TestConnection.request("POST", infer, body: good, port: server.port)
            #expect(
                next.status == 200,
                "after \(item.body.map { String($0.prefix(80)) } ?? item.path): \(next.body)")
        }
        // A body announced larger than the limit is refused before it is sent.
        let announced = try TestConnection(port: server.port)
        announced.send(
            "POST \(infer) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n{")
        let refused = try announced.reply()
        #expect(refused.status == 413)
        #expect((refused.json["error"] as? String)?.contains("limit of 4096 bytes") == true)
        let metrics = try TestConnection.request("GET", "/metrics", port: server.port).body
        #expect(
            metrics.contains("modelgate_requests_total{route=\"/v2/models/{name}/infer\",status=\"413\"} 3"))
        #expect(metrics.contains("modelgate_requests_total{route=\"unmatched\",status=\"404\"} 1"))
        #expect(!metrics.contains("modelgate_feature_drift_psi"))
        server.terminate()
        #expect(server.waitForExit() == 0)
    }

    /// `modelgate-serve` links FoundationEssentials and nothing above it: the loader maps no
    /// Foundation, FoundationInternationalization or ICU (the 40 MB the static binary used to
    /// carry), and no libcrypto.so (its one digest comes from the static library).
    @Test func theServerLinksNoFoundationAndNoICU() throws {
        let libraries = try ProcessRunner.run(
            "/usr/bin/ldd", [try ServerProcess.serverURL.path], in: URL(fileURLWithPath: "/"))
        #expect(libraries.status == 0)
        for forbidden in [
            "libFoundation.so", "libFoundationInternationalization", "_FoundationICU", "libcrypto",
        ] {
            #expect(!libraries.stdout.contains(forbidden), "\(forbidden) in:\n\(libraries.stdout)")
        }
    }

    /// The artifact an exported directory is known by is the SHA-256 of its `manifest.json`, as
    /// Checksum computes it (the server hashes it over libcrypto directly, without Checksum).
    @Test func theArtifactIsTheManifestsDigest() throws {
        let fixture = try ServingFixture(.linear)
        let directory = try fixture.exportArtifact()
        let manifest = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        let server = try ServerProcess(ServerProcess.serverURL, ["--model", directory.path])
        let metadata = try TestConnection.request("GET", "/v2/models/served", port: server.port).json
        let artifact = (metadata["parameters"] as? [String: Any])?["artifact"] as? String
        #expect(artifact == "sha256:" + SHA256.hex(of: manifest))
        server.terminate()
        #expect(server.waitForExit() == 0)
    }

    /// A client that sends half a body and stops holds one connection, not the server: others are
    /// answered meanwhile, and the server closes the silent one after the idle timeout.
    @Test func aSlowClientIsDisconnectedWhileOthersAreServed() throws {
        let fixture = try ServingFixture(.linear)
        let slow = try ServerProcess(
            ServerProcess.serverURL,
            ["--model", try fixture.exportArtifact().path, "--idle-timeout", "2"])
        let stalled = try TestConnection(port: slow.port)
        stalled.send(
            "POST /v1/models/served:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"instances\":"
        )
        for _ in 0..<3 {
            let reply = try TestConnection.request(
                "POST", "/v1/models/served:predict", body: "{\"instances\":[[1,2]]}", port: slow.port)
            #expect(reply.status == 200)
        }
        // Closed by the server (end of stream), not left open until the client's own 30 s timeout.
        #expect(stalled.readToEnd() != nil)
    }

    /// SIGTERM while a request is in flight: that request is answered, then the process exits 0.
    @Test func sigtermLetsTheRequestInFlightFinish() throws {
        let fixture = try ServingFixture(.linear)
        let server = try fixture.serve()
        let body = "{\"instances\":[[1.25,3.5],[2,4]]}"
        let connection = try TestConnection(port: server.port)
        connection.send(
            "POST /v1/models/served:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body.prefix(10))
        // The server has read the head once it counts the request in flight.
        var inFlight = false
        for _ in 0..<300 where !inFlight {
            let metrics = try TestConnection.request("GET", "/metrics", port: server.port).body
            inFlight = metrics.contains("modelgate_inference_requests_in_flight 1")
            if !inFlight { usleep(100_000) }
        }
        #expect(inFlight)
        server.terminate()
        connection.send(String(body.dropFirst(10)))
        let reply = try connection.reply()
        #expect(reply.status == 200)
        #expect((reply.json["predictions"] as? [Any])?.count == 2)
        #expect(server.waitForExit() == 0)
    }

    /// The items of output `name`'s `data` array, as written in `body`.
    static func rawData(_ body: String, output name: String) -> [String] {
        guard let start = body.range(of: "{\"name\":\"\(name)\""),
            let data = body[start.upperBound...].range(of: "\"data\":[")
        else { return [] }
        let rest = body[data.upperBound...]
        guard let end = rest.firstIndex(of: "]") else { return [] }
        return rest[..<end].split(separator: ",").map(String.init)
    }
}
