// The text around the histograms of bcc's interval tools (biolatency,
// cpudist, runqlen, hardirqs, softirqs...): an empty line and the time
// before each summary, and -e's average line after it.
import BCC

/// Pieces of the summaries bcc's histogram tools print each interval.
public enum HistogramSummary {
    /// What comes before each summary: an empty line, then with -T the
    /// time (`%-8s\n` of `HH:MM:SS`).
    public static func header(timestamp: Bool) -> String {
        "\n" + (timestamp ? CText.left(ToolClock.hhmmss(), 8) + "\n" : "")
    }

    /// -e's line after a histogram, or nil when nothing was counted:
    /// "\navg = A usecs, total: T usecs, count: C\n" (integer division, as bcc's `%ld`).
    public static func averageLine(total: UInt64, count: UInt64, unit: String) -> String? {
        guard count > 0 else { return nil }
        return "\navg = \(total / count) \(unit), total: \(total) \(unit), count: \(count)\n"
    }

    /// -e's line from the program's `BPF_ARRAY(extension, ext_val_t, 1)`
    /// (`struct { u64 total; u64 count; }`), which it then zeroes.
    public static func takeAverageLine(from table: Table, unit: String) throws(BCCError) -> String? {
        let values = try table.typed(key: UInt32.self, value: TotalAndCount.self)
        guard let value = try values[0] else { return nil }
        try values.set(0, TotalAndCount(total: 0, count: 0))
        return averageLine(total: value.total, count: value.count, unit: unit)
    }

    /// `ext_val_t`: a sum and the number of values summed.
    public struct TotalAndCount: BitwiseCopyable, Sendable {
        /// The sum.
        public var total: UInt64
        /// How many values were added.
        public var count: UInt64
    }
}
