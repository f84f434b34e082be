import Foundation
import Testing

@testable import Artifacts

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The decisions of `RegistryAuth` one by one: which host is this machine, what a challenge
/// says, where credentials may go, what a redirect keeps.
@Suite struct RegistryAuthTests {
    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("127.255.255.255", true), ("::1", true), ("[::1]", true),
        ("::ffff:127.0.0.1", true), ("0:0:0:0:0:0:0:1", true), ("localhost", true), ("LOCALHOST", true),
        ("127.evil.example", false), ("127.0.0.1.nip.io", false), ("localhost.evil.example", false),
        ("evil.localhost", false), ("128.0.0.1", false), ("126.255.255.255", false), ("10.0.0.1", false),
        ("::2", false), ("::ffff:10.0.0.1", false), ("127.1", false), ("0x7f.0.0.1", false),
        ("127.0.0.1\0.evil.example", false), ("", false), ("[]", false),
    ])
    func loopbackIsDecidedByTheAddress(host: String, expected: Bool) {
        #expect(LoopbackHost.isLoopback(host) == expected, "\(host)")
    }

    @Test func referencesOnlyCountAsLoopbackWhenTheirHostIsAnAddressOfThisMachine() throws {
        #expect(try RegistryReference(parsing: "127.0.0.1:5000/a:v1").isLoopback)
        #expect(try RegistryReference(parsing: "[::1]:5000/a:v1").isLoopback)
        #expect(try RegistryReference(parsing: "localhost:5000/a:v1").isLoopback)
        #expect(try !RegistryReference(parsing: "127.evil.example/a:v1").isLoopback)
        #expect(try !RegistryReference(parsing: "127.evil.example:5000/a:v1").isLoopback)
        for bad in [
            "exa mple.com/a:v1", "host.example:99999/a", "host.example:5000:1/a", "-host.example/a",
            "[::1/a", "user@host.example/a", "host.example:/a",
        ] {
            #expect(throws: ArtifactError.self, "\(bad)") { try RegistryReference(parsing: bad) }
        }
    }

    @Test func parsesChallenges() {
        let bearer = RegistryChallenge.parse(
            Array(
                #"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#
                    .utf8))
        #expect(
            bearer == [
                RegistryChallenge(
                    scheme: "Bearer",
                    parameters: [
                        "realm": "https://auth.example.com/token", "service": "registry.example.com",
                        "scope": "repository:a/b:pull,push",
                    ])
            ])
        // Two challenges in one value (URLSession joins repeated headers with ", "), spaces,
        // unquoted values, escapes, upper-case names.
        let two = RegistryChallenge.parse(
            Array(#"Basic realm="reg \"x\"" , Bearer  REALM = https://t.example/token, service=reg"#.utf8))
        #expect(two.map(\.scheme) == ["Basic", "Bearer"])
        #expect(two.first?.parameters["realm"] == #"reg "x""#)
        #expect(two.last?.parameters == ["realm": "https://t.example/token", "service": "reg"])
        #expect(RegistryChallenge.preferred(two)?.scheme == "Bearer")
        // token68, a bare scheme, garbage, an unterminated quote: what parses is kept.
        #expect(
            RegistryChallenge.parse(Array("Negotiate abc==, Basic realm=x".utf8)).map(\.scheme) == [
                "Negotiate", "Basic",
            ])
        #expect(
            RegistryChallenge.parse(Array("Basic".utf8)) == [
                RegistryChallenge(scheme: "Basic", parameters: [:])
            ])
        #expect(RegistryChallenge.parse(Array("= , ,\"\"".utf8)).isEmpty)
        #expect(
            RegistryChallenge.parse(Array(#"Bearer realm="https://a"#.utf8)).first?.parameters["realm"]
                == "https://a")
        #expect(RegistryChallenge.parse([0xFF, 0x00, 0x22, 0x5C]).count <= 1)
        // Bounded: 16 challenges at most, whatever the input holds.
        #expect(RegistryChallenge.parse(Array(String(repeating: "Basic, ", count: 5000).utf8)).count == 16)
    }

    private func auth(_ registry: String, credentials: Bool = true) throws -> RegistryAuth {
        try RegistryAuth(
            registry: try #require(Origin(URL(string: registry))), name: "reg",
            credentials: credentials
                ? RegistryCredentials(username: "ada", password: "pa55word", origin: "test") : nil,
            scope: "repository:a:pull")
    }

    @Test func credentialsGoOnlyWhereTheyMayAndNeverInClearTextOffThisMachine() throws {
        let secure = try auth("https://reg.example.com")
        #expect(
            secure.mayReceiveCredentials(try #require(Origin(URL(string: "https://auth.example.com/token")))))
        #expect(
            !secure.mayReceiveCredentials(try #require(Origin(URL(string: "http://auth.example.com/token")))))
        // An HTTPS registry's realm may not be plain HTTP, not even on loopback.
        #expect(
            !secure.mayReceiveCredentials(try #require(Origin(URL(string: "http://127.0.0.2:5001/token")))))
        let local = try auth("http://127.0.0.1:5000")
        #expect(local.mayReceiveCredentials(try #require(Origin(URL(string: "http://127.0.0.2:5001/token")))))
        #expect(
            !local.mayReceiveCredentials(try #require(Origin(URL(string: "http://127.evil.example/token")))))
        #expect(throws: RegistryError.credentialsOverPlainHTTP(registry: "reg")) {
            try auth("http://127.evil.example:5000")
        }
        #expect(try auth("http://127.evil.example:5000", credentials: false).credentials == nil)
    }

    @Test func redirectsDropTheAuthorizationOnAnyOtherOriginAndNeverDowngrade() throws {
        let auth = try auth("https://reg.example.com")
        func request(_ url: String) -> URLRequest {
            var request = URLRequest(url: URL(string: url)!)
            request.setValue("Bearer secret", forHTTPHeaderField: "Authorization")
            return request
        }
        let from = URL(string: "https://reg.example.com/v2/a/blobs/sha256:x")
        func kept(_ url: String, count: Int = 1) throws -> String? {
            try auth.redirect(request(url), from: from, count: count, carriesSecret: false).get()
                .value(forHTTPHeaderField: "Authorization")
        }
        #expect(try kept("https://reg.example.com/other") == "Bearer secret")
        #expect(try kept("https://REG.example.com:443/other") == "Bearer secret")
        #expect(try kept("https://cdn.example.com/blob") == nil)
        #expect(try kept("https://reg.example.com:8443/blob") == nil)
        #expect(throws: RegistryError.self) { try kept("http://reg.example.com/blob") }
        #expect(throws: RegistryError.tooManyRedirects(url: auth.redact(from!.absoluteString), limit: 10)) {
            try kept("https://reg.example.com/other", count: 11)
        }
        #expect(throws: RegistryError.secretRedirected(to: auth.redact("https://cdn.example.com/token"))) {
            try auth.redirect(
                request("https://cdn.example.com/token"), from: from, count: 1, carriesSecret: true
            ).get()
        }
        // Plain HTTP to another port of the same host is another origin too.
        let local = try self.auth("http://127.0.0.1:5000")
        let moved = try local.redirect(
            request("http://127.0.0.1:5001/x"), from: URL(string: "http://127.0.0.1:5000/v2/"), count: 1,
            carriesSecret: false
        ).get()
        #expect(moved.value(forHTTPHeaderField: "Authorization") == nil)
        #expect(local.authorization(for: URL(string: "http://127.0.0.1:5001/x")!) == nil)
    }

    @Test func messagesNeverHoldTheSecret() throws {
        let auth = try RegistryAuth(
            registry: try #require(Origin(URL(string: "https://reg.example.com"))), name: "reg",
            credentials: RegistryCredentials(username: "ada", password: "pa55 w/rd", origin: "test"),
            scope: "repository:a:pull")
        let basic = Data("ada:pa55 w/rd".utf8).base64EncodedString()
        let text = auth.redact("you sent Basic \(basic) and pa55 w/rd, ?p=pa55%20w%2Frd\u{1B}[31m\r\u{202E}")
            .description
        #expect(
            text == "you sent Basic [redacted] and [redacted], ?p=[redacted]\u{241B}[31m\u{240D}\\u{202E}")
        #expect(auth.redact(String(repeating: "x", count: 1000)).description.count == 300)
        #expect(auth.redact("abcdef", limit: 4).description == "abc…")
    }

    /// An upload may go to another host (the registry's storage), resolved against the URL that
    /// answered, but never from HTTPS to plain HTTP; its text in the error is redacted.
    @Test func uploadLocationsFollowTheRedirectRule() throws {
        let auth = try auth("https://reg.example.com")
        let answered = try #require(URL(string: "https://reg.example.com/v2/a/blobs/uploads/"))
        #expect(
            try auth.uploadLocation("/v2/a/blobs/uploads/1?state=x", from: answered).absoluteString
                == "https://reg.example.com/v2/a/blobs/uploads/1?state=x")
        #expect(
            try auth.uploadLocation("https://s3.example.com/up/1", from: answered).absoluteString
                == "https://s3.example.com/up/1")
        // Relative to the storage that answered, not to the registry.
        #expect(
            try auth.uploadLocation("/up/2", from: try #require(URL(string: "https://s3.example.com/up/1")))
                .absoluteString == "https://s3.example.com/up/2")
        #expect(
            throws: RegistryError.insecureUploadLocation(
                from: auth.redact(answered.absoluteString),
                to: auth.redact("http://s3.example.com/up/1?p=[redacted]"))
        ) { try auth.uploadLocation("http://s3.example.com/up/1?p=pa55word", from: answered) }
        #expect(throws: RegistryError.noUploadLocation(registry: "reg")) {
            try auth.uploadLocation("ftp://s3.example.com/up", from: answered)
        }
        #expect(throws: RegistryError.noUploadLocation(registry: "reg")) {
            try auth.uploadLocation(nil, from: answered)
        }
        // Plain HTTP to plain HTTP (a registry on this machine) is allowed.
        let local = try self.auth("http://127.0.0.1:5000")
        #expect(
            try local.uploadLocation(
                "http://127.0.0.2:5001/up", from: try #require(URL(string: "http://127.0.0.1:5000/v2/"))
            )
            .host == "127.0.0.2")
    }

    /// The time an exchange gets: five minutes to see each answer's head (plus a second per
    /// 16 KiB sent), and in all that plus a second per 16 KiB it may receive.
    @Test func exchangesGetTimeForWhatTheyMoveAndNoMore() {
        let start = ContinuousClock.now
        let blob = ExchangeBudget(sending: 0, receiving: 160 << 10, from: start)
        #expect(blob.head == .seconds(300) && blob.whole == .seconds(310))
        // Waiting for a head (a redirect's body that never ends is never seen).
        #expect(blob.overrun(waitingSince: start, at: start + .seconds(299)) == nil)
        #expect(blob.overrun(waitingSince: start, at: start + .seconds(301)) == .seconds(300))
        // A redirect starts a new wait for a head, within the whole.
        #expect(blob.overrun(waitingSince: start + .seconds(200), at: start + .seconds(301)) == nil)
        // Head seen: a body dripping a byte a minute is stopped at the end of the whole.
        #expect(blob.overrun(waitingSince: nil, at: start + .seconds(309)) == nil)
        #expect(blob.overrun(waitingSince: nil, at: start + .seconds(311)) == .seconds(310))
        let upload = ExchangeBudget(sending: 16 << 20, receiving: 64 << 10, from: start)
        #expect(upload.head == .seconds(300 + 1024) && upload.whole == .seconds(300 + 1024 + 4))
        // Sizes no budget can hold are capped, never trapped on.
        let huge = ExchangeBudget(sending: .max, receiving: .max, from: start)
        #expect(huge.whole == .seconds(300 + 2 * 31_536_000))
        #expect(ExchangeBudget(sending: -5, receiving: -5, from: start).whole == .seconds(300))
    }

    @Test func registryDocumentsAreCheckedBeforeTheyAreTrusted() throws {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        func manifest(_ layer: String) -> Data {
            Data(
                #"{"schemaVersion":2,"config":{"mediaType":"c","digest":"\#(digest)","size":2},"layers":[\#(layer)]}"#
                    .utf8)
        }
        #expect(
            try RegistryDocument.manifest(manifest(#"{"mediaType":"l","digest":"\#(digest)","size":5}"#))
                .layers.count == 1)
        for bad in [
            #"{"mediaType":"l","digest":"\#(digest)","size":-5}"#,
            #"{"mediaType":"l","digest":"sha256:../../etc","size":5}"#,
            #"{"mediaType":"l","digest":"\#(digest.uppercased())","size":5}"#,
            #"{"mediaType":"l","digest":"\#(digest)","size":1e30}"#,
            #"{"mediaType":"l","digest":"\#(digest)"}"#,
        ] {
            #expect(throws: RegistryDocument.Invalid.self, "\(bad)") {
                try RegistryDocument.manifest(manifest(bad))
            }
        }
        #expect(throws: RegistryDocument.Invalid.self) { try RegistryDocument.manifest(Data("[".utf8)) }
        #expect(try RegistryDocument.token(Data(#"{"access_token":"abc"}"#.utf8)) == "abc")
        #expect(try RegistryDocument.token(Data(#"{"token":"","access_token":"abc"}"#.utf8)) == "abc")
        #expect(throws: RegistryDocument.Invalid.self) {
            try RegistryDocument.token(Data(#"{"token":"a\r\nX: y"}"#.utf8))
        }
        #expect(throws: RegistryDocument.Invalid.self) { try RegistryDocument.token(Data("{}".utf8)) }
        #expect(
            RegistryDocument.errors(Data(#"{"errors":[{"code":"DENIED","message":"no"}]}"#.utf8)).first?.code
                == "DENIED")
        #expect(RegistryDocument.errors(Data("<html>".utf8)).isEmpty)
    }

    /// The fuzzing entry points on inputs made by mutating valid ones (a fixed seed, so a failure
    /// repeats): none traps, hangs or throws anything but its own error.
    @Test func parsersSurviveMangledInput() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let seeds = [
            #"Bearer realm="https://auth.example.com/token",service="reg",scope="repository:a/b:pull""#,
            #"Basic realm="x", Negotiate abc==, Digest nonce=""q"""#,
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"c","digest":"\#(digest)","size":2},"layers":[{"mediaType":"l","digest":"\#(digest)","size":5}]}"#,
            #"{"schemaVersion":2,"manifests":[{"mediaType":"m","digest":"\#(digest)","size":5,"platform":{"os":"linux","architecture":"amd64"}}]}"#,
            #"{"created":"x","architecture":"amd64","os":"linux","config":{"Labels":{},"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["\#(digest)"]},"history":[]}"#,
            #"{"token":"abc","access_token":"def"}"#, #"{"errors":[{"code":"DENIED","message":"no"}]}"#,
            "127.0.0.1:5000/team/model:v1@\(digest)", "[::1]:5000/a/b:c",
        ].map { Array($0.utf8) }
        let pool = Array("\"\\,={}[]: \0".utf8)
        for round in 0..<3000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(next() % 8)) {
                let position = bytes.isEmpty ? 0 : Int(next() % UInt64(bytes.count))
                switch next() % 4 {
                case 0 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: next())
                case 1: bytes.insert(pool[Int(next() % UInt64(pool.count))], at: position)
                case 2 where !bytes.isEmpty: bytes.remove(at: position)
                default:
                    bytes = Array(bytes.prefix(position)) + Array(bytes.suffix(from: position)).reversed()
                }
            }
            let data = Data(bytes)
            _ = RegistryChallenge.parse(bytes)
            _ = LoopbackHost.isLoopback(String(decoding: bytes, as: UTF8.self))
            _ = RegistryDocument.mediaType(data)
            _ = RegistryDocument.errors(data)
            for decode in [
                { _ = try RegistryDocument.manifest(data) }, { _ = try RegistryDocument.index(data) },
                { _ = try RegistryDocument.diffIDs(data) }, { _ = try RegistryDocument.token(data) },
            ] {
                do { try decode() } catch is RegistryDocument.Invalid {}
            }
            do { _ = try RegistryReference.parse(bytes) } catch is ArtifactError {}
        }
    }
}
