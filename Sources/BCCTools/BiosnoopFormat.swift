// biosnoop's lines, as bcc's tools/biosnoop.py prints them.

/// Formats biosnoop's header and one line per I/O record.
public struct BiosnoopFormatter {
    /// Show the P column (-P): S sequential, R random, ? unknown.
    public var showPattern: Bool
    /// Show the QUE(ms) column (-Q): time from the I/O's start to its issue.
    public var showQueued: Bool
    /// Disk names by kernel dev_t.
    public var devices: BlockDevices
    private var firstTimestamp: UInt64?

    /// A formatter for the given columns.
    public init(showPattern: Bool = false, showQueued: Bool = false, devices: BlockDevices = BlockDevices(diskstats: "")) {
        self.showPattern = showPattern
        self.showQueued = showQueued
        self.devices = devices
    }

    /// The column header.
    public var header: String {
        var text = [CText.left("TIME(s)", 11), CText.left("COMM", 14), CText.left("PID", 7), CText.left("DISK", 9),
                    "T", CText.left("SECTOR", 10), CText.left("BYTES", 7)].joined(separator: " ")
        if showPattern { text += "P " }
        if showQueued { text += CText.right("QUE(ms)", 7) + " " }
        return text + CText.right("LAT(ms)", 7)
    }

    /// The line for `event`; times count from the first event's.
    public mutating func line(for event: biosnoop_event_t) -> String {
        let first = firstTimestamp ?? event.ts
        firstTimestamp = first
        let seconds = Double(event.ts &- first) / 1_000_000
        let comm = String(event.nameString.prefix(14))
        let disk = devices.name(ofKernelDevice: event.dev) ?? "<unknown>"
        var text = [CText.left(CText.fixed(seconds, 6), 11), CText.left(comm, 14), CText.left(String(event.pid), 7),
                    CText.left(disk, 9), event.rwflag == 1 ? "W" : "R", CText.left(String(event.sector), 10),
                    CText.left(String(event.len), 7)].joined(separator: " ")
        if showPattern {
            switch BiosnoopProgram.Pattern(rawValue: event.pattern) {
            case .sequential: text += "S "
            case .random: text += "R "
            default: text += "? "
            }
        }
        if showQueued { text += CText.right(CText.fixed(Double(event.qdelta) / 1_000_000, 2), 7) + " " }
        return text + CText.right(CText.fixed(Double(event.delta) / 1_000_000, 2), 7)
    }
}
