// execsnoop's columns, as bcc's tools/execsnoop.py prints them.

/// One record from execsnoop's BPF program: an argument of an exec in
/// progress, or the exec's return.
public enum ExecRecord: Hashable, Sendable {
    /// One argument (the filename first, then argv[1...]).
    case argument(pid: UInt32, text: String)
    /// The exec returned (`comm` is the new program's name on success,
    /// `parentComm` the parent's, `cpu` where it returned).
    case returned(pid: UInt32, ppid: UInt32, uid: UInt32, comm: String, parentComm: String = "", retval: Int32, cpu: UInt32 = 0)
}

/// Collects each exec's arguments and formats a line when it returns.
public struct ExecSnoopFormatter: Sendable {
    /// Print a TIME column (HH:MM:SS).
    public var time: Bool
    /// Print a TIME(s) column: seconds since the tool started.
    public var timestamp: Bool
    /// Print a UID column.
    public var printUID: Bool
    /// Include execs that failed.
    public var includeFailed: Bool
    /// Show only commands whose name matches this regular expression.
    public var namePattern: String?
    /// Show only commands whose arguments match this regular expression.
    public var linePattern: String?
    /// Put quotes around each argument.
    public var quote: Bool
    /// Print the parent's command name (PCOMM).
    public var printParentComm: Bool
    /// Print the CPU the exec returned on.
    public var printCPU: Bool
    private var pendingArguments: [UInt32: [String]] = [:]
    private let start = ContinuousClock.now

    /// Creates a formatter for the given options.
    public init(time: Bool = false, timestamp: Bool = false, printUID: Bool = false, includeFailed: Bool = false,
                namePattern: String? = nil, linePattern: String? = nil, quote: Bool = false,
                printParentComm: Bool = false, printCPU: Bool = false) {
        self.time = time
        self.timestamp = timestamp
        self.printUID = printUID
        self.includeFailed = includeFailed
        self.namePattern = namePattern
        self.linePattern = linePattern
        self.quote = quote
        self.printParentComm = printParentComm
        self.printCPU = printCPU
    }

    /// The header line.
    public var header: String {
        var line = ""
        if time { line += CText.left("TIME", 9) }
        if timestamp { line += CText.left("TIME(s)", 8) }
        if printUID { line += CText.left("UID", 6) }
        line += "\(CText.left("COMM", 16)) \(CText.left("PID", 7)) "
        if printParentComm { line += "\(CText.left("PCOMM", 16)) " }
        line += "\(CText.left("PPID", 7)) "
        if printCPU { line += "\(CText.left("CPU", 4)) " }
        return line + "\(CText.right("RET", 3)) ARGS"
    }

    /// Takes one record; returns the line to print when an exec completes
    /// and passes the filters.
    public mutating func line(for record: ExecRecord) -> String? {
        switch record {
        case .argument(let pid, let text):
            pendingArguments[pid, default: []].append(text)
            return nil
        case .returned(let pid, let ppid, let uid, let comm, let parentComm, let retval, let cpu):
            var arguments = pendingArguments.removeValue(forKey: pid) ?? []
            if retval != 0 && !includeFailed { return nil }
            if let namePattern, !Self.matches(namePattern, comm) { return nil }
            if let linePattern, !Self.matches(linePattern, arguments.joined(separator: " ")) { return nil }
            if quote {
                arguments = arguments.map { "\"" + $0.replacing("\"", with: "\\\"") + "\"" }
            }
            var line = ""
            if time { line += CText.left(ToolClock.hhmmss(), 9) }
            if timestamp { line += CText.left(CText.fixed((ContinuousClock.now - start) / .seconds(1), 3), 8) }
            if printUID { line += CText.left(String(uid), 6) }
            let parent = ppid > 0 ? String(ppid) : "?"
            let argv = arguments.joined(separator: " ").replacing("\n", with: "\\n")
            line += "\(CText.left(comm, 16)) \(CText.left(String(pid), 7)) "
            if printParentComm { line += "\(CText.left(parentComm, 16)) " }
            line += "\(CText.left(parent, 7)) "
            if printCPU { line += "\(CText.left(String(cpu), 4)) " }
            line += "\(CText.right(String(retval), 3)) \(argv)"
            return line
        }
    }

    /// True when `pattern` (a regular expression, as bcc's re.search) matches
    /// somewhere in `text`; a pattern that is not a regular expression matches nothing.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return text.contains(regex)
    }
}
