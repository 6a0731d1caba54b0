/// A kernel capability swift-bcc probes for before relying on it.
public enum Feature: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// BPF_MAP_TYPE_RINGBUF.
    case ringBuffer
    /// BPF_BTF_LOAD.
    case btfLoad
    /// BPF_PROG_TYPE_RAW_TRACEPOINT and BPF_RAW_TRACEPOINT_OPEN.
    case rawTracepoints
    /// The kprobe PMU (/sys/bus/event_source/devices/kprobe), for perf_event_open kprobes.
    case kprobePMU
    /// The uprobe PMU (/sys/bus/event_source/devices/uprobe), for perf_event_open uprobes.
    case uprobePMU
    /// BPF_LINK_CREATE with BPF_PERF_EVENT: BPF links for kprobes, uprobes and tracepoints.
    case perfEventLinks
    /// BPF_LINK_CREATE with BPF_XDP: XDP programs held by a BPF link rather than set over netlink.
    case xdpLinks
    /// BPF_LINK_CREATE with BPF_TCX_INGRESS / BPF_TCX_EGRESS: tc programs without a qdisc.
    case tcxLinks

    /// The kernel version or configuration that brings the feature.
    public var requirement: String {
        switch self {
        case .ringBuffer: return "Linux 5.8+"
        case .btfLoad: return "Linux 4.18+ with CONFIG_DEBUG_INFO_BTF"
        case .rawTracepoints: return "Linux 4.17+"
        case .kprobePMU: return "Linux 4.17+ with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS"
        case .uprobePMU: return "Linux 4.17+ with CONFIG_UPROBES and CONFIG_UPROBE_EVENTS"
        case .perfEventLinks: return "Linux 5.15+"
        case .xdpLinks: return "Linux 5.9+"
        case .tcxLinks: return "Linux 6.6+"
        }
    }

    /// A readable summary for messages and logs.
    public var description: String {
        switch self {
        case .ringBuffer: return "the BPF ring buffer map"
        case .btfLoad: return "loading BTF (BPF_BTF_LOAD)"
        case .rawTracepoints: return "raw tracepoints"
        case .kprobePMU: return "the kprobe PMU (perf_event_open kprobes)"
        case .uprobePMU: return "the uprobe PMU (perf_event_open uprobes)"
        case .perfEventLinks: return "BPF links for perf events"
        case .xdpLinks: return "BPF links for XDP"
        case .tcxLinks: return "tcx (BPF links for tc)"
        }
    }
}
