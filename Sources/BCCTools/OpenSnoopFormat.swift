// opensnoop's columns, as bcc's tools/opensnoop.py prints them.
import Foundation

/// One completed open, as opensnoop's BPF program reports it.
public struct OpenEvent: Hashable, Sendable {
    /// Process id (thread group id).
    public var pid: UInt32
    /// Thread id.
    public var tid: UInt32
    /// Kernel time of the return, in microseconds.
    public var timestampMicros: UInt64
    /// The opener's uid.
    public var uid: UInt32
    /// The syscall's result: a descriptor, or a negative errno.
    public var ret: Int32
    /// The opener's command name.
    public var comm: String
    /// The path as passed to open.
    public var path: String
    /// The open flags.
    public var flags: Int32
    /// The mode argument (meaningful with O_CREAT or O_TMPFILE).
    public var mode: UInt32

    /// Creates an event.
    public init(pid: UInt32, tid: UInt32, timestampMicros: UInt64, uid: UInt32, ret: Int32,
                comm: String, path: String, flags: Int32 = 0, mode: UInt32 = 0) {
        self.pid = pid
        self.tid = tid
        self.timestampMicros = timestampMicros
        self.uid = uid
        self.ret = ret
        self.comm = comm
        self.path = path
        self.flags = flags
        self.mode = mode
    }
}

/// Formats opensnoop's header and event lines, and applies its user-space filters.
public struct OpenSnoopFormatter: Sendable {
    /// Print a TIME(s) column: seconds since the first event.
    public var timestamps: Bool
    /// Print a UID column.
    public var printUID: Bool
    /// Show only failed opens.
    public var failedOnly: Bool
    /// Show only processes whose name contains this.
    public var nameFilter: String?
    /// Print thread ids (TID) instead of process ids.
    public var showTID: Bool
    /// Print the FLAGS and MODE columns in octal.
    public var extendedFields: Bool
    private var initialTimestamp: UInt64?

    /// Creates a formatter for the given options.
    public init(timestamps: Bool = false, printUID: Bool = false, failedOnly: Bool = false,
                nameFilter: String? = nil, showTID: Bool = false, extendedFields: Bool = false) {
        self.timestamps = timestamps
        self.printUID = printUID
        self.failedOnly = failedOnly
        self.nameFilter = nameFilter
        self.showTID = showTID
        self.extendedFields = extendedFields
    }

    /// The header line.
    public var header: String {
        var line = ""
        if timestamps { line += CText.left("TIME(s)", 14) }
        if printUID { line += CText.left("UID", 6) }
        line += "\(CText.left(showTID ? "TID" : "PID", 6)) \(CText.left("COMM", 16)) \(CText.right("FD", 4)) \(CText.right("ERR", 3)) "
        if extendedFields { line += "\(CText.left("FLAGS", 8)) \(CText.left("MODE", 4)) " }
        return line + "PATH"
    }

    /// The line for `event`, or nil when a filter hides it. The first event
    /// seen (shown or not) starts the TIME(s) clock, as in bcc.
    public mutating func line(for event: OpenEvent) -> String? {
        let initial = initialTimestamp ?? event.timestampMicros
        initialTimestamp = initial
        if failedOnly && event.ret >= 0 { return nil }
        if let nameFilter, !event.comm.contains(nameFilter) { return nil }
        let fd = event.ret >= 0 ? Int(event.ret) : -1
        let err = event.ret >= 0 ? 0 : -Int(event.ret)
        var line = ""
        if timestamps {
            let delta = Double(event.timestampMicros &- initial) / 1_000_000
            line += CText.left(String(format: "%.9f", delta), 14)
        }
        if printUID { line += CText.left(String(event.uid), 6) }
        let id = showTID ? event.tid : event.pid
        line += "\(CText.left(String(id), 6)) \(CText.left(event.comm, 16)) \(CText.right(String(fd), 4)) \(CText.right(String(err), 3)) "
        if extendedFields {
            // open(2) ignores the mode unless O_CREAT or O_TMPFILE is given.
            let oCreat: Int32 = 0o100, oTmpfile: Int32 = 0o20_200_000
            if event.mode == 0 && event.flags & oCreat == 0 && event.flags & oTmpfile != oTmpfile {
                line += String(format: "%08o n/a  ", event.flags)
            } else {
                line += String(format: "%08o %04o ", event.flags, event.mode)
            }
        }
        return line + event.path
    }
}
