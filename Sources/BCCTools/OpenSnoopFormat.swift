// opensnoop's columns, as bcc's tools/opensnoop.py prints them.
import BCC
import Glibc

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
        let output = OutputBuffer(descriptor: -1, capacity: 1024)
        var comm = event.comm, path = event.path
        let shown = comm.withUTF8 { comm in
            path.withUTF8 { path in
                append(pid: event.pid, tid: event.tid, timestampMicros: event.timestampMicros, uid: event.uid, ret: event.ret,
                       flags: event.flags, mode: event.mode, comm: UnsafeRawBufferPointer(comm),
                       path: UnsafeRawBufferPointer(path), to: output)
            }
        }
        guard shown else { return nil }
        return String(output.text.dropLast())
    }

    /// Appends the line for one opensnoop record to `output` without making
    /// a String; false when a filter hides it. A relative path is printed
    /// after `directory` (bcc's -F: the opener's working directory) when given.
    public mutating func append(_ record: opensnoop_data_t, directory: String? = nil, to output: OutputBuffer) -> Bool {
        var record = record
        return withUnsafeBytes(of: &record.comm) { comm in
            withUnsafeBytes(of: &record.name) { path in
                append(pid: UInt32(truncatingIfNeeded: record.id >> 32), tid: UInt32(truncatingIfNeeded: record.id),
                       timestampMicros: record.ts, uid: record.uid, ret: record.ret, flags: record.flags, mode: record.mode,
                       comm: comm, path: path, directory: directory, to: output)
            }
        }
    }

    /// The one formatting of a line: `comm` and `path` are C strings (up to
    /// a NUL or their end).
    private mutating func append(pid: UInt32, tid: UInt32, timestampMicros: UInt64, uid: UInt32, ret: Int32, flags: Int32,
                                 mode: UInt32, comm: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer,
                                 directory: String? = nil, to output: OutputBuffer) -> Bool {
        let initial = initialTimestamp ?? timestampMicros
        initialTimestamp = initial
        if failedOnly && ret >= 0 { return false }
        let commLength = OutputBuffer.cStringLength(comm)
        if let nameFilter, !Self.contains(UnsafeRawBufferPointer(rebasing: comm[0 ..< commLength]), nameFilter) { return false }
        if timestamps {
            // bcc's "%-14.9f" of the seconds: microseconds, so the last three digits are zeros.
            let delta = timestampMicros &- initial
            let seconds = delta / 1_000_000
            output.append(Int64(truncatingIfNeeded: seconds))
            output.append(UInt8(ascii: "."))
            output.append(zeroPadded: delta % 1_000_000, digits: 6)
            output.append("000", width: 7 - Self.digitCount(seconds))
        }
        if printUID { output.append(Int64(uid), width: 6, leftAligned: true) }
        output.append(Int64(showTID ? tid : pid), width: 6, leftAligned: true)
        output.append(UInt8(ascii: " "))
        output.append(cString: comm, width: 16)
        output.append(UInt8(ascii: " "))
        output.append(ret >= 0 ? Int64(ret) : -1, width: 4)
        output.append(UInt8(ascii: " "))
        output.append(ret >= 0 ? 0 : -Int64(ret), width: 3)
        output.append(UInt8(ascii: " "))
        if extendedFields {
            output.append(octal: UInt64(UInt32(bitPattern: flags)), digits: 8)
            // open(2) ignores the mode unless O_CREAT or O_TMPFILE is given.
            let oCreat: Int32 = 0o100, oTmpfile: Int32 = 0o20_200_000
            if mode == 0 && flags & oCreat == 0 && flags & oTmpfile != oTmpfile {
                output.append(" n/a  ", width: 0)
            } else {
                output.append(UInt8(ascii: " "))
                output.append(octal: UInt64(mode), digits: 4)
                output.append(UInt8(ascii: " "))
            }
        }
        if let directory, path.first != UInt8(ascii: "/") {
            output.append(directory)
            if directory != "/" { output.append(UInt8(ascii: "/")) }
        }
        output.append(cString: path)
        output.append(UInt8(ascii: "\n"))
        return true
    }

    private static func digitCount(_ value: UInt64) -> Int {
        var digits = 1, rest = value
        while rest >= 10 { digits += 1; rest /= 10 }
        return digits
    }

    /// True when the bytes contain `text`'s UTF-8.
    private static func contains(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { needle in
            guard !needle.isEmpty else { return true }
            guard needle.count <= bytes.count else { return false }
            let first = needle[0]
            for start in 0 ... bytes.count - needle.count where bytes[start] == first {
                if memcmp(bytes.baseAddress! + start, needle.baseAddress!, needle.count) == 0 { return true }
            }
            return false
        }
    }
}
