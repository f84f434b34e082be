import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Signs through the ssh-agent at `SSH_AUTH_SOCK` (agent protocol: SSH_AGENTC_SIGN_REQUEST).
///
/// The private key never enters this process. The agent's answer is hostile input like any
/// other: its length is bounded (`maxAnswerBytes`) before anything is read, reads time out
/// (`timeoutSeconds`, so a stuck agent cannot hang a hook), and the signature it returns is
/// checked against the public key before it is used.
public struct SSHAgentSigner: SSHSigner {
    /// The key whose signatures this makes.
    public let publicKey: SSHPublicKey
    let socketPath: String

    /// The largest agent answer read.
    static let maxAnswerBytes: UInt32 = 256 * 1024
    /// How long one read from the agent may wait (it may ask its user to confirm).
    static let timeoutSeconds = 60

    /// A signer for `publicKey` through the agent named by `environment["SSH_AUTH_SOCK"]`.
    public init(publicKey: SSHPublicKey, environment: [String: String]) throws {
        guard let path = environment["SSH_AUTH_SOCK"], !path.isEmpty else {
            throw TrustError(.agent(reason: "SSH_AUTH_SOCK is not set, and KEY is a public key"))
        }
        self.publicKey = publicKey
        socketPath = path
    }

    /// An SSH signature blob over `data`, made by the agent.
    public func sign(_ data: [UInt8]) throws -> [UInt8] {
        var request = SSHWireWriter()
        request.byte(13)  // SSH_AGENTC_SIGN_REQUEST
        request.string(publicKey.blob)
        request.string(data)
        request.uint32(0)
        var framed = SSHWireWriter()
        framed.string(request.bytes)
        let signature = try Self.signature(fromAnswer: exchange(framed.bytes), key: publicKey)
        guard publicKey.verifies(signature, over: data) else {
            throw TrustError(.agent(reason: "the agent returned a signature that does not verify"))
        }
        return signature
    }

    /// The signature blob in an agent's answer (without its length), or why there is none.
    static func signature(fromAnswer answer: [UInt8], key: SSHPublicKey) throws -> [UInt8] {
        var reader = SSHWireReader(answer, what: "ssh-agent answer")
        switch try reader.byte() {
        case 14:  // SSH_AGENT_SIGN_RESPONSE
            let signature = try reader.string()
            try reader.requireEnd()
            return signature
        case 5:  // SSH_AGENT_FAILURE
            throw TrustError(
                .agent(
                    reason: "the agent refused to sign with \(key.fingerprint) (is it added? 'ssh-add -L')"))
        default:
            throw TrustError(.malformed(what: "ssh-agent answer"))
        }
    }

    /// Sends one framed message and reads one framed answer (without its length).
    private func exchange(_ message: [UInt8]) throws -> [UInt8] {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TrustError(.agent(reason: "cannot make a socket")) }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: Self.timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TrustError(.agent(reason: "SSH_AUTH_SOCK is too long a path"))
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw TrustError(
                .agent(reason: "cannot connect to \(socketPath): \(String(cString: strerror(errno)))"))
        }
        var sent = 0
        while sent < message.count {
            let count = message[sent...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw TrustError(.agent(reason: "the agent closed the connection")) }
            sent += count
        }
        let header = try receive(descriptor, count: 4)
        let length = header.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard length > 0, length <= Self.maxAnswerBytes else {
            throw TrustError(.malformed(what: "ssh-agent answer"))
        }
        return try receive(descriptor, count: Int(length))
    }

    private func receive(_ descriptor: Int32, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = buffer[received...].withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, 0)
            }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else {
                throw TrustError(.agent(reason: "the agent did not answer (closed or timed out)"))
            }
            received += got
        }
        return buffer
    }
}
