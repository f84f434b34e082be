import FuzzTargets

/// libFuzzer calls this once per input; the entry point is FuzzEntry's "InferenceRequest".
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.run("InferenceRequest", data, size)
}
