import Foundation
import Testing

@testable import Artifacts

/// How the serving layer reads the loader's answer (`ldd`) and what it lays out.
@Suite struct ServingRuntimeTests {
    @Test func lddLinesGiveLibraryAndLoaderPaths() throws {
        let output = """
            \tlinux-vdso.so.1 (0x00007ffc5a1f2000)
            \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f0e8a000000)
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e89e1f000)
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f0e8a6b4000)

            """
        #expect(
            try ServingRuntime.parseLdd(output) == [
                "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2",
            ])
    }

    @Test func aMissingLibraryRefusesThePackaging() {
        #expect(throws: ServingImageError.libraryNotFound("libmissing.so.1")) {
            try ServingRuntime.parseLdd("\tlibmissing.so.1 => not found\n")
        }
    }

    @Test func aPathWithDotDotIsRefused() {
        #expect(throws: ServingImageError.unusableLibraryPath("/lib/../etc/libx.so")) {
            try ServingRuntime.parseLdd("\tlibx.so => /lib/../etc/libx.so (0x1)\n")
        }
    }

    /// The layout around any executable: sorted, parents before children, the fixed user files.
    @Test func theRuntimeHoldsTheExecutableItsLibrariesAndTheUserFiles() throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let runtime = try ServingRuntime.collect(executable: executable)
        let paths = runtime.entries.map(\.path)
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(paths.contains("usr/local/bin/modelgate-serve"))
        #expect(paths.contains("usr/local/bin") && paths.contains("usr/local") && paths.contains("usr"))
        #expect(paths.contains { $0.hasSuffix("/libc.so.6") })
        let passwd = try #require(runtime.entries.first { $0.path == "etc/passwd" })
        guard case .bytes(let bytes) = passwd.content else {
            Issue.record("etc/passwd is not literal bytes")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self).contains("nonroot:x:65532:65532:"))
        #expect(runtime.entries.first { $0.path == "tmp" }?.mode == 0o1777)
        for entry in runtime.entries {
            #expect(!entry.path.hasPrefix("/") && !entry.path.split(separator: "/").contains(".."))
        }
    }
}
