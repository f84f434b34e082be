import Foundation

/// Where a passing run's outputs go. The Artifacts module provides the store; the runner only
/// knows this protocol, so the engine does not depend on packaging.
public protocol ArtifactSink {
    /// Stores `outputs` (paths relative to `checkout`) with a manifest built from `record`, and
    /// returns the artifact's digest (`sha256:…`), which the record then names.
    func store(outputs: [String], from checkout: URL, record: RunRecord, config: PipelineConfig) throws
        -> String
}

extension PipelineConfig {
    /// Every file a run produces that belongs in the artifact: command stages' `outs` and built-in
    /// stages' model files, in stage order.
    public var outputPaths: [String] {
        stages.flatMap { stage -> [String] in
            if case .command(let command) = stage.kind { return command.outs }
            return stage.modelPath.map { [$0] } ?? []
        }
    }
}
