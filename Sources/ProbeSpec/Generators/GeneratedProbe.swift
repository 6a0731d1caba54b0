/// A probe of a generated program: a concrete probe point (no wildcards) and
/// the C function that handles it.
public struct GeneratedProbe: Equatable, Sendable {
    /// Where it attaches.
    public var point: ProbePoint
    /// The handling function's name in the generated C.
    public var functionName: String

    /// A probe at `point` handled by `functionName`.
    public init(point: ProbePoint, functionName: String) {
        self.point = point
        self.functionName = functionName
    }

    /// The C definition line that opens the handler: a `struct pt_regs *ctx`
    /// for function probes and USDT (with the signature's parameters, read
    /// from the registers by the dialect), the tracepoint's `args` struct for
    /// tracepoints.
    public func definitionHead(parameters: [Parameter] = []) -> String {
        if let tracepoint = point.tracepoint {
            return "int \(functionName)(struct tracepoint__\(tracepoint.category)__\(tracepoint.event) *args)"
        }
        let extra = point.kind.isReturn || point.kind == .usdt ? "" : parameters.map { ", " + $0.declaration }.joined()
        return "int \(functionName)(struct pt_regs *ctx\(extra))"
    }

    /// A C identifier made from `text` (bcc replaces every other character by `_`).
    public static func identifier(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}

/// The process, thread and CPU filters every one-liner takes (-p, -t/-L, -c),
/// as C statements that return 0 from the probe for other tasks.
public struct TaskFilter: Equatable, Sendable {
    /// Keep only this process (tgid).
    public var pid: Int32?
    /// Keep only this thread.
    public var tid: Int32?
    /// Keep only this CPU.
    public var cpu: Int?

    /// A filter; nil fields keep everything.
    public init(pid: Int32? = nil, tid: Int32? = nil, cpu: Int? = nil) {
        self.pid = pid
        self.tid = tid
        self.cpu = cpu
    }

    /// The statements, on one line.
    public var statements: String {
        var text = ""
        if pid != nil || tid != nil {
            text += "u64 __pid_tgid = bpf_get_current_pid_tgid(); "
        }
        if let pid { text += "if ((u32)(__pid_tgid >> 32) != \(pid)) { return 0; } " }
        if let tid { text += "if ((u32)__pid_tgid != \(tid)) { return 0; } " }
        if let cpu { text += "if (bpf_get_smp_processor_id() != \(cpu)) { return 0; } " }
        return text
    }
}
