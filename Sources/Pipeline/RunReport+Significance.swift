import Diagnostics

extension RunReport {
    /// What a gate with a confidence level found, in one line, e.g.
    /// "accuracy 0.912, drop 0.004 [-0.002, 0.010] vs 0.916 — inconclusive, this test set
    /// detects drops ≥ 0.012 (mcnemar, paired, n 1000, 95 %)"; nil for a plain gate.
    public static func significanceLine(_ gate: GateResult) -> String? {
        guard let confidence = gate.confidence, gate.status != .noBaseline, gate.status != .missing else {
            return nil
        }
        let name = TerminalText.cell(gate.metric, limit: nameWidth)
        let level = format(confidence * 100) + " %"
        guard let interval = gate.interval, interval.count == 2, let outcome = gate.outcome else {
            return
                "\(name) \(format(gate.value)): no per-example results for this metric; judged on the value alone (\(level) asked)"
        }
        let range = "[\(format(interval[0])), \(format(interval[1]))]"
        let detects: String
        var text: String
        switch gate.kind {
        case .min, .max:
            text = "\(name) \(format(gate.value)) \(range), \(describeLimit(gate))"
            detects = "differences"
        case .maxDrop, .maxRise:
            let word = gate.kind == .maxDrop ? "drop" : "rise"
            let change = gate.delta.map { gate.kind == .maxDrop ? -$0 : $0 }
            text =
                "\(name) \(format(gate.value)), \(word) \(format(change)) \(range) vs \(format(gate.baseline))"
            text += " (allowed \(describeLimit(gate)))"
            detects = "\(word)s"
        }
        text += " — \(outcome)"
        if let mde = gate.mde { text += ", this test set detects \(detects) ≥ \(format(mde))" }
        var facts = [gate.method ?? "?"]
        if gate.kind == .maxDrop || gate.kind == .maxRise {
            facts.append(gate.paired == true ? "paired" : "unpaired")
        }
        if let n = gate.n { facts.append("n \(n)") }
        facts.append(level)
        return text + " (\(facts.joined(separator: ", ")))"
    }

    /// The significance lines of a record's gates, indented, or nil when no gate has a confidence.
    public static func significanceLines(_ gates: [GateResult]) -> String? {
        let lines = gates.compactMap(significanceLine)
        return lines.isEmpty ? nil : lines.map { "  " + $0 }.joined(separator: "\n")
    }
}
