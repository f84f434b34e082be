import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A running `modelgate-serve` (or `modelgate serve`, which execs it) on a free loopback port: the
/// port is the one the server prints after binding port 0, so tests never race for a port.
final class ServerProcess {
    let process = Process()
    let port: Int
    private let errors: Pipe

    /// `modelgate-serve` beside the `modelgate` the tests run.
    static var serverURL: URL {
        get throws {
            try ModelgateBinary.url.deletingLastPathComponent().appendingPathComponent("modelgate-serve")
        }
    }

    /// Starts `executable arguments --port 0` in `directory` and waits (at most 60 s) for its address.
    init(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments + ["--port", "0"]
        if let directory { process.currentDirectoryURL = directory }
        errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = errors.fileHandleForReading
        while !(text.contains("http://") && text.hasSuffix("\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
            let port = Int(text[range].split(separator: ":").last ?? "")
        else {
            process.terminate()
            throw TestFailure("the server did not start: \(text)")
        }
        self.port = port
    }

    /// Sends SIGTERM.
    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// Waits (at most 60 s) for the process to exit; its status, or nil if it did not.
    func waitForExit() -> Int32? {
        for _ in 0..<600 where process.isRunning { usleep(100_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// An HTTP/1.1 response as the test client read it.
struct HTTPReply {
    let status: Int
    let body: String

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// A loopback TCP connection speaking just enough HTTP/1.1 for tests: a request written as bytes,
/// the response read to the end (`Connection: close`). Reads give up after 30 s, so a server that
/// never answers fails the test instead of hanging it.
final class TestConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket failed") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to port \(port)") }
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Everything until the server closes; nil when the read timed out (the server kept it open).
    func readToEnd() -> [UInt8]? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 || errno == ECONNRESET {
                return received
            } else if errno != EINTR {
                return nil
            }
        }
    }

    /// Reads the response and splits status and body.
    func reply() throws -> HTTPReply {
        guard let bytes = readToEnd() else { throw TestFailure("no response within 30 s") }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"),
            let status = Int(text.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("not an HTTP response: \(text.prefix(200))") }
        var body = String(text[split.upperBound...])
        if text[..<split.lowerBound].lowercased().contains("transfer-encoding: chunked") {
            body = Self.dechunk(body)
        }
        return HTTPReply(status: status, body: body)
    }

    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0
        {
            let start = line.upperBound
            let bytes = Array(rest[start...].utf8)
            body += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return body
    }

    /// One request on a fresh connection.
    static func request(
        _ method: String, _ path: String, body: String? = nil, port: Int, headers: [String] = []
    ) throws -> HTTPReply {
        let connection = try TestConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for header in headers { head += header + "\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        connection.send(head + "\r\n" + (body ?? ""))
        return try connection.reply()
    }
}

/// A free loopback port for a server that cannot bind port 0 and say which it got (Prometheus).
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard bound else { throw TestFailure("cannot bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
