import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A repository whose `evaluate` stage writes a model file (and a directory of weights) as
/// `outs`, reports r2 = 0.9 + rows/100 from `data/a.csv`, and gates on r2 >= 0.9 (or `gates`).
final class ArtifactRepository {
    let repo: TemporaryRepository
    var url: URL { repo.url }

    /// `modelBytes` sets the size of `model.bin` (filled from /dev/urandom seeded by the data).
    init(gates: String = "  - {metric: r2, min: 0.9}\n", modelBytes: Int = 4096, name: String = "demo") throws
    {
        repo = try TemporaryRepository()
        try repo.commit(
            files: [
                "modelgate.yml": """
                name: \(name)
                stages:
                  - name: evaluate
                    cmd: sh score.sh
                    deps: [score.sh, "data/*.csv"]
                    metrics: metrics.json
                    outs: [model.bin, weights]
                    timeout: 60s
                gates:
                \(gates)
                """,
                "score.sh": """
                rows=$(($(wc -l < data/a.csv) - 1))
                printf '{"r2": %s}' "0.9$rows" > metrics.json
                head -c \(modelBytes) /dev/zero | tr '\\0' 'm' > model.bin
                cat data/a.csv >> model.bin
                mkdir -p weights/layer && echo "w $rows" > weights/a.txt && echo b > weights/layer/b.txt

                """,
                "data/a.csv": "x\n1\n2\n",
            ], message: "initial model")
    }

    /// Runs modelgate in the repository.
    @discardableResult
    func modelgate(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try ModelgateBinary.run(arguments, in: repo.url, environment: environment)
    }

    /// Commits new data with `rows` rows (r2 = 0.9 + rows/100 → pass for rows >= 0 with min 0.9).
    @discardableResult
    func commitRows(_ rows: Int, message: String? = nil) throws -> String {
        let body = (0..<rows).map { "\($0)\n" }.joined()
        return try repo.commit(files: ["data/a.csv": "x\n" + body], message: message ?? "\(rows) rows")
    }

    /// The `artifact` field of HEAD's (or `rev`'s) note.
    func artifactDigest(_ rev: String = "HEAD") throws -> String? {
        let note = try repo.git(["notes", "--ref=modelgate", "show", rev])
        let record = try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any]
        return record?["artifact"] as? String
    }

    /// The store's blob path for a digest.
    func blobURL(_ digest: String) -> URL {
        let hex = digest.replacingOccurrences(of: "sha256:", with: "")
        return repo.url.appendingPathComponent(".git/modelgate/store/sha256/\(hex.prefix(2))/\(hex)")
    }
}

/// Runs a tool that `make deps` installs; a missing tool fails the test (it is not skipped).
enum ExternalTool {
    static func path(_ name: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(
            separator: ":")
        {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestFailure(
            "'\(name)' is not installed; run 'make deps' (it installs docker-registry skopeo umoci apache2-utils)"
        )
    }

    @discardableResult
    static func run(
        _ name: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:]
    ) throws
        -> ProcessResult
    {
        try ProcessRunner.run(try path(name), arguments, in: directory, environment: environment)
    }
}

/// A free TCP port on 127.0.0.1 (bound, read back, released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("no free loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// True when something accepts connections on 127.0.0.1:`port`.
func isListening(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// Debian's `docker-registry` on a free loopback port with temporary storage; stopped on release.
/// With a user and password it requires basic authentication (an `htpasswd -B` file).
final class TestRegistry {
    let directory: TemporaryDirectory
    let port: Int
    private let process: Process
    var address: String { "127.0.0.1:\(port)" }

    init(user: String? = nil, password: String? = nil) throws {
        directory = try TemporaryDirectory(prefix: "modelgate-registry")
        let executable = URL(fileURLWithPath: try ExternalTool.path("docker-registry"))
        var auth = ""
        if let user, let password {
            let line = try ExternalTool.run("htpasswd", ["-Bbn", user, password], in: directory.url)
            guard line.status == 0 else { throw TestFailure("htpasswd failed: \(line.stderr)") }
            try Data(line.stdout.utf8).write(to: directory.appending("htpasswd"))
            auth = "auth: {htpasswd: {realm: modelgate-test, path: \(directory.url.path)/htpasswd}}\n"
        }
        let log = directory.appending("registry.log")
        // Tests run in parallel: a port found free may be taken before the registry binds it, so
        // a registry that exited (address in use) is retried on another port.
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            let config = """
                version: 0.1
                log: {level: error}
                storage: {filesystem: {rootdirectory: \(directory.url.path)/storage}, delete: {enabled: true}}
                http: {addr: "127.0.0.1:\(port)"}

                """ + auth
            try Data(config.utf8).write(to: directory.appending("config.yml"))
            let process = Process()
            process.executableURL = executable
            process.arguments = ["serve", directory.appending("config.yml").path]
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            for _ in 0..<200 where !isListening(port) && process.isRunning {
                usleep(50_000)
            }
            usleep(100_000)
            if process.isRunning, isListening(port) {
                self.port = port
                self.process = process
                return
            }
            process.terminate()
            process.waitUntilExit()
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw TestFailure("docker-registry did not start: \(text)")
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

/// A loopback TCP proxy that forwards to `upstream` and cuts every connection once more than
/// `cutAfter` bytes in total have gone from clients to the upstream: a registry that closes
/// mid-upload.
final class CuttingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let forwarded = Mutex(0)
    private let cutAfter: Int
    private let upstream: Int

    init(upstream: Int, cutAfter: Int) throws {
        self.upstream = upstream
        self.cutAfter = cutAfter
        port = try freeLoopbackPort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            throw TestFailure("proxy cannot listen on \(port)")
        }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(upstream)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            Thread { [self] in pump(from: client, to: server, counting: true) }.start()
            Thread { [self] in pump(from: server, to: client, counting: false) }.start()
        }
    }

    private func pump(from source: Int32, to destination: Int32, counting: Bool) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count <= 0 { break }
            if counting {
                let total = forwarded.withLock { value -> Int in
                    value += count
                    return value
                }
                if total > cutAfter {
                    // Reset both connections at once (SO_LINGER 0), as a registry dying mid-upload does.
                    var reset = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(source, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
                    setsockopt(
                        destination, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
                    shutdown(destination, Int32(SHUT_RDWR))
                    close(source)
                    return
                }
            }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes {
                    write(destination, $0.baseAddress! + offset, count - offset)
                }
                if written <= 0 { break }
                offset += written
            }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }
}
