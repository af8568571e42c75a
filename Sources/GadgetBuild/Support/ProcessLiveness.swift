import Foundation

/// Whether a process id names a running process.
public enum ProcessLiveness {
    /// False only when the kernel says no such process exists (ESRCH); a process we may not signal
    /// (EPERM) is alive.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }
}
