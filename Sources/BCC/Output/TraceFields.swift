// Splitting a trace_pipe line into bcc's trace_fields() tuple.

/// One line of the kernel's trace_pipe, split as bcc's `trace_fields()` does:
/// `task-pid [cpu] flags timestamp: symbol: message`.
public struct TraceFields: Hashable, Sendable {
    /// The task's command name (the 16-column field before the dash).
    public var task: String
    /// The thread id that wrote the line.
    public var pid: Int
    /// The CPU it ran on.
    public var cpu: Int
    /// The irq / preemption flags column, e.g. "d..31".
    public var flags: String
    /// Seconds since boot.
    public var timestamp: Double
    /// The text after the event name (what bpf_trace_printk printed).
    public var message: String

    /// Creates a record.
    public init(task: String, pid: Int, cpu: Int, flags: String, timestamp: Double, message: String) {
        self.task = task
        self.pid = pid
        self.cpu = cpu
        self.flags = flags
        self.timestamp = timestamp
        self.message = message
    }

    /// What bcc returns for a line whose numbers do not parse.
    public static let unknown = TraceFields(
        task: "Unknown", pid: 0, cpu: 0, flags: "Unknown", timestamp: 0, message: "Unknown")

    /// Splits `line` (trailing whitespace is ignored). Returns nil for the lines
    /// bcc skips: lost-event notices ("CPU:...") and lines without the four
    /// `pid [cpu] flags timestamp` columns; returns ``unknown`` when those
    /// columns are not numbers.
    public init?(line rawLine: Substring) {
        var line = rawLine
        while let last = line.last, last.isWhitespace { line.removeLast() }
        if line.hasPrefix("CPU:") { return nil }
        let task = line.prefix(16).drop(while: { $0 == " " })
        let rest = line.dropFirst(17)
        guard let timestampEnd = rest.firstIndex(of: ":") else { return nil }
        let columns = rest[..<timestampEnd].split(whereSeparator: { $0.isWhitespace })
        guard columns.count == 4 else { return nil }
        // After the timestamp comes " symbol: message".
        let afterTimestamp = rest[rest.index(after: timestampEnd)...]
        let message: Substring
        if let symbolEnd = afterTimestamp.firstIndex(of: ":") {
            message = afterTimestamp[symbolEnd...].dropFirst(2)
        } else {
            // bcc's find() returns -1 here and slices from index 1.
            message = afterTimestamp.dropFirst(1)
        }
        guard let pid = Int(columns[0]), let cpu = Int(columns[1].dropFirst().dropLast()),
              let timestamp = Double(columns[3])
        else {
            self = .unknown
            return
        }
        self.init(task: String(task), pid: pid, cpu: cpu, flags: String(columns[2]),
                  timestamp: timestamp, message: String(message))
    }
}
