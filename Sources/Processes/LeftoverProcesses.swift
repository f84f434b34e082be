import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Processes that outlived a modelgate killed with SIGKILL (stage commands it had started),
/// found through `/proc` so that the next run can stop them.
///
/// A process counts as left over only when its environment holds the exact entry its run gave
/// it (`MODELGATE_RUN=ID`): every stage command gets it, and its descendants inherit it, while
/// a process whose pid or process group number was reused never has it. Where a process works
/// does not count: a developer's shell that went into a killed run's checkout to look around is
/// not the run's, and must not be killed (the checkout is removed under it all the same; on
/// Linux its working directory then reads as deleted, and it can `cd` elsewhere). A stage
/// process that dropped the variable (`env -i`) is not found either: it is the user's to stop.
/// Each is killed on its own (not by process group: a stage may have moved a process into a
/// group that is not its run's). Only our own user's processes can be read, and so killed.
public enum LeftoverProcesses {
    /// Sends SIGKILL to every process marked with `entry` (`NAME=value`), looking again until
    /// none is found (at most 20 rounds, for processes forked meanwhile); returns how many were
    /// killed.
    @discardableResult
    public static func kill(marked entry: String) -> Int {
        let marker = Array(entry.utf8) + [0]
        let ours: Set<pid_t> = [getpid(), getppid()]
        var killed = 0
        for _ in 0..<20 {
            let found = processes().filter { pid in
                !ours.contains(pid) && environment(of: pid, contains: marker)
            }
            if found.isEmpty { break }
            for pid in found where Glibc.kill(pid, SIGKILL) == 0 { killed += 1 }
            usleep(10_000)
        }
        return killed
    }

    /// Every process id in `/proc`.
    static func processes() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    /// True when `/proc/PID/environ` holds `marker` (`NAME=value` and its NUL) as a whole entry.
    static func environment(of pid: pid_t, contains marker: [UInt8]) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        let bytes = [UInt8](data)
        guard bytes.count >= marker.count else { return false }
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
            if end - start + 1 == marker.count, bytes[start..<end].elementsEqual(marker.dropLast()) {
                return true
            }
            start = end + 1
        }
        return false
    }
}
