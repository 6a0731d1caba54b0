import CBPF

/// A kernel program type (enum bpf_prog_type). Any value the kernel defines
/// can be represented; the constants name the ones swift-bcc uses.
public struct ProgramType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The bpf_prog_type value.
    public let rawValue: UInt32

    /// Wraps a bpf_prog_type value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    private init(_ type: bpf_prog_type) { rawValue = type.rawValue }

    /// BPF_PROG_TYPE_SOCKET_FILTER.
    public static let socketFilter = ProgramType(BPF_PROG_TYPE_SOCKET_FILTER)
    /// BPF_PROG_TYPE_KPROBE: kprobes and uprobes.
    public static let kprobe = ProgramType(BPF_PROG_TYPE_KPROBE)
    /// BPF_PROG_TYPE_SCHED_CLS.
    public static let schedCls = ProgramType(BPF_PROG_TYPE_SCHED_CLS)
    /// BPF_PROG_TYPE_TRACEPOINT.
    public static let tracepoint = ProgramType(BPF_PROG_TYPE_TRACEPOINT)
    /// BPF_PROG_TYPE_XDP.
    public static let xdp = ProgramType(BPF_PROG_TYPE_XDP)
    /// BPF_PROG_TYPE_PERF_EVENT.
    public static let perfEvent = ProgramType(BPF_PROG_TYPE_PERF_EVENT)
    /// BPF_PROG_TYPE_RAW_TRACEPOINT.
    public static let rawTracepoint = ProgramType(BPF_PROG_TYPE_RAW_TRACEPOINT)
    /// BPF_PROG_TYPE_TRACING: fentry, fexit, tp_btf, iterators.
    public static let tracing = ProgramType(BPF_PROG_TYPE_TRACING)
    /// BPF_PROG_TYPE_LSM.
    public static let lsm = ProgramType(BPF_PROG_TYPE_LSM)
    /// BPF_PROG_TYPE_SYSCALL.
    public static let syscall = ProgramType(BPF_PROG_TYPE_SYSCALL)

    /// A readable summary for messages and logs.
    public var description: String {
        ProgramType.names[rawValue] ?? "program type \(rawValue)"
    }

    private static let names: [UInt32: String] = [
        socketFilter.rawValue: "socket filter", kprobe.rawValue: "kprobe", schedCls.rawValue: "sched_cls",
        tracepoint.rawValue: "tracepoint", xdp.rawValue: "XDP", perfEvent.rawValue: "perf event",
        rawTracepoint.rawValue: "raw tracepoint", tracing.rawValue: "tracing", lsm.rawValue: "LSM",
        syscall.rawValue: "syscall",
    ]
}
