// Drops reported as bcc's tools report a perf buffer's lost callback:
// "Possibly lost N samples", here with exact counts: each ring's hidden
// drop counter, and the counts the kernel hands a perf buffer.
import BCC
import Glibc

/// Counts what a tool's event tables dropped and reports it as it happens
/// ("Possibly lost N samples", or a JSON record per table), with a total at exit.
///
/// Ring buffers (BPF_RINGBUF_OUTPUT) are read from their drop counters;
/// perf buffers report through ``perfBufferLostCallback(for:)``, given to
/// `openPerfBuffer(lostCallback:)`.
public final class LostSamples {
    /// One table's counts.
    private struct Source {
        let name: String
        /// A ring's table, whose counter is read; nil for a perf buffer.
        let ring: Table?
        /// Counted (from the counter, or the perf buffer's reports) so far.
        var counted: UInt64 = 0
        /// Reported so far.
        var reported: UInt64 = 0
    }

    private var sources: [Source]
    private var lastCheck: timespec = timespec()

    /// Watches the drop counters of `rings` (ring buffer tables of one BPF object).
    public init(_ rings: [Table]) {
        sources = rings.map { Source(name: $0.name, ring: $0) }
    }

    /// Adds a perf buffer table and returns the callback for its
    /// `openPerfBuffer(lostCallback:)`, which adds what the kernel reports.
    public func perfBufferLostCallback(for table: String) -> (UInt64) -> Void {
        let index = sources.count
        sources.append(Source(name: table, ring: nil))
        return { lost in self.sources[index].counted &+= lost }
    }

    /// Every drop counted so far, reported or not.
    public var total: UInt64 { sources.reduce(0) { $0 &+ $1.counted } }

    /// Reads the rings' counters (the perf buffers' counts arrive by callback).
    private func update() throws(BCCError) {
        for index in sources.indices {
            if let ring = sources[index].ring { sources[index].counted = try ring.lostRecords }
        }
    }

    /// Records dropped since the last call (all of them the first time),
    /// now counted as reported.
    public func sinceLastCheck() throws(BCCError) -> UInt64 {
        try update()
        return takeNew()
    }

    /// The counted drops not reported yet, now counted as reported.
    private func takeNew() -> UInt64 {
        var lost: UInt64 = 0
        for index in sources.indices {
            lost &+= sources[index].counted &- sources[index].reported
            sources[index].reported = sources[index].counted
        }
        return lost
    }

    /// Appends bcc's line for the drops since the last report, if any:
    /// "Possibly lost N samples"; with `json`, `{"table":NAME,"lost":N}` per table.
    public func report(to output: OutputBuffer, json: Bool = false) throws(BCCError) {
        try update()
        if json {
            for index in sources.indices where sources[index].counted != sources[index].reported {
                appendJSON(name: sources[index].name, key: "lost", count: sources[index].counted &- sources[index].reported, to: output)
                sources[index].reported = sources[index].counted
            }
        } else {
            let lost = takeNew()
            guard lost > 0 else { return }
            output.append("Possibly lost ")
            output.append(Int64(truncatingIfNeeded: lost))
            output.append(" samples\n")
        }
    }

    /// ``report(to:json:)`` when at least `interval` seconds passed since
    /// the last check, so a busy loop reads the counters a few times a second.
    public func reportIfDue(to output: OutputBuffer, json: Bool = false, interval: Double = 0.1) throws(BCCError) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        let elapsed = Double(now.tv_sec - lastCheck.tv_sec) + Double(now.tv_nsec - lastCheck.tv_nsec) / 1e9
        guard elapsed >= interval else { return }
        lastCheck = now
        try report(to: output, json: json)
    }

    /// Appends the total at exit: "Lost N samples in total" when any were
    /// lost; with `json`, `{"table":NAME,"lost_total":N}` for every table.
    public func reportTotal(to output: OutputBuffer, json: Bool = false) throws(BCCError) {
        try report(to: output, json: json)
        if json {
            for source in sources { appendJSON(name: source.name, key: "lost_total", count: source.counted, to: output) }
        } else if total > 0 {
            output.append("Lost ")
            output.append(Int64(truncatingIfNeeded: total))
            output.append(" samples in total\n")
        }
    }

    private func appendJSON(name: String, key: StaticString, count: UInt64, to output: OutputBuffer) {
        // Table names are C identifiers: nothing to escape.
        output.append("{\"table\":\"\(name)\",\"")
        output.append(key, width: 0)
        output.append("\":")
        output.append(Int64(truncatingIfNeeded: count))
        output.append("}\n")
    }
}

extension BPF {
    /// Runs the event tools' loop: polls every ring and perf buffer of this
    /// object until `stop` (Ctrl-C, SIGTERM, the duration, or `done`
    /// returning true), writing `output` once per poll pass and reporting
    /// the drops `lost` counts as they happen, then the total at exit.
    public func pollReportingDrops(_ lost: LostSamples, output: OutputBuffer, json: Bool = false, until stop: StopSignal,
                                   done: () -> Bool = { false }) throws {
        defer { output.flush() }
        while !stop.isStopped && !done() {
            _ = try poll(timeout: stop.pollTimeout())
            try lost.reportIfDue(to: output, json: json)
            output.flush()
        }
        // What arrived between the last poll and the stop.
        _ = try poll(timeout: 0)
        try lost.reportTotal(to: output, json: json)
    }

    /// ``pollReportingDrops(_:output:json:until:done:)`` for the ring
    /// buffer tables named `rings`.
    public func pollReportingDrops(rings: [String], output: OutputBuffer = OutputBuffer(), json: Bool = false,
                                   until stop: StopSignal, done: () -> Bool = { false }) throws {
        let lost = LostSamples(try rings.map { name throws(BCCError) in try self[name] })
        try pollReportingDrops(lost, output: output, json: json, until: stop, done: done)
    }
}
