import Foundation
import TestSupport
import Testing

@testable import Trust

/// Signatures made here verify with `ssh-keygen -Y verify`, and ssh-keygen's verify here.
@Suite struct SSHSignatureTests {
    let directory: TemporaryDirectory
    let message = Array("{\"verdict\":\"pass\"}\n".utf8)

    init() throws {
        directory = try TemporaryDirectory(prefix: "trust")
        try Data(message).write(to: directory.appending("record"))
    }

    func sshKeygenVerify(_ key: SSHKeyPair, signature: String, namespace: String = "modelgate-verdict")
        throws -> ProcessResult
    {
        try (key.allowedSignersLine(principal: "ci@example.com") + "\n").write(
            to: directory.appending("allowed"), atomically: true, encoding: .utf8)
        try signature.write(to: directory.appending("record.sig"), atomically: true, encoding: .utf8)
        return try ProcessRunner.run(
            "ssh-keygen",
            [
                "-Y", "verify", "-f", directory.appending("allowed").path, "-I", "ci@example.com", "-n",
                namespace,
                "-s", directory.appending("record.sig").path,
            ], in: directory.url, input: String(decoding: message, as: UTF8.self))
    }

    @Test(arguments: ["ed25519", "ecdsa"])
    func ourSignatureVerifiesWithSSHKeygen(type: String) throws {
        let key = try SSHKeyPair(type, named: "ci", in: directory.url)
        let signer = try SigningKey.load(key.privateKey.path, environment: [:])
        let signature = try SSHSignature.make(over: message, signer: signer)
        let result = try sshKeygenVerify(key, signature: signature.armored)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("Good \"modelgate-verdict\" signature for ci@example.com"))
        // The same signature over other bytes is refused by ssh-keygen too.
        let other = try ProcessRunner.run(
            "ssh-keygen",
            [
                "-Y", "verify", "-f", directory.appending("allowed").path, "-I", "ci@example.com", "-n",
                "modelgate-verdict", "-s", directory.appending("record.sig").path,
            ], in: directory.url, input: "{\"verdict\":\"fail\"}\n")
        #expect(other.status != 0)
    }

    @Test(arguments: ["ed25519", "ecdsa"])
    func sshKeygenSignatureVerifiesHere(type: String) throws {
        let key = try SSHKeyPair(type, named: "ci", in: directory.url)
        let signed = try ProcessRunner.run(
            "ssh-keygen",
            [
                "-Y", "sign", "-f", key.privateKey.path, "-n", "modelgate-verdict",
                directory.appending("record").path,
            ],
            in: directory.url)
        #expect(signed.status == 0, "\(signed.output)")
        let armored = try Data(contentsOf: directory.appending("record.sig"))
        let signature = try SSHSignature(armored: [UInt8](armored))
        try signature.verify(message)
        #expect(signature.publicKey == (try SSHPublicKey(line: try key.publicLine())))
        #expect(throws: TrustError(.badSignature)) { try signature.verify(message + [0x20]) }
        #expect(throws: TrustError(.wrongNamespace(found: "modelgate-verdict", expected: "git"))) {
            try signature.verify(message, namespace: "git")
        }
        // ssh-keygen's own fingerprint of the key is ours.
        let listed = try ProcessRunner.run("ssh-keygen", ["-l", "-f", key.publicKey.path], in: directory.url)
        #expect(listed.stdout.contains(signature.publicKey.fingerprint))
    }

    @Test func signsThroughARealSSHAgent() throws {
        let key = try SSHKeyPair(named: "agent-key", in: directory.url)
        let socket = directory.appending("agent.sock").path
        let agent = try ProcessRunner.start("ssh-agent", ["-D", "-a", socket], in: directory.url)
        defer {
            kill(agent.processIdentifier, SIGKILL)  // the agent ignores SIGTERM when spawned with it blocked
            _ = try? agent.wait()
        }
        var added: ProcessResult?
        for _ in 0..<200 {  // the agent creates its socket shortly after starting
            added = try ProcessRunner.run(
                "ssh-add", [key.privateKey.path], in: directory.url, environment: ["SSH_AUTH_SOCK": socket])
            if added?.status == 0 { break }
            usleep(20_000)
        }
        #expect(added?.status == 0, "\(added?.output ?? "")")
        let signer = try SigningKey.load(key.publicKey.path, environment: ["SSH_AUTH_SOCK": socket])
        #expect(signer is SSHAgentSigner)
        let signature = try SSHSignature.make(over: message, signer: signer)
        #expect(try sshKeygenVerify(key, signature: signature.armored).status == 0)

        // A key the agent does not hold: the agent refuses, and the error says so.
        let stranger = try SSHKeyPair(named: "stranger", in: directory.url)
        let refusing = try SigningKey.load(stranger.publicKey.path, environment: ["SSH_AUTH_SOCK": socket])
        #expect {
            try SSHSignature.make(over: message, signer: refusing)
        } throws: { error in
            guard case .agent(let reason)? = (error as? TrustError)?.problem else { return false }
            return reason.contains("refused")
        }
    }

    @Test func encryptedKeyIsRefusedWithTheAgentHint() throws {
        let key = try SSHKeyPair(named: "locked", in: directory.url, passphrase: "secret phrase")
        #expect {
            try SigningKey.load(key.privateKey.path, environment: [:])
        } throws: { error in
            let trust = error as? TrustError
            return trust?.problem == .encryptedKey && trust?.hint?.contains("ssh-add") == true
        }
    }

    @Test func publicKeyWithoutAgentIsAClearError() throws {
        let key = try SSHKeyPair(named: "ci", in: directory.url)
        #expect {
            try SigningKey.load(key.publicKey.path, environment: [:])
        } throws: { error in
            guard case .agent(let reason)? = (error as? TrustError)?.problem else { return false }
            return reason.contains("SSH_AUTH_SOCK")
        }
    }

    @Test func everyTruncationAndBitFlipOfASignatureIsRefusedWithoutTrapping() throws {
        let key = try SSHKeyPair(named: "ci", in: directory.url)
        let signature = try SSHSignature.make(
            over: message, signer: SigningKey.load(key.privateKey.path, environment: [:]))
        let blob = signature.blob
        for length in 0..<blob.count {
            #expect(throws: TrustError.self) { try SSHSignature(blob: Array(blob.prefix(length))) }
        }
        for index in stride(from: 0, to: blob.count, by: 3) {
            var flipped = blob
            flipped[index] ^= 0x41
            if let parsed = try? SSHSignature(blob: flipped) {
                #expect(throws: TrustError.self) { try parsed.verify(message) }
            }
        }
    }
}
