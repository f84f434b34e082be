import Diagnostics
import Learning
import Pipeline
import Testing

@Suite struct ConfigLoaderTests {
    let loader = ConfigLoader()

    func failure(_ text: String) -> ConfigError? {
        do {
            _ = try loader.parse(text)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func parsesTheDocumentedExample() throws {
        let config = try loader.parse(
            """
            version: 1
            name: housing
            stages:
              - name: train
                builtin: linear-regression
                data: data/train.csv
                target: price
                test: data/test.csv
                alpha: 0.5
              - name: evaluate
                cmd: python evaluate.py
                deps: [evaluate.py, "data/*.csv"]
                params: params.yaml
                outs: [model.joblib]
                metrics: metrics.json
                timeout: 10m
                env: {SEED: "1"}
            gates:
              - {metric: r2, min: 0.90}
              - {metric: rmse, max: 2.5}
              - {metric: r2, max_drop: 0.01, relative: true}
            baseline: branch:main
            hooks:
              pre-commit: validate
              pre-push: off
            """)
        #expect(config.name == "housing")
        #expect(config.stages.map(\.name) == ["train", "evaluate"])
        guard case .builtin(let train) = config.stages[0].kind else {
            Issue.record("train is not built-in")
            return
        }
        #expect(train.trainer == "linear-regression")
        #expect(train.testFile == "data/test.csv")
        #expect(train.options == ["alpha": .number(0.5)])
        #expect(train.model == "train.model.json")
        #expect(config.stages[0].dependencyPatterns == ["data/train.csv", "data/test.csv"])
        guard case .command(let evaluate) = config.stages[1].kind else {
            Issue.record("evaluate is not a command")
            return
        }
        #expect(evaluate.timeout == .seconds(600))
        #expect(evaluate.environment == ["SEED": "1"])
        #expect(config.stages[1].dependencyPatterns == ["evaluate.py", "data/*.csv", "params.yaml"])
        #expect(config.gates.map(\.kind) == [.min, .max, .maxDrop])
        #expect(config.gates[2].relative)
        #expect(config.gates[0].position == SourcePosition(line: 19, column: 5))
        #expect(config.baseline == .branch("main"))
        #expect(config.hooks == HookPolicy(preCommit: .validate, prePush: .off))
    }

    @Test func defaultsApply() throws {
        let config = try loader.parse(
            "stages:\n  - name: t\n    cmd: ./t.sh\n    metrics: m.json\ngates:\n  - {metric: acc, min: 1}\n")
        #expect(config.version == 1)
        #expect(config.name == "model")
        #expect(config.baseline == .ancestor)
        #expect(config.hooks == .default)
        guard case .command(let command) = config.stages[0].kind else { return }
        #expect(command.timeout == .seconds(3600))
    }

    @Test func syntaxErrorHasLineAndColumn() {
        let error = failure("stages:\n  - name: a\n   cmd: [x\n")
        #expect(error?.summary.hasPrefix("YAML syntax error") == true)
        #expect(error?.location?.hasPrefix("modelgate.yml:") == true)
        #expect(error?.location != "modelgate.yml")
    }

    @Test func tabsAreExplained() {
        let error = failure("stages:\n\t- name: a\n")
        #expect(error?.location == "modelgate.yml:2:1")
        #expect(error?.hint?.contains("tabs") == true)
    }

    @Test func wrongTypeNamesThePathAndPosition() {
        let error = failure("stages:\n  - name: a\n    cmd: ./a\n    deps: {a: 1}\n")
        #expect(error?.summary == "'stages[0].deps' should be a list, found a mapping")
        #expect(error?.location == "modelgate.yml:4:11")
    }

    @Test func missingKeyNamesTheOwner() {
        let error = failure("stages:\n  - cmd: ./a\n")
        #expect(error?.summary == "'stages[0]' is missing the key 'name'")
        #expect(error?.location == "modelgate.yml:2:5")
    }

    @Test func unknownKeySuggestsTheClosest() {
        let error = failure("stages:\n  - name: a\n    cmd: ./a\n    timout: 5m\n")
        #expect(error?.summary == "unknown key 'stages[0].timout'")
        #expect(error?.location == "modelgate.yml:4:5")
        #expect(error?.hint == "did you mean 'timeout'?")
        let top = failure("stage:\n  - name: a\n")
        #expect(top?.hint == "did you mean 'stages'?")
        #expect(top?.location == "modelgate.yml:1:1")
    }

    @Test func duplicateStageNamesPointAtBoth() {
        let error = failure("stages:\n  - name: a\n    cmd: ./a\n  - name: a\n    cmd: ./b\n")
        #expect(error?.summary == "two stages are named 'a'")
        #expect(error?.location == "modelgate.yml:4:11")
        #expect(error?.hint?.contains("modelgate.yml:2:5") == true)
    }

    @Test func duplicateKeysAreRejected() {
        let error = failure("name: a\nname: b\nstages: []\n")
        #expect(error?.summary.contains("duplicate key 'name'") == true)
    }

    @Test func gateOnAMetricNoStageProduces() {
        let error = failure(
            "stages:\n  - name: t\n    builtin: linear-regression\n    data: d.csv\n    target: y\ngates:\n  - {metric: r3, min: 0.9}\n"
        )
        #expect(error?.summary == "gate on 'r3', but no stage produces that metric")
        #expect(error?.location == "modelgate.yml:7:5")
        #expect(error?.hint?.hasPrefix("did you mean 'r2'?") == true)
    }

    @Test func gateNeedsExactlyOneLimit() {
        let none = failure("stages:\n  - {name: t, cmd: ./t, metrics: m.json}\ngates:\n  - {metric: a}\n")
        #expect(none?.summary == "gate on 'a' has no limit")
        let two = failure(
            "stages:\n  - {name: t, cmd: ./t, metrics: m.json}\ngates:\n  - {metric: a, min: 1, max: 2}\n")
        #expect(two?.summary == "gate on 'a' has 2 limits; a gate has exactly one")
        #expect(two?.location == "modelgate.yml:4:5")
    }

    @Test func unknownTrainerListsWhatExists() {
        let error = failure(
            "stages:\n  - name: t\n    builtin: linear-regresion\n    data: d.csv\n    target: y\n")
        #expect(error?.summary == "unknown built-in trainer 'linear-regresion'")
        #expect(error?.location == "modelgate.yml:3:14")
        #expect(error?.hint?.contains("did you mean 'linear-regression'?") == true)
        #expect(error?.hint?.contains("kmeans") == true)
    }

    @Test func stageKindsDoNotMix() {
        let both = failure("stages:\n  - {name: t, cmd: ./t, builtin: kmeans, data: d.csv}\n")
        #expect(both?.summary == "stage 't' has both 'cmd' and 'builtin'")
        let neither = failure("stages:\n  - name: t\n")
        #expect(neither?.summary == "stage 't' has neither 'cmd' nor 'builtin'")
        let foreign = failure("stages:\n  - name: t\n    cmd: ./t\n    target: y\n")
        #expect(foreign?.summary == "'target' does not apply to stage 't'")
        #expect(foreign?.location == "modelgate.yml:4:5")
    }

    @Test func badScalarsAreExplained() {
        let timeout = failure("stages:\n  - {name: t, cmd: ./t, timeout: soon}\n")
        #expect(timeout?.summary == "timeout 'soon' is not a duration")
        let hooks = failure("stages:\n  - {name: t, cmd: ./t}\nhooks:\n  pre-commit: always\n")
        #expect(hooks?.summary == "hooks.pre-commit is 'always'")
        #expect(hooks?.location == "modelgate.yml:4:15")
        let baseline = failure("stages:\n  - {name: t, cmd: ./t}\nbaseline: parent\n")
        #expect(baseline?.hint?.contains("branch:NAME") == true)
        let split = failure("stages:\n  - {name: t, builtin: kmeans, data: d.csv, split: 1.5}\n")
        #expect(split?.summary == "split 1.5 is not a fraction between 0 and 1")
    }

    @Test func emptyAndStagelessFilesAreExplained() {
        #expect(failure("")?.summary == "modelgate.yml is empty")
        #expect(failure("name: x\n")?.summary == "no stages: the pipeline has nothing to run")
        #expect(failure("version: 2\nstages: []\n")?.summary == "unsupported config version 2")
    }

    @Test func errorsRenderWhatWhereAndFix() {
        let error = failure("stages:\n  - name: a\n    cmd: ./a\n    timout: 5m\n")
        #expect(
            error?.renderedMessage
                == "error: unknown key 'stages[0].timout'\n  where: modelgate.yml:4:5\n  fix:   did you mean 'timeout'?"
        )
        #expect(error?.exitStatus == .badInput)
    }

    @Test func validateAndOptimizeStagesParse() throws {
        let config = try loader.parse(
            """
            stages:
              - {name: check, builtin: validate, data: d.csv, columns: [a, y], types: {a: number}, ranges: {a: [0, 1]}, min_rows: 10, drift: true}
              - {name: train, builtin: linear-regression, data: d.csv, target: y, test: t.csv}
              - {name: small, builtin: optimize, dtype: int8, max_change: 0.02}
            gates:
              - {metric: drift.psi.a, max: 0.2}
              - {metric: optimized.r2, min: 0.9}
            """)
        guard case .validate(let check) = config.stages[0].kind,
            case .optimize(let small) = config.stages[2].kind
        else {
            Issue.record("stage kinds not recognised")
            return
        }
        #expect(check.expectations.ranges["a"] == 0...1)
        #expect(check.drift)
        #expect(small.from == "train")
        #expect(small.sourceModel == "train.model.json")
        #expect(small.testFile == "t.csv")
        #expect(config.gates.last?.metric == "quantization.max_metric_change")
        #expect(config.gates.last?.limit == 0.02)
        #expect(config.outputPaths == ["train.model.json", "small.model.json"])
    }

    @Test func builtinStageMistakesAreExplained() {
        let range = failure("stages:\n  - {name: c, builtin: validate, data: d.csv, ranges: {a: [2, 1]}}\n")
        #expect(range?.summary == "range of column 'a' is not [low, high]")
        let type = failure("stages:\n  - {name: c, builtin: validate, data: d.csv, types: {a: integer}}\n")
        #expect(type?.summary == "type 'integer' of column 'a' is neither 'number' nor 'text'")
        let orphan = failure("stages:\n  - {name: o, builtin: optimize}\n")
        #expect(orphan?.summary == "stage 'o' has no earlier built-in trainer stage to optimise")
        let split = failure(
            "stages:\n  - {name: t, builtin: kmeans, data: d.csv}\n  - {name: o, builtin: optimize, from: t}\n"
        )
        #expect(split?.summary == "stage 'o' needs a test CSV to re-evaluate the quantised model")
        let dtype = failure(
            "stages:\n  - {name: t, builtin: kmeans, data: d.csv, test: t.csv}\n  - {name: o, builtin: optimize, dtype: int4}\n"
        )
        #expect(dtype?.hint?.contains("float16") == true)
        let wrongKey = failure("stages:\n  - {name: c, builtin: validate, data: d.csv, target: y}\n")
        #expect(wrongKey?.summary == "'target' does not apply to stage 'c'")
        #expect(wrongKey?.hint?.contains("this is a validate stage") == true)
        let missing = failure("stages:\n  - {name: t, builtin: kmeans, data: d.csv, missing: skip}\n")
        #expect(missing?.hint == "use 'error' (default) or 'drop-row'")
    }

    @Test func catalogMatchesTheTrainersThatExist() {
        #expect(BuiltinCatalog.standard.trainers == Trainers.kinds.sorted())
    }

    // MARK: - Hostile files

    /// 9^levels values once expanded, in a few hundred bytes.
    static func laughs(levels: Int) -> String {
        "l0: &l0 [a, a, a, a, a, a, a, a, a]\n"
            + (1...levels).map { level in
                "l\(level): &l\(level) ["
                    + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ")
                    + "]\n"
            }.joined()
    }

    @Test func aliasBombsAreRefusedWhereTheyPassTheLimit() {
        let error = failure(Self.laughs(levels: 9) + "stages:\n  - {name: t, cmd: x}\n")
        #expect(error?.problem == .tooManyValues(limit: 10_000))
        #expect(error?.location == "modelgate.yml:5:10")  // the first '*l3' of l4
        #expect(error?.exitStatus == .badInput)
    }

    @Test func aliasesAndCollectionsAreNotKeys() {
        let alias = failure("a: &a x\nstages:\n  - {name: t, cmd: x}\n*a : y\n")
        #expect(alias?.problem == .aliasKey)
        #expect(alias?.location == "modelgate.yml:4:1")
        #expect(alias?.summary == "an alias cannot be a mapping key")
        let collection = failure("? [a, b]\n: c\n")
        #expect(collection?.problem == .collectionKey)
        #expect(collection?.location == "modelgate.yml:1:3")
    }

    @Test func nestingIsBoundedThroughAliasesToo() {
        let deep = failure("stages: " + String(repeating: "[", count: 65) + String(repeating: "]", count: 65))
        #expect(deep?.problem == .tooDeep(limit: 64))
        #expect(deep?.location == "modelgate.yml:1:72")  // the 64th '[', 65 deep under the top mapping
        // 40 levels under an anchor, used 30 levels down: 70 deep once expanded.
        let anchored = "a: &a " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n"
        let used = "b: " + String(repeating: "[", count: 30) + "*a" + String(repeating: "]", count: 30) + "\n"
        let aliased = failure(anchored + used)
        #expect(aliased?.problem == .tooDeep(limit: 64))
        #expect(aliased?.location == "modelgate.yml:2:34")
    }

    @Test func theShapeCheckCountsExactly() throws {
        let shape = YAMLShape(maxNodes: 5, maxDepth: 2)
        try shape.check("[a, [b, c]]")  // 5 nodes, 2 deep
        #expect(throws: YAMLShape.Violation(kind: .tooManyNodes(5), line: 1, column: 13)) {
            try shape.check("[a, [b, c], d]")
        }
        #expect(throws: YAMLShape.Violation(kind: .tooDeep(2), line: 1, column: 6)) {
            try shape.check("[a, [[b]]]")
        }
        // An alias counts as what it names: 3 + 1 + 3.
        #expect(throws: YAMLShape.Violation(kind: .tooManyNodes(5), line: 1, column: 13)) {
            try shape.check("[&x [a, b], *x]")
        }
        try shape.check("")  // nothing, and not YAML at all, are left to Yams
        try shape.check("[unclosed")
    }

    @Test func aConfigOverTheSizeCapIsRefused() {
        let error = failure("stages: []\n" + String(repeating: "#", count: ConfigLoader.maxBytes))
        #expect(error?.problem == .tooLarge(limit: ConfigLoader.maxBytes))
        #expect(error?.summary == "modelgate.yml is larger than 1 MiB")
        #expect(error?.location == "modelgate.yml")
    }

    @Test(arguments: [
        ("../x.csv", RepositoryPath.Problem.parentDirectory), ("data/../../x.csv", .parentDirectory),
        ("/etc/passwd", .absolute), (".git/config", .gitDirectory), ("sub/.GIT/hooks/x", .gitDirectory),
        ("a\u{1B}[2J.csv", .controlCharacter), ("", .empty),
    ])
    func unsafePathsAreRefusedForEveryKey(path: String, problem: RepositoryPath.Problem) {
        let builtin = "stages:\n  - name: t\n    builtin: linear-regression\n    target: y\n"
        let cases: [(String, String, String)] = [
            ("deps[1]", "stages:\n  - name: t\n    cmd: x\n    deps: [ok.csv, ", "]\n"),
            ("outs[0]", "stages:\n  - name: t\n    cmd: x\n    outs: [", "]\n"),
            ("params", "stages:\n  - name: t\n    cmd: x\n    params: ", "\n"),
            ("metrics", "stages:\n  - name: t\n    cmd: x\n    metrics: ", "\n"),
            ("report", "stages:\n  - name: t\n    cmd: x\n    report: ", "\n"),
            ("data", builtin + "    data: ", "\n"),
            ("test", builtin + "    data: d.csv\n    test: ", "\n"),
            ("model", builtin + "    data: d.csv\n    model: ", "\n"),
        ]
        for (key, before, after) in cases {
            let quoted =
                "\"" + path.unicodeScalars.map { $0 == "\u{1B}" ? "\\e" : String($0) }.joined() + "\""
            let error = failure(before + quoted + after)
            #expect(error?.problem == .unsafePath(stage: "t", key: key, path: path, problem), "\(key)")
            let line = before.split(separator: "\n", omittingEmptySubsequences: false).count
            let column =
                (before.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0) + 1
            #expect(error?.location == "modelgate.yml:\(line):\(column)", "\(key)")
            #expect(error?.summary.contains("\u{1B}") == false)
        }
    }

    @Test func ordinaryPathsAreAccepted() throws {
        let config = try loader.parse(
            "stages:\n  - name: t\n    cmd: x\n    deps: [./data/*.csv, \"**/x..y\", .github/x]\n    outs: [out/]\n"
        )
        #expect(config.stages[0].configuredPaths == ["./data/*.csv", "**/x..y", ".github/x", "out/"])
    }

    @Test(arguments: [
        ("x/../y", NameRules.Problem.separator), ("a\\b", .separator), ("..", .dotDot),
        ("a..b", .dotDot), (".hidden", .leadingDot),
        ("", .empty), ("t\u{1B}[2J", .unsafeCharacter("\u{1B}")), ("t\u{202E}", .unsafeCharacter("\u{202E}")),
        ("t\u{2028}", .unsafeCharacter("\u{2028}")), ("t\u{200B}x", .unsafeCharacter("\u{200B}")),
        (String(repeating: "s", count: 201), .tooLong(bytes: 201)),
        (String(repeating: "漢", count: 67), .tooLong(bytes: 201)),
        ("a" + String(repeating: "\u{301}", count: 100), .tooLong(bytes: 201)),
    ])
    func unsafeNamesAreRefused(name: String, problem: NameRules.Problem) {
        let written =
            "\"" + name.unicodeScalars.map { ["\u{1B}": "\\e", "\\": "\\\\"][$0] ?? String($0) }.joined()
            + "\""
        let stage = failure("stages:\n  - name: \(written)\n    cmd: x\n")
        #expect(stage?.problem == .unsafeName(.stage, name: name, problem))
        #expect(stage?.location == "modelgate.yml:2:11")
        #expect(stage?.summary.hasPrefix(name.isEmpty ? "a stage name is empty" : "the stage name '") == true)
        let lines = stage?.renderedMessage.split(separator: "\n") ?? []
        #expect(lines.allSatisfy { TerminalText.firstUnsafe(in: String($0)) == nil })
        let gate = failure(
            "stages:\n  - {name: t, cmd: x, metrics: m.json}\ngates:\n  - {metric: \(written), min: 1}\n")
        switch problem {
        case .separator, .dotDot, .leadingDot:
            // Metric names follow no file-system rule: 'val/loss' is a metric.
            #expect(gate == nil)
        default:
            #expect(gate?.problem == .unsafeName(.gate, name: name, problem))
            #expect(gate?.location == "modelgate.yml:4:14")
        }
    }

    /// Names are measured in UTF-8 bytes, the unit of file names and record limits; joiners
    /// (emoji, scripts) and separators in metric names are fine.
    @Test func namesWithinTheRulesAreAccepted() throws {
        let stage = String(repeating: "漢", count: 66)  // 198 bytes
        let config = try loader.parse(
            "stages:\n  - {name: \"\(stage)\", cmd: x, metrics: m.json}\n  - {name: \"a\u{200D}b\", cmd: y}\ngates:\n  - {metric: val/loss, max: 1}\n  - {metric: \"👩\u{200D}💻\", min: 0}\n"
        )
        #expect(config.stages.map(\.name) == [stage, "a\u{200D}b"])
        #expect(config.gates.map(\.metric) == ["val/loss", "👩\u{200D}💻"])
    }

    @Test func pipelinesOverTheRecordLimitsAreRefusedAtTheirKey() {
        let stages = (0...RecordLimits.stages).map { "  - {name: s\($0), cmd: x}\n" }.joined()
        let error = failure("version: 1\nstages:\n" + stages)
        #expect(error?.problem == .recordLimit(.tooManyStages(1_001)))
        #expect(error?.location == "modelgate.yml:3:3")
        #expect(error?.hint?.contains("at most 1000 stages") == true)
        let gates = (0...RecordLimits.gates).map { _ in "  - {metric: r2, min: 0}\n" }.joined()
        let tooMany = failure("stages:\n  - {name: t, cmd: x, metrics: m.json}\ngates:\n" + gates)
        #expect(tooMany?.problem == .recordLimit(.tooManyGates(1_001)))
        #expect(tooMany?.location == "modelgate.yml:4:3")
    }

    @Test func controlCharactersNeverReachTheMessage() {
        let error = failure("stages:\n  - name: \"t\\e]0;owned\\a\"\n    cmd: x\n")
        #expect(
            error?.summary
                == "the stage name 't␛]0;owned␇' holds U+001B, a control, line-break or invisible character")
        let unknown = failure("stages: []\n\"k\\e[2J\": 1\n")
        #expect(unknown?.summary == "unknown key 'k␛[2J'")
        #expect(unknown?.renderedMessage.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" } == false)
    }
}
