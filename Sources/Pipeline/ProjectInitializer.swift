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

    /// The fetch refspec for remote `remote`: the remote's notes land in a tracking ref of their
    /// own, so a fetch can never overwrite or lose local notes; `modelgate sync` merges the two.
    public static func notesFetchRefspec(remote: String) -> String {
        "+\(RecordNotes.ref):refs/notes/remotes/\(remote)/modelgate"
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

        var configured: [String] = []
        for remote in try repository.remoteNames() {
            let key = "remote.\(remote).fetch"
            let refspec = Self.notesFetchRefspec(remote: remote)
            if try !repository.configValues(key).contains(refspec) {
                try repository.addConfigValue(key, refspec)
                configured.append("\(key) = \(refspec)")
            }
        }
        // Amend and rebase copy notes along, so a rewritten commit keeps its record.
        if try !repository.configValues("notes.rewriteRef").contains(RecordNotes.ref) {
            try repository.addConfigValue("notes.rewriteRef", RecordNotes.ref)
            configured.append("notes.rewriteRef = \(RecordNotes.ref)")
        }
        return Summary(config: PipelineConfig.fileName, detectedData: csvs, configured: configured)
    }

    static func modelName(for root: URL) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        let name = String(root.lastPathComponent.unicodeScalars.filter(allowed.contains).map(Character.init))
        return name.isEmpty ? "model" : name
    }

    /// CSV files in the work tree (not under hidden directories), shortest paths first.
    static func findCSVFiles(under root: URL) -> [String] {
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        else { return [] }
        var found: [String] = []
        let prefix = root.standardizedFileURL.path + "/"
        for case let url as URL in walker where url.pathExtension.lowercased() == "csv" {
            found.append(String(url.standardizedFileURL.path.dropFirst(prefix.count)))
            if found.count >= 50 { break }
        }
        return found.sorted { ($0.count, $0) < ($1.count, $1) }
    }

    /// The header's last column, as a guess at the target.
    static func lastColumn(of url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 4096),
            let line = String(decoding: head, as: UTF8.self).split(whereSeparator: \.isNewline).first
        else { return nil }
        return line.split(separator: ",").last.map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r"))
        }
    }

    static func template(name: String, csvs: [String], root: URL) -> String {
        let train = csvs.first { $0.lowercased().contains("train") } ?? csvs.first
        let test = csvs.first { $0 != train && $0.lowercased().contains("test") }
        var stage: String
        if let train {
            let target = lastColumn(of: root.appendingPathComponent(train)) ?? "y"
            stage = """
                  # Found \(train): a built-in trainer needs no Python. Check 'target'.
                  - name: train
                    builtin: linear-regression     # or logistic-regression, kmeans
                    data: \(train)
                    target: \(target)

                """
            stage +=
                test.map { "    test: \($0)\n" }
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
