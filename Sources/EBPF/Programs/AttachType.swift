import CBPF

/// A kernel attach type (enum bpf_attach_type): a program's expected attach
/// type at load, and the kind of a BPF link.
public struct AttachType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The bpf_attach_type value.
    public let rawValue: UInt32

    /// Wraps a bpf_attach_type value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    private init(_ type: bpf_attach_type) { rawValue = type.rawValue }

    /// BPF_TRACE_RAW_TP: tp_btf programs.
    public static let traceRawTracepoint = AttachType(BPF_TRACE_RAW_TP)
    /// BPF_TRACE_FENTRY.
    public static let traceFentry = AttachType(BPF_TRACE_FENTRY)
    /// BPF_TRACE_FEXIT.
    public static let traceFexit = AttachType(BPF_TRACE_FEXIT)
    /// BPF_MODIFY_RETURN.
    public static let modifyReturn = AttachType(BPF_MODIFY_RETURN)
    /// BPF_LSM_MAC.
    public static let lsmMAC = AttachType(BPF_LSM_MAC)
    /// BPF_TRACE_ITER.
    public static let traceIterator = AttachType(BPF_TRACE_ITER)
    /// BPF_PERF_EVENT: a link from a program to a perf event (Linux 5.15+).
    public static let perfEvent = AttachType(BPF_PERF_EVENT)
    /// BPF_TRACE_KPROBE_MULTI (Linux 5.18+).
    public static let traceKprobeMulti = AttachType(BPF_TRACE_KPROBE_MULTI)

    /// A readable summary for messages and logs.
    public var description: String {
        AttachType.names[rawValue] ?? "attach type \(rawValue)"
    }

    private static let names: [UInt32: String] = [
        traceRawTracepoint.rawValue: "tp_btf", traceFentry.rawValue: "fentry", traceFexit.rawValue: "fexit",
        modifyReturn.rawValue: "fmod_ret", lsmMAC.rawValue: "lsm", traceIterator.rawValue: "iter",
        perfEvent.rawValue: "perf_event", traceKprobeMulti.rawValue: "kprobe_multi",
    ]
}
