import Foundation
import Testing

@testable import Pipeline

/// Conversions from Double to an integer type that used to trap on some input.
@Suite struct TotalConversionTests {
    @Test(arguments: ["-1e300", "-5", "1e300", "nan", "-inf"])
    func aTimeoutThatIsNoDurationIsAConfigErrorNotATrap(_ value: String) {
        #expect {
            try ConfigLoader().parse("stages:\n  - {name: t, cmd: ./t, timeout: \(value)}\n")
        } throws: { error in
            (error as? ConfigError)?.summary.hasSuffix("is not a duration") == true
        }
    }

    @Test func durationsAreClamped() {
        #expect(PipelineRunner.clampedInt(.nan) == 0)
        #expect(PipelineRunner.clampedInt(-.infinity) == 0)
        #expect(PipelineRunner.clampedInt(1e300) == 1_000_000_000_000_000)
        #expect(PipelineRunner.clampedInt(-1e300) == -1_000_000_000_000_000)
        #expect(PipelineRunner.clampedInt(1234.9) == 1234)
        #expect(
            PipelineRunner.milliseconds(since: Date(timeIntervalSince1970: -1e300)) == 1_000_000_000_000_000)
    }
}
