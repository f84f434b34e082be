import Foundation
import GitKit
import Yams

/// Reads `modelgate.yml` into a `PipelineConfig`, or fails with a `ConfigError` at `file:line:column`.
public struct ConfigLoader {
    /// The file name used in messages (relative to the repository root).
    public let file: String
    /// The built-in trainers that exist, and the metrics each one produces.
    public let catalog: BuiltinCatalog

    /// Makes a loader for `file` that knows the trainers in `catalog`.
    public init(file: String = PipelineConfig.fileName, catalog: BuiltinCatalog = .standard) {
        self.file = file
        self.catalog = catalog
    }

    /// The largest config read: a pipeline is a few kilobytes, and a file past this is refused
    /// before it is read (`load(from:)`, and the readers of a commit's or the index's config).
    public static let maxBytes = 1 << 20

    /// Reads and validates the config at `url`.
    public func load(from url: URL) throws -> PipelineConfig {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw ConfigError(
                "no \(file) in this repository", file: file, at: nil,
                hint: "run 'modelgate init' to write one, or commit the one you have")
        }
        defer { try? handle.close() }
        return try parse(try handle.read(upToCount: Self.maxBytes + 1) ?? Data())
    }

    /// Reads and validates the config in blob `id` (a commit's or the index's), refusing one of
    /// more than `maxBytes` before reading it.
    public func load(blob id: ObjectID, in repository: Repository) throws -> PipelineConfig {
        guard try repository.blobSize(id) <= Self.maxBytes else {
            throw ConfigError(.tooLarge(limit: Self.maxBytes), file: file, at: nil)
        }
        return try parse(try repository.blob(id))
    }

    /// Parses and validates config bytes, which must be UTF-8 and at most `maxBytes` long.
    public func parse(_ data: Data) throws -> PipelineConfig {
        guard data.count <= Self.maxBytes else {
            throw ConfigError(.tooLarge(limit: Self.maxBytes), file: file, at: nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("\(file) is not UTF-8 text", file: file, at: nil, hint: "save it as UTF-8")
        }
        return try parse(text)
    }

    /// Parses and validates config text.
    ///
    /// Bounded whatever the text: it must be at most `maxBytes` long, and its YAML shape is
    /// checked (`YAMLShape.config`) before Yams composes it, so an alias bomb or deep nesting is
    /// refused at its line and column instead of exhausting time or memory.
    public func parse(_ text: String) throws -> PipelineConfig {
        guard text.utf8.count <= Self.maxBytes else {
            throw ConfigError(.tooLarge(limit: Self.maxBytes), file: file, at: nil)
        }
        do throws(YAMLShape.Violation) {
            try YAMLShape.config.check(text)
        } catch {
            throw shapeError(error)
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(
                    "\(file) is empty", file: file, at: nil,
                    hint: "run 'modelgate init --force' to write a commented example")
            }
            root = node
        } catch let error as YamlError {
            throw syntaxError(error)
        }
        try rejectUnknownKeys(in: root)
        let raw: RawConfig
        do {
            raw = try YAMLDecoder().decode(RawConfig.self, from: root)
        } catch let error as DecodingError {
            throw decodingError(error, root: root)
        }
        return try ConfigValidator(file: file, catalog: catalog, root: root).validate(raw)
    }

    /// Fuzzing entry point: raw bytes as `modelgate.yml` through the whole loader (size cap,
    /// shape check, Yams, validation). It must return a config or throw a `ConfigError` (what
    /// users see as a message with a position), never crash, trap or hang; any other error would
    /// reach users as an internal error, so it stops the fuzzer too.
    package static func fuzz(_ bytes: [UInt8]) {
        do {
            _ = try ConfigLoader().parse(Data(bytes))
        } catch is ConfigError {
            return
        } catch {
            preconditionFailure("ConfigLoader threw \(type(of: error)), not a ConfigError: \(error)")
        }
    }

    private func shapeError(_ violation: YAMLShape.Violation) -> ConfigError {
        let problem: ConfigError.Problem
        switch violation.kind {
        case .tooManyNodes(let limit): problem = .tooManyValues(limit: limit)
        case .tooDeep(let limit): problem = .tooDeep(limit: limit)
        case .aliasKey: problem = .aliasKey
        case .collectionKey: problem = .collectionKey
        }
        return ConfigError(
            problem, file: file, at: SourcePosition(line: violation.line, column: violation.column))
    }

    // MARK: - Syntax and type errors, mapped to positions

    private func syntaxError(_ error: YamlError) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
            return ConfigError(
                "YAML syntax error: \(detail)", file: file, at: SourcePosition(mark),
                hint: problem.contains("cannot start any token")
                    ? "YAML does not allow tabs for indentation; indent with spaces"
                    : "check the indentation and the ':' and '-' around this position")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping",
                file: file, at: SourcePosition(context.mark), hint: "keep one of them")
        default:
            return ConfigError("\(file) cannot be read as YAML: \(error)", file: file, at: nil, hint: nil)
        }
    }

    private func decodingError(_ error: DecodingError, root: Node) -> ConfigError {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let node = root.descendant(at: context.codingPath)
            return ConfigError(
                "'\(context.codingPath.dottedPath)' should be \(Self.describe(type)), found \(node?.kindDescription ?? "nothing")",
                file: file, at: node?.position, hint: Self.example(for: context.codingPath))
        case .keyNotFound(let key, let context):
            let node = root.descendant(at: context.codingPath)
            let owner = context.codingPath.isEmpty ? "the top level" : "'\(context.codingPath.dottedPath)'"
            return ConfigError(
                "\(owner) is missing the key '\(key.stringValue)'", file: file, at: node?.position,
                hint: Self.example(for: context.codingPath + [key]))
        case .dataCorrupted(let context):
            let node = root.descendant(at: context.codingPath)
            return ConfigError(
                "'\(context.codingPath.dottedPath)' has a value that cannot be used: \(context.debugDescription)",
                file: file, at: node?.position, hint: Self.example(for: context.codingPath))
        @unknown default:
            return ConfigError("\(file) is not valid: \(error)", file: file, at: nil, hint: nil)
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("Sequence") { return "a list" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("Mapping") || name.hasPrefix("Raw")
                || name.hasSuffix("Definition")
            {
                return "a mapping"
            }
            return "a \(name)"
        }
    }

    private static func example(for path: [CodingKey]) -> String? {
        switch path.last?.stringValue {
        case "stages": return "write 'stages:' followed by '- name: train' items"
        case "name": return "give it a name, e.g. 'name: train'"
        case "deps", "outs", "features":
            return "write a list, e.g. '\(path.last!.stringValue): [a.csv, b.csv]'"
        case "metric": return "name the metric, e.g. '- {metric: r2, min: 0.9}'"
        case "gates": return "write a list, e.g. 'gates: [{metric: r2, min: 0.9}]'"
        case "env": return "write a mapping, e.g. 'env: {SEED: \"1\"}'"
        default: return nil
        }
    }

    // MARK: - Unknown keys

    private func rejectUnknownKeys(in root: Node) throws {
        try checkKeys(of: root, path: "", allowed: RawConfig.CodingKeys.allCases.map(\.rawValue))
        if let stages = root["stages"]?.sequence {
            for (index, stage) in stages.enumerated() {
                try checkKeys(
                    of: stage, path: "stages[\(index)].",
                    allowed: StageDefinition.CodingKeys.allCases.map(\.rawValue))
            }
        }
        if let gates = root["gates"]?.sequence {
            for (index, gate) in gates.enumerated() {
                try checkKeys(
                    of: gate, path: "gates[\(index)].", allowed: RawGate.CodingKeys.allCases.map(\.rawValue))
            }
        }
        if let trust = root["trust"] {
            try checkKeys(of: trust, path: "trust.", allowed: RawTrust.CodingKeys.allCases.map(\.rawValue))
        }
        if let hooks = root["hooks"] {
            try checkKeys(of: hooks, path: "hooks.", allowed: RawHooks.CodingKeys.allCases.map(\.rawValue))
        }
        if let significance = root["significance"] {
            try checkKeys(
                of: significance, path: "significance.",
                allowed: RawSignificance.CodingKeys.allCases.map(\.rawValue))
        }
    }

    private func checkKeys(of node: Node, path: String, allowed: [String]) throws {
        guard let mapping = node.mapping else { return }
        for (key, _) in mapping {
            guard let name = key.string, !allowed.contains(name) else { continue }
            let suggestion = closestMatch(to: name, in: allowed)
            throw ConfigError(
                "unknown key '\(path)\(name)'", file: file, at: key.position,
                hint: suggestion.map { "did you mean '\($0)'?" }
                    ?? "allowed here: \(allowed.joined(separator: ", "))")
        }
    }
}

extension SourcePosition {
    init(_ mark: Mark) { self.init(line: mark.line, column: mark.column) }
}

extension Node {
    /// Where this node starts in the file.
    var position: SourcePosition? { mark.map(SourcePosition.init) }

    /// The node a decoding path leads to, or the deepest one found on the way.
    func descendant(at path: [CodingKey]) -> Node? {
        var current = self
        for key in path {
            if let index = key.intValue, let sequence = current.sequence {
                guard index < sequence.count else { return current }
                current = sequence[index]
            } else if let child = current[key.stringValue] {
                current = child
            } else {
                return current
            }
        }
        return current
    }

    /// "a string", "a list", "a mapping" — for messages.
    var kindDescription: String {
        switch self {
        case .scalar(let scalar): return scalar.string.isEmpty ? "nothing" : "'\(scalar.string)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }
}

extension Array where Element == CodingKey {
    /// `stages[0].name` from a decoding path.
    var dottedPath: String {
        var text = ""
        for key in self {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }
}
