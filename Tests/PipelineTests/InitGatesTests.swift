import Pipeline
import Testing

@testable import Pipeline

/// The trainer and gates `modelgate init` writes, and the detectable drop its comment states.
@Suite struct InitGatesTests {
    /// (z₀.₉₅ + z₀.₈) · √(2 · 0.5 · 0.5 / 41) = (1.6448536 + 0.8416212) · 0.1104315 = 0.274590.
    @Test func minimumDetectableDropIsTheTwoProportionNormalApproximation() {
        #expect(abs(InitGates.normalQuantile(0.975) - 1.959_963_985) < 1e-8)
        #expect(abs(InitGates.normalQuantile(0.8) - 0.841_621_234) < 1e-8)
        #expect(abs(InitGates.minimumDetectableDrop(accuracy: 0.5, testRows: 41) - 0.274_590) < 1e-5)
        // Four times the rows halve it; a more accurate model's drops are easier to see.
        let quarter = InitGates.minimumDetectableDrop(accuracy: 0.5, testRows: 164)
        #expect(abs(quarter - 0.274_590 / 2) < 1e-5)
        #expect(InitGates.minimumDetectableDrop(accuracy: 0.9, testRows: 41) < quarter * 2)
        #expect(InitGates.minimumDetectableDrop(accuracy: 0.5, testRows: 0) == .infinity)
    }

    @Test func theTargetsValuesChooseTheTask() {
        #expect(
            InitGates.task(ofTarget: ["0", "1", "1", "0", ""])
                == .classification(classes: 2, majorityShare: 0.5))
        #expect(
            InitGates.task(ofTarget: ["a", "b", "b", "c"]) == .classification(classes: 3, majorityShare: 0.5))
        #expect(InitGates.task(ofTarget: ["1.5", "2", "3"]) == .regression)
        #expect(InitGates.task(ofTarget: (0..<11).map(String.init)) == .regression)
        #expect(InitGates.task(ofTarget: []) == .regression)
        #expect(InitGates.task(ofTarget: ["yes", "yes"]) == .regression)
    }

    @Test func baselineGatesAreWrittenWithAndWithoutConfidence() {
        let task = InitGates.Task.classification(classes: 3, majorityShare: 0.381)
        let plain = InitGates.gates(for: task, testRows: 41, withConfidence: false)
        #expect(
            plain == """
                  - {metric: accuracy, min: 0.39}    # better than always answering the most common class
                  # about 41 test rows: at 95 % confidence and 80 % power they detect an accuracy drop of
                  # 0.275 (accuracy near 0.5) or 0.165 (near 0.9); smaller drops are noise here
                  # size 'max_drop' accordingly, or add test rows
                  - {metric: accuracy, max_drop: 0.02}
                  - {metric: f1, max_drop: 0.02}
                  - {metric: roc_auc, max_drop: 0.02}

                """)
        let confident = InitGates.gates(for: task, testRows: 41, withConfidence: true)
        #expect(
            confident == """
                  - {metric: accuracy, min: 0.39}    # better than always answering the most common class
                  # about 41 test rows: at 95 % confidence and 80 % power they detect an accuracy drop of
                  # 0.275 (accuracy near 0.5) or 0.165 (near 0.9); smaller drops are noise here
                  # with 'confidence', a baseline gate fails only when the data show a drop beyond its limit
                  - {metric: accuracy, max_drop: 0.02, confidence: 0.95}
                  - {metric: f1, max_drop: 0.02, confidence: 0.95}
                  - {metric: roc_auc, max_drop: 0.02, confidence: 0.95}

                """)
        let regression = InitGates.gates(for: .regression, testRows: 60, withConfidence: true)
        #expect(regression.contains("  - {metric: r2, max_drop: 0.02, confidence: 0.95}"))
        #expect(
            !InitGates.gates(for: .regression, testRows: 60, withConfidence: false).contains("confidence"))
        // What init writes today follows the switch the merge flips.
        #expect(
            InitGates.gates(for: task, testRows: 41)
                == InitGates.gates(for: task, testRows: 41, withConfidence: InitGates.writesConfidence))
    }
}
