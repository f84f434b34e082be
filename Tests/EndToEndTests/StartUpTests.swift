import Foundation
import TestSupport
import Testing

/// The command lines the built binary leaves to ArgumentParser (the others take its fast path,
/// `FastArguments`, compared with ArgumentParser in ModelgateTests).
@Suite struct StartUpTests {
    /// The lines the fast path declines are ArgumentParser's: an unknown flag is its usage error
    /// (exit 64) and --help its help, through the binary.
    @Test func declinedLinesAreArgumentParsers() throws {
        let fixture = try RunTests.Fixture()
        let unknown = try ModelgateBinary.run(["status", "--bogus"], in: fixture.repo.url)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Error: Unknown option '--bogus'"))
        #expect(unknown.stderr.contains("Usage: modelgate status"))
        let extra = try ModelgateBinary.run(["verify", "HEAD", "HEAD"], in: fixture.repo.url)
        #expect(extra.status == 64)
        let help = try ModelgateBinary.run(["status", "--help"], in: fixture.repo.url)
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: modelgate status"))
    }
}
