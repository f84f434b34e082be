import Checksum
import Diagnostics
import Foundation
import GitKit

/// The inputs that determine a stage's result, and their SHA-256.
///
/// Tracked files enter by their git blob ids, which git already has: computing a fingerprint reads
/// no data. The previous stage's fingerprint is chained in, because a stage may read what earlier
/// stages wrote.
struct StageFingerprint: Codable, Equatable {
    /// The stage as configured.
    let definition: StageDefinition
    /// Path → blob id of every file the stage depends on.
    let files: [String: String]
    /// The previous stage's fingerprint, or "" for the first.
    let upstream: String
    /// "modelgate VERSION": a new version may train differently.
    let tool: String

    /// The SHA-256 of the canonical (key-sorted) JSON of these inputs.
    var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain Codable values cannot fail; a failure here would be our bug.
        let data = (try? encoder.encode(self)) ?? Data()
        return SHA256.hex(of: data)
    }
}

/// Fingerprints of every stage of a pipeline on one evaluated tree.
struct PipelineFingerprint {
    /// Per stage, in order.
    let stages: [(stage: Stage, inputs: StageFingerprint, digest: String)]
    /// The fingerprint of the whole run: the last stage's chained digest.
    var digest: String { stages.last?.digest ?? SHA256.hex(of: "") }
    /// Every input path → blob id.
    /// Every input file of the evaluated tree → blob id (baseline blobs of drift checks left out).
    var inputs: [String: String] {
        stages.reduce(into: [:]) { result, stage in
            result.merge(stage.inputs.files.filter { !$0.key.hasPrefix("baseline:") }) { first, _ in first }
        }
    }

    private init(stages: [(stage: Stage, inputs: StageFingerprint, digest: String)]) {
        self.stages = stages
    }

    /// The same fingerprints restricted to the stages `include` accepts.
    func keeping(_ include: ((stage: Stage, inputs: StageFingerprint, digest: String)) -> Bool)
        -> PipelineFingerprint
    {
        PipelineFingerprint(stages: stages.filter(include))
    }

    /// Computes the fingerprints; a dependency pattern matching nothing is a config error.
    ///
    /// `driftBaselines` maps a validate stage's name to the baseline blob its drift is measured
    /// against; it enters that stage's inputs as `baseline:<data path>`.
    init(
        config: PipelineConfig, tree: EvaluatedTree, configFile: String,
        driftBaselines: [String: String] = [:]
    ) throws {
        var upstream = ""
        var stages: [(Stage, StageFingerprint, String)] = []
        for stage in config.stages {
            var files: [String: String] = [:]
            for pattern in stage.dependencyPatterns {
                let matches = try tree.paths(matching: pattern)
                guard !matches.isEmpty else {
                    throw ConfigError(
                        "stage '\(stage.name)' depends on '\(pattern)', which matches no file in \(tree.description)",
                        file: configFile, at: stage.position,
                        hint: tree.source.isStaged
                            ? "stage the file ('git add \(pattern)') or fix the path"
                            : "commit the file or fix the path; paths are relative to the repository root")
                }
                for path in matches { files[path] = try tree.id(of: path)?.hex }
            }
            if let baselineBlob = driftBaselines[stage.name], case .validate(let validate) = stage.kind {
                files["baseline:\(validate.data)"] = baselineBlob
            }
            let inputs = StageFingerprint(
                definition: stage.definition.fingerprinted, files: files, upstream: upstream,
                tool: "\(Tool.name) \(Tool.version)")
            let digest = inputs.digest
            stages.append((stage, inputs, digest))
            upstream = digest
        }
        self.stages = stages
    }
}
