// Drops reported as bcc's tools report a perf buffer's lost callback:
// "Possibly lost N samples", here with the exact count from each ring's
// hidden drop counter.
import BCC

/// Watches the drop counters of a tool's BPF_RINGBUF_OUTPUT tables and
/// prints "Possibly lost N samples" for the drops since the last check.
public struct LostSamples {
    private let tables: [Table]
    private var reported: UInt64 = 0

    /// Watches `tables` (ring buffer tables of one BPF object).
    public init(_ tables: [Table]) {
        self.tables = tables
    }

    /// Records dropped since the last call (all of them the first time).
    public mutating func sinceLastCheck() throws(BCCError) -> UInt64 {
        var total: UInt64 = 0
        for table in tables { total &+= try table.lostRecords }
        defer { reported = total }
        return total &- reported
    }

    /// Prints bcc's line when records were dropped since the last call.
    public mutating func report() throws(BCCError) {
        let lost = try sinceLastCheck()
        if lost > 0 { StandardOutput.printLine("Possibly lost \(lost) samples") }
    }
}

extension BPF {
    /// Runs the event tools' loop: polls every ring of this object until
    /// `stop` (Ctrl-C, SIGTERM, the duration, or `done` returning true),
    /// reporting drops from `rings` after each poll.
    public func pollReportingDrops(rings: [String], until stop: StopSignal,
                                   done: () -> Bool = { false }) throws {
        var lost = LostSamples(try rings.map { name throws(BCCError) in try self[name] })
        while !stop.isStopped && !done() {
            _ = try poll(timeout: stop.pollTimeout())
            try lost.report()
        }
        // What arrived between the last poll and the stop.
        _ = try poll(timeout: 0)
        try lost.report()
    }
}
