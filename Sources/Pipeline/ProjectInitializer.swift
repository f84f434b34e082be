import Diagnostics
import Foundation
import GitKit

/// `modelgate init`: writes a commented `modelgate.yml` and sets up note sharing and rewriting.
public struct ProjectInitializer {
    /// What `initialize` did, for the command to print.
    public struct Summary: Codable, Equatable {
        /// The config file written.
        public var config: String
        /// The CSV files the suggested stage uses, if any were found.
        public var detectedData: [String]
        /// Config entries added (key = value).
        public var configured: [String]
    }

    let repository: Repository

    /// Makes an initializer for `repository`.
    public init(repository: Repository) {
        self.repository = repository
    }

    /// Writes the config (refusing to overwrite unless `force`) and configures notes.
    public func initialize(force: Bool) throws -> Summary {
        let root = try repository.requireWorkingDirectory(for: "write modelgate.yml")
        let configURL = root.appendingPathComponent(PipelineConfig.fileName)
        if FileManager.default.fileExists(atPath: configURL.path), !force {
            throw ConfigError(
                "\(PipelineConfig.fileName) already exists", file: PipelineConfig.fileName, at: nil,
                hint: "edit it, or run 'modelgate init --force' to replace it")
        }
        let csvs = Self.findCSVFiles(under: root)
        let text = Self.template(name: Self.modelName(for: root), csvs: csvs, root: root)
        try AtomicFile.write(Data(text.utf8), to: configURL)

        let configured = try NotesSetup(repository: repository).apply().map { "\($0.key) = \($0.value)" }
        return Summary(config: PipelineConfig.fileName, detectedData: csvs, configured: configured)
    }

    static func modelName(for root: URL) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        let name = String(root.lastPathComponent.unicodeScalars.filter(allowed.contains).map(Character.init))
        return name.isEmpty ? "model" : name
    }

    /// CSV files in the work tree (not under hidden directories), shortest paths first: only
    /// regular files a config may name (`RepositoryPath.problem`), opened beneath the work tree
    /// (`ContainedDirectory`), so a committed link to `/dev/stdin` or out of the repository is
    /// not one of them.
    static func findCSVFiles(under root: URL) -> [String] {
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        else { return [] }
        var found: [String] = []
        let prefix = root.standardizedFileURL.path + "/"
        let directory = ContainedDirectory(root: root)
        for case let url as URL in walker where url.pathExtension.lowercased() == "csv" {
            let path = String(url.standardizedFileURL.path.dropFirst(prefix.count))
            guard RepositoryPath.problem(in: path) == nil, (try? directory.open(path))??.kind == .file else {
                continue
            }
            found.append(path)
            if found.count >= 50 { break }
        }
        return found.sorted { ($0.count, $0) < ($1.count, $1) }
    }

    /// The header's last column of the CSV at `path` under `root`, as a guess at the target; nil
    /// when it is not a regular file inside `root` (`ContainedDirectory`: no link leading out,
    /// no FIFO or device that would block).
    static func lastColumn(of path: String, under root: URL) -> String? {
        guard let file = try? ContainedDirectory(root: root).open(path), file.kind == .file,
            let head = try? file.read(atMost: 4096),
            let line = String(decoding: head.prefix(4096), as: UTF8.self).split(whereSeparator: \.isNewline)
                .first
        else { return nil }
        return line.split(separator: ",").last.map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r"))
        }
    }

    /// `text` as a YAML double-quoted scalar: `"` and `\` escaped, and every control, line-break
    /// or invisible character (`TerminalText.isUnsafe`) written as `\uXXXX`, so a file or
    /// column name cannot end the value or start a key of its own.
    package static func yamlQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where TerminalText.isUnsafe(scalar):  // all of them below U+10000
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func template(name: String, csvs: [String], root: URL) -> String {
        let train = csvs.first { $0.lowercased().contains("train") } ?? csvs.first
        let test = csvs.first { $0 != train && $0.lowercased().contains("test") }
        var stage: String
        if let train {
            let target = lastColumn(of: train, under: root) ?? "y"
            stage = """
                  # Found \(yamlQuoted(train)): a built-in trainer needs no Python. Check 'target'.
                  - name: train
                    builtin: linear-regression     # or logistic-regression, kmeans
                    data: \(yamlQuoted(train))
                    target: \(yamlQuoted(target))

                """
            stage +=
                test.map { "    test: \(yamlQuoted($0))\n" }
                ?? "    split: 0.2                     # held-out fraction, seeded\n"
            stage += """
                    # alpha: 1.0                     # scikit-learn's option names: alpha, C, max_iter, tol, …

                """
        } else {
            stage = """
                  # A command stage: runs in an isolated checkout of the evaluated commit.
                  - name: train
                    cmd: python train.py
                    deps: [train.py, "data/*.csv"]   # files whose change means retraining
                    outs: [model.joblib]             # the model artifact
                    metrics: metrics.json            # a JSON object of numbers
                    timeout: 30m

                """
        }
        let gates =
            train != nil
            ? "  - {metric: r2, min: 0.5}          # a threshold\n  - {metric: r2, max_drop: 0.02}    # no more than 0.02 below the baseline\n"
            : "  # - {metric: accuracy, min: 0.9}\n  # - {metric: accuracy, max_drop: 0.01}\n"
        return """
            # modelgate pipeline: what to train, how to test it, and the gates a commit must pass.
            version: 1
            name: \(name)                      # used in release tags and the site's title
            stages:
            \(stage)gates:
            \(gates)baseline: ancestor                 # ancestor | release | branch:NAME
            hooks:
              pre-commit: train                # train | validate | off
              pre-push: require                # require | off

            """
    }
}
