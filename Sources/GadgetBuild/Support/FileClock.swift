import Foundation

/// The clock file modification times come from.
public enum FileClock {
    /// Now, as nanoseconds since 1970, read from the kernel's coarse clock: the one it stamps file
    /// modifications with. A file written after this instant has an mtime at or after it, so
    /// `mtime < coarseNow()` taken before a compile proves the file was not written during it.
    /// (The precise clock can run up to a tick ahead of the stamps and would miss such writes.)
    public static func coarseNow() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
