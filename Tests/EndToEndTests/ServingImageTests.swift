import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A repository whose `train` stage is the built-in linear regression, run and passing: what
/// `package --serve` and `deploy k8s` work on.
final class ServingRepository {
    let repo: TemporaryRepository
    var url: URL { repo.url }

    init(name: String = "housing") throws {
        repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                name: \(name)
                stages:
                  - name: train
                    builtin: linear-regression
                    data: data/train.csv
                    target: y
                    test: data/test.csv
                gates:
                  - {metric: r2, min: 0.99}

                """,
                "data/train.csv": BuiltinStageTests.housingCSV(rows: 300, seed: 3),
                "data/test.csv": BuiltinStageTests.housingCSV(rows: 50, seed: 4),
            ], message: "housing model")
        let run = try modelgate(["run"])
        guard run.status == 0 else { throw TestFailure("modelgate run failed: \(run.stderr)") }
    }

    /// Runs modelgate with `ServerStandIn` last on PATH.
    @discardableResult
    func modelgate(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        var environment = environment
        if environment["PATH"] == nil { environment["PATH"] = try ServerStandIn.path }
        return try ModelgateBinary.run(arguments, in: repo.url, environment: environment)
    }

    /// `package --serve` into `folder` of the temporary directory; returns the digest printed.
    func packageServing(_ folder: String) throws -> (digest: String, layout: URL) {
        let layout = repo.directory.appending(folder)
        let result = try modelgate(["package", "--serve", "--oci", layout.path])
        guard result.status == 0 else { throw TestFailure("package --serve failed: \(result.stderr)") }
        return (result.output, layout)
    }
}

/// The `modelgate-serve` that `package --serve` picks up: the one built beside `modelgate`, else
/// (for the tests that package but never start a server) a link named `modelgate-serve` to the
/// `modelgate` executable, found last on PATH: any ELF executable exercises the library
/// resolution, layering and digests the same way.
enum ServerStandIn {
    /// A folder in the build folder (nothing left in the system's temporary folder).
    private static let folder: Result<URL, Error> = Result {
        let binary = try ModelgateBinary.url
        let folder = binary.deletingLastPathComponent().appendingPathComponent(
            "serve-stand-in", isDirectory: true)
        let link = folder.appendingPathComponent("modelgate-serve")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) != binary.path {
            try? FileManager.default.removeItem(at: link)
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: binary)
        }
        return folder
    }

    /// PATH with the stand-in's folder last.
    static var path: String {
        get throws {
            "\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"):\(try folder.get().path)"
        }
    }

    /// The executable `package --serve` will lay into the image.
    static var server: URL {
        get throws {
            let beside = try ModelgateBinary.url.deletingLastPathComponent().appendingPathComponent(
                "modelgate-serve")
            if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
            return try folder.get().appendingPathComponent("modelgate-serve").resolvingSymlinksInPath()
        }
    }
}

/// Reads an OCI layout's documents.
enum Layout {
    static func json(_ layout: URL, blob digest: String) throws -> [String: Any] {
        let url = layout.appendingPathComponent(
            "blobs/sha256/\(digest.replacingOccurrences(of: "sha256:", with: ""))")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func config(_ layout: URL, manifest digest: String) throws -> [String: Any] {
        let manifest = try json(layout, blob: digest)
        let config = try #require((manifest["config"] as? [String: Any])?["digest"] as? String)
        return try json(layout, blob: config)
    }
}

/// `modelgate package --serve`: a runnable, deterministic image with exactly the server's
/// libraries, run for real under runc.
@Suite struct ServingImageTests {
    /// The `modelgate-serve` the packager lays into the image.
    static var server: URL {
        get throws { try ServerStandIn.server }
    }

    @Test func theImageRunsUnderRuncAndPredictsLikeModelgatePredict() async throws {
        let repository = try ServingRepository()
        let (digest, layout) = try repository.packageServing("oci")
        let commit = try repository.repo.git(["rev-parse", "HEAD"])
        let bundle = repository.repo.directory.appending("bundle")
        // As root umoci keeps the image's owners; otherwise it writes a rootless bundle.
        let rootless = getuid() == 0 ? [] : ["--rootless"]
        let unpack = try ExternalTool.run(
            "umoci", ["unpack"] + rootless + ["--image", "\(layout.path):\(commit.prefix(7))", bundle.path],
            in: repository.url)
        #expect(unpack.status == 0, "\(unpack.stderr)")
        #expect(digest.hasPrefix("sha256:"))

        // The host's network namespace (loopback shared with the test), a free port, no terminal.
        let port = try freeLoopbackPort()
        let configURL = bundle.appendingPathComponent("config.json")
        var config = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        var process = try #require(config["process"] as? [String: Any])
        let arguments = try #require(process["args"] as? [String])
        #expect(
            arguments == [
                "/usr/local/bin/modelgate-serve", "--model", "/model", "--host", "0.0.0.0", "--port", "8080",
            ])
        #expect((process["user"] as? [String: Any])?["uid"] as? Int == 65532)
        process["args"] = Array(arguments.dropLast()) + ["\(port)"]
        process["terminal"] = false
        config["process"] = process
        var linux = try #require(config["linux"] as? [String: Any])
        let namespaces = try #require(linux["namespaces"] as? [[String: Any]])
        linux["namespaces"] = namespaces.filter { $0["type"] as? String != "network" }
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)

        let container = "modelgate-test-\(UUID().uuidString.prefix(12).lowercased())"
        let runc = try ProcessRunner.start(
            try ExternalTool.path("runc"), ["run", "--bundle", bundle.path, container], in: repository.url)
        defer {
            // Whatever happened: the container is killed and deleted, and runc reaped.
            _ = try? ExternalTool.run("runc", ["kill", container, "KILL"], in: repository.url)
            _ = try? ExternalTool.run("runc", ["delete", "--force", container], in: repository.url)
            _ = try? runc.wait()
        }
        // A bounded wait for the server to listen (not a timing assertion: it only gives up).
        for _ in 0..<600 where !isListening(port) { usleep(50_000) }
        guard isListening(port) else {
            _ = try? ExternalTool.run("runc", ["kill", container, "KILL"], in: repository.url)
            let output = try runc.wait()
            Issue.record("the container never listened on \(port): \(output.stderr) \(output.stdout)")
            return
        }

        let ready = try await HTTP.send("GET", "http://127.0.0.1:\(port)/v2/health/ready")
        #expect(ready.status == 200)
        let rows = [[3.8324, 4.1692], [7.1659, 0.4985], [0.25, 4.75]]
        let body: [String: Any] = [
            "inputs": [
                [
                    "name": "input-0", "shape": [rows.count, 2], "datatype": "FP64",
                    "data": rows.flatMap { $0 },
                ]
            ]
        ]
        let infer = try await HTTP.send(
            "POST", "http://127.0.0.1:\(port)/v2/models/housing/infer", json: body)
        #expect(infer.status == 200, "\(String(decoding: infer.body, as: UTF8.self))")
        let answer = try #require(try JSONSerialization.jsonObject(with: infer.body) as? [String: Any])
        let outputs = try #require(answer["outputs"] as? [[String: Any]])
        let served = try #require(outputs.first { $0["name"] as? String == "predict" }?["data"] as? [Double])

        // The same rows through `modelgate predict` on the exported artifact.
        let exported = repository.repo.directory.appending("export")
        #expect(try repository.modelgate(["artifact", "export", "--to", exported.path]).status == 0)
        let csv = repository.repo.directory.appending("rows.csv")
        try Data(("a,b\n" + rows.map { "\($0[0]),\($0[1])" }.joined(separator: "\n") + "\n").utf8).write(
            to: csv)
        let predict = try repository.modelgate([
            "predict", "--model", exported.appendingPathComponent("train.model.json").path, csv.path,
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
        let expected = predict.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(expected.count == rows.count)
        #expect(served == expected)
    }

    @Test func packagingTwiceGivesOneDigestAndARunnableNonRootConfig() throws {
        let repository = try ServingRepository()
        let (first, layout) = try repository.packageServing("one")
        sleep(1)  // a clock-dependent time stamp would now differ
        let (second, _) = try repository.packageServing("two")
        #expect(first == second)

        let config = try Layout.config(layout, manifest: first)
        let runtime = try #require(config["config"] as? [String: Any])
        #expect(runtime["User"] as? String == "65532:65532")
        #expect(
            runtime["Entrypoint"] as? [String]
                == [
                    "/usr/local/bin/modelgate-serve", "--model", "/model", "--host", "0.0.0.0", "--port",
                    "8080",
                ])
        #expect((runtime["ExposedPorts"] as? [String: Any])?.keys.sorted() == ["8080/tcp"])
        let labels = try #require(runtime["Labels"] as? [String: String])
        let commit = try repository.repo.git(["rev-parse", "HEAD"])
        let note = try repository.repo.git(["notes", "--ref=modelgate", "show", "HEAD"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any])
        #expect(labels["dev.modelgate.commit"] == commit)
        #expect(labels["org.opencontainers.image.revision"] == commit)
        #expect(labels["dev.modelgate.artifact"] == record["artifact"] as? String)
        #expect(labels["dev.modelgate.fingerprint"] == record["fingerprint"] as? String)
        #expect(labels["dev.modelgate.serve"]?.hasPrefix("sha256:") == true)
        #expect((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String] != nil)

        // Unpacked: a non-root user, and exactly the server, its libraries and the model.
        let bundle = repository.repo.directory.appending("bundle")
        let unpack = try ExternalTool.run(
            "umoci", ["unpack", "--rootless", "--image", "\(layout.path):\(commit.prefix(7))", bundle.path],
            in: repository.url)
        #expect(unpack.status == 0, "\(unpack.stderr)")
        let rootfs = bundle.appendingPathComponent("rootfs")
        let passwd = try String(contentsOf: rootfs.appendingPathComponent("etc/passwd"), encoding: .utf8)
        let users = passwd.split(separator: "\n").map {
            $0.split(separator: ":", omittingEmptySubsequences: false)
        }
        #expect(users.contains { $0[0] == "nonroot" && $0[2] == "65532" && $0[3] == "65532" })
        #expect(users.filter { $0[2] == "0" }.map { String($0[0]) } == ["root"])
        let group = try String(contentsOf: rootfs.appendingPathComponent("etc/group"), encoding: .utf8)
        #expect(group.contains("nonroot:x:65532:"))

        var files: Set<String> = []
        let enumerator = FileManager.default.enumerator(atPath: rootfs.path)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(
                atPath: rootfs.appendingPathComponent(path).path, isDirectory: &isDirectory)
            if !isDirectory.boolValue, !path.hasPrefix("model/") { files.insert("/" + path) }
        }
        let ldd = try ProcessRunner.run("ldd", [try Self.server.path], in: repository.url)
        #expect(ldd.status == 0)
        let libraries = Set(
            ldd.stdout.split(separator: "\n").compactMap { line -> String? in
                let field = line.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("/") }
                return field.map(String.init)
            })
        #expect(!libraries.isEmpty)
        let expected = libraries.union(["/usr/local/bin/modelgate-serve", "/etc/passwd", "/etc/group"])
        #expect(
            files == expected,
            "extra: \(files.subtracting(expected)), missing: \(expected.subtracting(files))")
        #expect(
            try Data(contentsOf: rootfs.appendingPathComponent("usr/local/bin/modelgate-serve"))
                == Data(contentsOf: try Self.server))
    }

    /// Without a modelgate-serve beside modelgate or on PATH: exit 3, nothing written.
    @Test func withoutTheServerNothingIsWritten() throws {
        let repository = try ServingRepository()
        let alone = try TemporaryDirectory(prefix: "modelgate-alone")
        let copy = alone.appending("modelgate")
        try FileManager.default.copyItem(at: try ModelgateBinary.url, to: copy)
        let layout = repository.repo.directory.appending("oci")
        let result = try ProcessRunner.run(
            copy.path, ["package", "--serve", "--oci", layout.path], in: repository.url,
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("cannot find the serving executable 'modelgate-serve'"))
        #expect(!FileManager.default.fileExists(atPath: layout.path))
    }
}

/// One HTTP exchange over URLSession, bounded by a timeout.
enum HTTP {
    static func send(_ method: String, _ address: String, json: Any? = nil) async throws -> (
        status: Int, body: Data
    ) {
        var request = URLRequest(url: try #require(URL(string: address)), timeoutInterval: 20)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
