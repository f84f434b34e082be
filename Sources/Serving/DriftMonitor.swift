import Learning
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Input drift per feature: the population stability index (PSI) of the most recent rows served
/// against the training rows' distribution recorded in the model file (`feature_profile`).
///
/// Mechanism: each served row is reduced to one bin per feature, using the training profile's
/// decile edges; a ring buffer keeps the bins of the last `window` rows and a running count per
/// bin, so memory is fixed (`window × features` bytes) and a row costs one binary search per
/// feature. `psi()` computes, per feature, Σ (a − e) · ln(a / e) over bins, where a is the bin's
/// share of the window and e its share of the training rows, each floored at `epsilon` so an
/// empty bin gives a large but finite term. Rule of thumb: below 0.1 stable, above 0.25 shifted.
/// With no rows served yet every PSI is 0.
final class DriftMonitor: Sendable {
    /// Rows in the window.
    static let window = 1000
    /// The floor of a bin's share, so ln stays finite.
    static let epsilon = 1e-4

    private let profile: FeatureProfile
    private struct Window {
        var bins: [UInt8]
        var counts: [[Int]]
        var next = 0
        var filled = 0
    }
    private let state: Mutex<Window>

    /// A monitor for `profile`; nil when the model has none or it does not match the features.
    init?(profile: FeatureProfile?, features: [String]) {
        guard let profile, profile.features.map(\.name) == features,
            profile.features.allSatisfy({ $0.edges.count < 255 && $0.proportions.count == $0.edges.count + 1 }
            )
        else { return nil }
        self.profile = profile
        state = Mutex(
            Window(
                bins: [UInt8](repeating: 0, count: Self.window * features.count),
                counts: profile.features.map { [Int](repeating: 0, count: $0.proportions.count) }))
    }

    /// Feature names, in order.
    var features: [String] { profile.features.map(\.name) }

    /// Adds the rows of `values` (row-major) to the window; only the last `window` rows matter.
    func record(_ values: [Double], rows: Int) {
        let width = profile.features.count
        let first = max(0, rows - Self.window)
        var binned = [UInt8](repeating: 0, count: (rows - first) * width)
        for row in first..<rows {
            for (column, feature) in profile.features.enumerated() {
                binned[(row - first) * width + column] = UInt8(feature.bin(of: values[row * width + column]))
            }
        }
        state.withLock { window in
            for row in 0..<(rows - first) {
                let slot = window.next * width
                for column in 0..<width {
                    if window.filled == Self.window {
                        window.counts[column][Int(window.bins[slot + column])] -= 1
                    }
                    let bin = binned[row * width + column]
                    window.bins[slot + column] = bin
                    window.counts[column][Int(bin)] += 1
                }
                window.next = (window.next + 1) % Self.window
                window.filled = min(window.filled + 1, Self.window)
            }
        }
    }

    /// The PSI of every feature over the window, in feature order.
    func psi() -> [Double] {
        state.withLock { window in
            guard window.filled > 0 else { return [Double](repeating: 0, count: profile.features.count) }
            return profile.features.enumerated().map { column, feature in
                var sum = 0.0
                for (bin, expected) in feature.proportions.enumerated() {
                    let actual = max(Double(window.counts[column][bin]) / Double(window.filled), Self.epsilon)
                    let reference = max(expected, Self.epsilon)
                    sum += (actual - reference) * log(actual / reference)
                }
                return sum
            }
        }
    }
}
