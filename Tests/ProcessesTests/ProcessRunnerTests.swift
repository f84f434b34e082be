import Foundation
import TestSupport
import Testing

/// The tests' own process runner (`TestSupport`).
@Suite struct ProcessRunnerTests {
    @Test func aChildThatIgnoresItsInputDoesNotEndTheTests() async {
        // In a process of its own: were the input written to a pipe, SIGPIPE would end it.
        await #expect(processExitsWith: .success) {
            let input = String(repeating: "x", count: 1 << 20)  // more than a pipe holds
            let result = try ProcessRunner.run(
                "/bin/sh", ["-c", "exit 3"], in: URL(fileURLWithPath: "/"), input: input)
            #expect(result.status == 3)
        }
    }

    @Test func theChildReadsItsInput() throws {
        let result = try ProcessRunner.run(
            "/bin/sh", ["-c", "wc -c"], in: URL(fileURLWithPath: "/"), input: "hello\n")
        #expect(result.output.trimmingCharacters(in: .whitespaces) == "6")
    }
}
