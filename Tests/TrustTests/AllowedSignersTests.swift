import Foundation
import TestSupport
import Testing

@testable import Trust

@Suite struct AllowedSignersTests {
    let key: SSHPublicKey
    let keyText: String

    init() throws {
        let directory = try TemporaryDirectory(prefix: "signers")
        let pair = try SSHKeyPair(named: "ci", in: directory.url)
        keyText = try pair.publicLine().split(separator: " ").prefix(2).joined(separator: " ")
        key = try SSHPublicKey(line: keyText)
    }

    func signers(_ text: String) throws -> AllowedSigners {
        try AllowedSigners(Array(text.utf8), location: "allowed_signers")
    }

    @Test func trustsAListedKeyForItsNamespaces() throws {
        let file = try signers(
            """
            # the CI key
            ci@example.com,"release bot" namespaces="modelgate-verdict,git" \(keyText) comment here

            """)
        #expect(
            file.standing(of: key, namespace: "modelgate-verdict")
                == .trusted(principal: "ci@example.com,\"release bot\""))
        #expect(
            file.standing(of: key, namespace: "file")
                == .otherNamespace(principal: "ci@example.com,\"release bot\""))
    }

    @Test func validityWindowsAreHonoured() throws {
        let file = try signers("ci@example.com valid-before=\"20200101\" \(keyText)\n")
        guard case .expired(let principal, _) = file.standing(of: key, namespace: "modelgate-verdict") else {
            Issue.record("an expired key was not reported as expired")
            return
        }
        #expect(principal == "ci@example.com")
        let later = try signers("ci@example.com valid-after=20991231235959Z \(keyText)\n")
        #expect(
            later.standing(of: key, namespace: "modelgate-verdict") != .trusted(principal: "ci@example.com"))
        let window = try signers("ci@example.com valid-after=20200101,valid-before=20991231Z \(keyText)\n")
        #expect(
            window.standing(of: key, namespace: "modelgate-verdict") == .trusted(principal: "ci@example.com"))
    }

    @Test func anUnlistedKeyIsUnknown() throws {
        let directory = try TemporaryDirectory(prefix: "signers")
        let other = try SSHPublicKey(line: SSHKeyPair(named: "other", in: directory.url).publicLine())
        #expect(
            try signers("ci@example.com \(keyText)\n").standing(of: other, namespace: "modelgate-verdict")
                == .unknown)
    }

    @Test func certAuthorityAndBadLinesAreRefusedWithTheirLine() throws {
        #expect(throws: TrustError.self) { try signers("\n*@example.com cert-authority \(keyText)\n") }
        do {
            _ = try signers("\n*@example.com cert-authority \(keyText)\n")
        } catch let error as TrustError {
            #expect(error.location == "allowed_signers:2")
            #expect(error.summary.contains("cert-authority"))
        }
        for bad in [
            "ci@example.com", "ci@example.com ssh-ed25519 AAAA", "ci@example.com bogus=1 \(keyText)",
            "ci@example.com valid-before=2020 \(keyText)", "ci@example.com valid-before=20201399 \(keyText)",
            "\"ci@example.com \(keyText)", "ci@example.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
        ] {
            #expect(throws: TrustError.self, "\(bad)") { try signers(bad) }
        }
    }

    @Test func patternsMatchLikeOpenSSH() {
        #expect(Pattern.matchesList("ci@example.com", ["*@example.com"]))
        #expect(Pattern.matchesList("modelgate-verdict", ["modelgate-*", "!git"]))
        #expect(!Pattern.matchesList("git", ["*", "!git"]))
        #expect(Pattern.matches(Array("abc".utf8), Array("a?c".utf8)))
        #expect(!Pattern.matches(Array("abc".utf8), Array("a?".utf8)))
        // Many stars over a long name stay fast (no exponential backtracking).
        #expect(
            !Pattern.matches(
                Array(repeating: UInt8(ascii: "a"), count: 4000),
                Array((String(repeating: "*a", count: 50) + "b").utf8)))
    }
}
