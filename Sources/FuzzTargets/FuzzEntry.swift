import Foundation

/// The fuzzing entry points: one function per parser of hostile input, bytes in, nothing out.
///
/// Each entry feeds the bytes to the parser the way modelgate does (same API, same options) and
/// returns when it has answered, with a value or an error. The contract under test is the
/// project's: no input crashes, traps, hangs or leaks. An entry adds a `precondition` only for
/// a promise the parser makes beyond that (e.g. extraction writes nothing outside its
/// directory), so that breaking it is a crash the fuzzer reports.
///
/// The libFuzzer executables (`Fuzz/<Name>/main.swift`) and the regression test
/// (`Tests/FuzzRegressionTests`) both call `FuzzEntry.all[name]`, so a parser's entry is wired
/// in one place: its `FuzzEntry+<Name>.swift`.
public enum FuzzEntry {
    /// Every target by name: the name of its directory under `Fuzz/`, `Fuzz/corpus/` and
    /// `Fuzz/regressions/`.
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "TarLayer": tarLayer,
        "Challenge": challenge,
        "RegistryJSON": registryJSON,
        "CSV": csv,
        "Config": config,
        "RunRecord": runRecord,
        "PrePush": prePush,
        "PathPattern": pathPattern,
        "Tag": tag,
        "Signature": signature,
        "Deployment": deployment,
        "InferenceRequest": inferenceRequest,
    ]

    /// Runs target `name` on libFuzzer's input; what `LLVMFuzzerTestOneInput` returns (0).
    public static func run(_ name: String, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        all[name]!(bytes)
        return 0
    }
}
