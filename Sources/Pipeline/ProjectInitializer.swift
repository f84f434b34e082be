import Diagnostics
import Foundation
import GitKit
import Learning

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

    /// How much of a data file `init` reads to judge the target column: its first MiB.
    static let sampleBytes = 1 << 20

    /// The cells of column `target` in the first `sampleBytes` of the CSV at `path` (the last,
    /// possibly cut, line left out); empty when the file cannot be read or has no such column.
    static func targetSample(of path: String, column target: String, under root: URL) -> [String] {
        guard let file = try? ContainedDirectory(root: root).open(path), file.kind == .file,
            var head = try? file.read(atMost: sampleBytes)
        else { return [] }
        if head.count > sampleBytes, let lastLine = head.lastIndex(of: 0x0A) {
            head = head.prefix(lastLine + 1)
        }
        guard
            let csv = try? CSVReader(
                source: ChunkByteSource(chunks: [Array(head)]), name: path, chunkSize: max(head.count, 16)),
            let column = csv.header.firstIndex(of: target)
        else { return [] }
        var cells: [String] = []
        while cells.count < 100_000, (try? csv.next()) == true { cells.append(csv.string(column)) }
        return cells
    }

    /// Data lines of the regular file at `path` under `root` (line feeds, less the header), read
    /// in 1 MiB chunks; nil when it cannot be read.
    static func dataRowCount(of path: String, under root: URL) -> Int? {
        guard let file = try? ContainedDirectory(root: root).open(path), file.kind == .file else {
            return nil
        }
        let handle = FileHandle(fileDescriptor: file.descriptor, closeOnDealloc: false)
        var lines = 0
        var last: UInt8 = 0x0A
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            lines += chunk.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
            last = chunk.last ?? last
        }
        if last != 0x0A { lines += 1 }
        return max(0, lines - 1)
    }

    /// Fuzzing entry point: the config `init` writes for a cloned repository's `data.csv` under
    /// `root` (the target's values read, the rows counted) is a config, or refused with a
    /// `ConfigError` (`ConfigLoader.fuzz`); never a crash, trap or hang.
    package static func fuzzTemplate(root: URL) {
        ConfigLoader.fuzz(Array(template(name: "fuzz", csvs: ["data.csv"], root: root).utf8))
    }

    static func template(name: String, csvs: [String], root: URL) -> String {
        let train = csvs.first { $0.lowercased().contains("train") } ?? csvs.first
        let test = csvs.first { $0 != train && $0.lowercased().contains("test") }
        var stage: String
        var task = InitGates.Task.regression
        var testRows: Int?
        if let train {
            let target = lastColumn(of: train, under: root) ?? "y"
            task = InitGates.task(ofTarget: targetSample(of: train, column: target, under: root))
            let kind = task == .regression ? "a number to predict" : "class labels"
            stage = """
                  # Found \(yamlQuoted(train)): a built-in trainer needs no Python. Check 'target'.
                  - name: train
                    builtin: \(InitGates.trainer(for: task))   # the target holds \(kind); or linear-regression, logistic-regression, kmeans
                    data: \(yamlQuoted(train))
                    target: \(yamlQuoted(target))

                """
            if let test {
                stage += "    test: \(yamlQuoted(test))\n"
                testRows = dataRowCount(of: test, under: root)
            } else {
                stage +=
                    "    split: 0.2                     # held-out share: each row by a hash of its content (seeded), so about 20 %\n"
                testRows = dataRowCount(of: train, under: root).map { Int((Double($0) * 0.2).rounded()) }
            }
            stage +=
                task == .regression
                ? "    # alpha: 0                       # ridge penalty; 0, the default, is ordinary least squares\n\n"
                : "    # C: 1                           # inverse L2 penalty, scikit-learn's default; also max_iter, tol\n\n"
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
            ? InitGates.gates(for: task, testRows: testRows)
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
