#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How many threads the trainers' data-parallel loops use, and the rule that keeps their results
/// independent of it.
///
/// The thread count is `MODELGATE_THREADS` when set (a whole number from 1 to 1024; anything else
/// is bad input, exit 2, naming the variable), else the CPUs this process may run on: its
/// scheduler affinity mask (`taskset`, and a cgroup cpuset, narrow it), lowered to the cgroup CPU
/// quota when one is set.
///
/// **Guarantee: the count changes only the speed.** Every parallel loop splits its work into
/// units whose boundaries depend on the data alone (byte chunks of `ParallelRanges.defaultChunkBytes`,
/// runs of `DenseRows.blockRows`-row blocks), computes one partial result per unit, and combines
/// the partials in unit order, never in the order threads finish. So a model file and its metrics
/// are the same bytes with 1, 2, 7 or 64 threads and from run to run; the run record states the
/// count only as information.
public enum Parallelism {
    /// The environment variable that sets the thread count.
    public static let variable = "MODELGATE_THREADS"
    /// The largest accepted `MODELGATE_THREADS`.
    public static let maximum = 1024

    /// The thread count: `MODELGATE_THREADS`, else the CPUs this process may use.
    public static func threads() throws -> Int {
        try resolved.get()
    }

    /// The count for an environment: `MODELGATE_THREADS` from it when present, else `available`.
    public static func threads(environment: [String: String]) throws -> Int {
        guard let text = environment[variable] else { return available }
        guard let count = Int(trimmed(text)), count >= 1, count <= maximum else {
            throw DataError(
                .badEnvironment,
                "\(variable) is '\(text.prefix(40))'; expected a whole number of threads from 1 to \(maximum)",
                location: variable,
                hint: "set \(variable) to e.g. 2, or unset it to use every CPU this process may run on")
        }
        return count
    }

    /// `text` without the spaces and tabs around it (what Foundation's `.whitespaces` trims: Unicode
    /// space separators and the tab).
    private static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let isBlank = { (scalar: Unicode.Scalar) in
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
            let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Read once per process: the environment does not change under a running command.
    private static let resolved = Result { try threads(environment: ProcessInfo.processInfo.environment) }

    /// The CPUs this process may run on (affinity mask, then cgroup CPU quota); at least 1.
    public static let available: Int = {
        var count = ProcessInfo.processInfo.activeProcessorCount
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let allowed = affinity(status: status)
        {
            count = allowed
        }
        if let quota = cgroupQuota() { count = min(count, quota) }
        return max(1, count)
    }()

    /// The CPUs in the `Cpus_allowed:` mask of a `/proc/self/status` text (the scheduler affinity
    /// that `sched_getaffinity` reports, which Swift's Glibc module does not expose); nil if absent.
    static func affinity(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && character != "\t" {
            guard let digit = character.hexDigitValue else { return nil }
            count += digit.nonzeroBitCount
        }
        return count > 0 ? count : nil
    }

    /// The cgroup CPU limit of this process, rounded up to whole CPUs: v2 `cpu.max` ("QUOTA
    /// PERIOD" or "max PERIOD") or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; nil when none.
    static func cgroupQuota() -> Int? {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        guard let membership = read("/proc/self/cgroup") else { return nil }
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[2].contains("..") else { continue }
            let path = String(fields[2])
            if fields[0] == "0", let text = read("/sys/fs/cgroup\(path)/cpu.max") {
                return quota(cpuMax: text)
            }
            if fields[1].split(separator: ",").contains("cpu"),
                let quota = read("/sys/fs/cgroup/cpu\(path)/cpu.cfs_quota_us"),
                let period = read("/sys/fs/cgroup/cpu\(path)/cpu.cfs_period_us")
            {
                return self.quota(cpuMax: quota + " " + period)
            }
        }
        return nil
    }

    /// Whole CPUs allowed by a `cpu.max` text ("QUOTA PERIOD"); nil for "max", -1 or anything unreadable.
    static func quota(cpuMax text: String) -> Int? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0,
            period > 0
        else { return nil }
        return max(1, (quota + period - 1) / period)
    }
}
