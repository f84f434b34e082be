import Diagnostics
import Foundation

extension RunReport {
    /// The largest stage time counted, in milliseconds (about 31 years): a record's numbers come
    /// from other clones, and summing them must not overflow.
    static let longestStage = 1_000_000_000_000

    /// The stages' wall times added up: the training time, also for a reused verdict (the
    /// times of the run it reused). Negative times count as 0.
    public static func stageMilliseconds(_ record: RunRecord) -> Int {
        record.stages.reduce(0) { total, stage in
            min(total + min(max(stage.durationMilliseconds, 0), longestStage), longestStage)
        }
    }

    /// "850 ms", "1.23 s", "2 min 05 s" (negative times read as 0): `ReadableNumber`'s
    /// durations, so the terminal, the report and the site read alike.
    public static func formatDuration(milliseconds: Int) -> String {
        ReadableNumber.duration(seconds: Double(max(milliseconds, 0)) / 1000)
    }

    /// How long the stages took, and for a reused verdict when and on what they ran: "stages
    /// took 1.5 s", or "cached verdict from the run of 2026-12-03T18:00:00Z on 3f2a9c1, whose
    /// stages took 1.5 s; no stage ran now". The commit is named only when it is a hex id.
    public static func timing(_ record: RunRecord) -> String {
        let took = formatDuration(milliseconds: stageMilliseconds(record))
        guard isReused(record) else { return "stages took \(took)" }
        guard let run = record.cachedFrom else {
            return "cached verdict; no stage ran (the earlier run's time was not recorded)"
        }
        return "cached verdict from the run of \(run.started.formatted(.iso8601))"
            + (shortCommit(run.commit).map { " on \($0)" } ?? "")
            + ", whose stages took \(took); no stage ran now"
    }

    /// True when no stage ran for `record`: it names the run it reused (`cachedFrom`), or, in
    /// an older record, every stage is marked cached.
    public static func isReused(_ record: RunRecord) -> Bool {
        record.cachedFrom != nil || (!record.stages.isEmpty && record.stages.allSatisfy(\.cached))
    }

    /// The first 7 characters of `commit` when it is a hex object id, else nil.
    static func shortCommit(_ commit: String?) -> String? {
        guard let commit, (7...64).contains(commit.count), commit.allSatisfy({ $0.isASCII && $0.isHexDigit })
        else { return nil }
        return String(commit.prefix(7))
    }
}
