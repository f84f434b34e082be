import Foundation
import GitKit
import TestSupport
import Testing

/// libgit2's initialisation skips the CA bundle an mbedTLS build would parse, and nothing else:
/// a bundle asked for later still goes through mbedTLS's own parser.
@Suite struct LibraryStartupTests {
    /// Whether this process mapped mbedTLS's X.509 library (Debian's libgit2 links it).
    private var mbedTLSIsLoaded: Bool {
        // /proc files report size 0, so read to the end rather than by size.
        let maps =
            (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd()) ?? nil
        return String(decoding: maps ?? Data(), as: UTF8.self).contains("libmbedx509")
    }

    @Test func initialisationSkipsTheCABundleWhereMbedTLSWouldParseIt() throws {
        let repo = try TemporaryRepository()
        _ = try repo.open()
        // With mbedTLS the interposed call must have been reached (the executable exports it and
        // libgit2 bound to it); with another TLS back end there is nothing to skip.
        #expect(GitLibrary.skippedCABundleLoads == (mbedTLSIsLoaded ? 1 : 0))
    }

    @Test func aBundleLoadedLaterIsParsedForReal() throws {
        let directory = try TemporaryDirectory()
        let bundle = directory.appending("bundle.pem")
        try Data("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n".utf8)
            .write(to: bundle)
        // Skipping would accept this; the real parser refuses it.
        let error = #expect(throws: GitError.self) { try GitLibrary.loadCABundle(at: bundle.path) }
        #expect(error?.operation == "load the CA bundle")
        #expect(error?.location == bundle.path)
        #expect(error?.message.contains("failed to load CA certificates") == true || !mbedTLSIsLoaded)

        let certificate = directory.appending("cert.pem")
        let made = try ProcessRunner.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "1", "-subj", "/CN=modelgate-test", "-keyout", directory.appending("key.pem").path,
                "-out", certificate.path,
            ], in: directory.url)
        try #require(made.status == 0, "openssl req failed: \(made.stderr)")
        try GitLibrary.loadCABundle(at: certificate.path)
    }
}
