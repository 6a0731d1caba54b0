import Glibc

extension BPF {
    /// Nanoseconds on the clock `bpf_ktime_get_ns()` reads (CLOCK_MONOTONIC),
    /// as bcc's `BPF.monotonic_time()`: subtract it from event timestamps.
    public static func monotonicTime() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
