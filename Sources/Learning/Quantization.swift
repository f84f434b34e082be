/// The precision parameters are stored in after quantisation.
public enum QuantizationType: String, Sendable, Equatable, CaseIterable, Codable {
    /// IEEE half precision: 11 significant bits, range ±65504.
    case float16
    /// Signed 8-bit codes with one float64 scale per coefficient row (symmetric, code × scale).
    case int8
}

/// A quantised model and what it saves; the engine re-scores it and applies its bound.
public struct QuantizationResult: Sendable, Equatable {
    /// The quantised model.
    public var model: ModelFile
    /// `size_bytes` of the parameters before and after.
    public var sizeBytesBefore: Int
    /// Model file size after quantisation.
    public var sizeBytesAfter: Int
    /// The largest absolute change of any coefficient.
    public var largestChange: Double
}

/// Quantises a model's coefficient rows (weights or centres) to `type`; intercepts and
/// standardisation stay float64. `coefficients` then hold the dequantised values, which is
/// what predictions use, so re-scoring shows the metric change exactly.
public func quantize(_ model: ModelFile, to type: QuantizationType) -> QuantizationResult {
    var quantized = model
    var largestChange = 0.0
    switch type {
    case .float16:
        quantized.coefficients = model.coefficients.map { row in
            row.map { value in
                let half = Double(Float16(value))
                return half.isFinite
                    ? half
                    : (value < 0
                        ? -Double(Float16.greatestFiniteMagnitude) : Double(Float16.greatestFiniteMagnitude))
            }
        }
        quantized.quantization = ModelFile.Quantization(dtype: type.rawValue, scales: nil, codes: nil)
    case .int8:
        var scales: [Double] = []
        var codes: [[Int8]] = []
        quantized.coefficients = model.coefficients.map { row in
            let largest = row.map(abs).max() ?? 0
            let scale = largest > 0 ? largest / 127 : 1
            let rowCodes = row.map { Int8(max(-127, min(127, ($0 / scale).rounded()))) }
            scales.append(scale)
            codes.append(rowCodes)
            return rowCodes.map { Double($0) * scale }
        }
        quantized.quantization = ModelFile.Quantization(dtype: type.rawValue, scales: scales, codes: codes)
    }
    for (old, new) in zip(model.coefficients, quantized.coefficients) {
        for (a, b) in zip(old, new) { largestChange = max(largestChange, abs(a - b)) }
    }
    return QuantizationResult(
        model: quantized, sizeBytesBefore: model.sizeBytes, sizeBytesAfter: quantized.sizeBytes,
        largestChange: largestChange)
}
