import Foundation
import FuzzTargets
import Testing

/// Replays every seed and every input the fuzzers ever found (`Fuzz/corpus/<Name>/`,
/// `Fuzz/regressions/<Name>/`) through the fuzzers' own entry points, in the ordinary
/// `swift test` run: a crash, trap or hang fixed once stays fixed without a fuzzer build.
/// A trap ends the test process with the entry's stack; a hang fails the test naming its input.
@Suite struct FuzzRegressionTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// The directories under `Fuzz/` that are not targets.
    static let shared: Set<String> = ["corpus", "regressions", "dict"]

    /// The files of `Fuzz/<kind>/<target>/`, each with its path from the repository root.
    static func files(_ kind: String, of target: String) -> [(path: String, url: URL)] {
        let directory = fuzz.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map {
            ("Fuzz/\(kind)/\(target)/\($0)", directory.appendingPathComponent($0))
        }
    }

    @Test func everyTargetHasAnEntryPointAnExecutableAndASeedCorpus() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.fuzz.path).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(
                atPath: Self.fuzz.appendingPathComponent($0).path, isDirectory: &isDirectory)
                && isDirectory.boolValue && !Self.shared.contains($0)
        }
        #expect(Set(directories) == Set(FuzzEntry.all.keys))
        for name in FuzzEntry.all.keys.sorted() {
            let main = try String(
                contentsOf: Self.fuzz.appendingPathComponent("\(name)/main.swift"), encoding: .utf8)
            #expect(main.contains("FuzzEntry.run(\"\(name)\""), "Fuzz/\(name)/main.swift runs another entry")
            #expect(Self.files("corpus", of: name).count >= 5, "Fuzz/corpus/\(name) needs seeds")
        }
    }

    @Test(arguments: FuzzEntry.all.keys.sorted())
    func replaysCorpusAndRegressions(target: String) throws {
        let entry = try #require(FuzzEntry.all[target])
        for file in Self.files("corpus", of: target) + Self.files("regressions", of: target) {
            let bytes = Array(try Data(contentsOf: file.url))
            #expect(Self.returns(within: 30) { entry(bytes) }, "\(file.path) hangs: no answer in 30 s")
        }
    }

    /// Runs `body` on a thread of its own (with a main thread's 8 MiB stack, so deep recursion
    /// behaves as in the command) and waits up to `seconds`: false when it has not returned.
    /// A hang then fails this one test, naming the input, instead of stalling the whole run;
    /// the bound is generous, since every input answers in milliseconds when nothing is wrong.
    static func returns(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return done.wait(timeout: .now() + seconds) == .success
    }
}
