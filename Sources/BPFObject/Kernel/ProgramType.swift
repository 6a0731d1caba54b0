// MARK: - ProgramType

/// A kernel program type (`enum bpf_prog_type`), complete as of Linux 6.18. Any value
/// can be represented, so a newer kernel's types pass through; the
/// constants are the UAPI values (written as literals: this layer has no
/// kernel headers), checked against the running kernel's BTF by EBPFTests.
public struct ProgramType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `bpf_prog_type` value.
    public let rawValue: UInt32

    /// Wraps a `bpf_prog_type` value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    // MARK: Constants

    /// BPF_PROG_TYPE_UNSPEC: not a program type; the kernel refuses it.
    public static let unspecified = ProgramType(rawValue: 0)
    /// BPF_PROG_TYPE_SOCKET_FILTER.
    public static let socketFilter = ProgramType(rawValue: 1)
    /// BPF_PROG_TYPE_KPROBE: kprobes and uprobes.
    public static let kprobe = ProgramType(rawValue: 2)
    /// BPF_PROG_TYPE_SCHED_CLS: tc classifiers (tc, tcx, netkit).
    public static let schedCLS = ProgramType(rawValue: 3)
    /// BPF_PROG_TYPE_SCHED_ACT: tc actions.
    public static let schedACT = ProgramType(rawValue: 4)
    /// BPF_PROG_TYPE_TRACEPOINT.
    public static let tracepoint = ProgramType(rawValue: 5)
    /// BPF_PROG_TYPE_XDP.
    public static let xdp = ProgramType(rawValue: 6)
    /// BPF_PROG_TYPE_PERF_EVENT.
    public static let perfEvent = ProgramType(rawValue: 7)
    /// BPF_PROG_TYPE_CGROUP_SKB: cgroup ingress / egress packet filter.
    public static let cgroupSKB = ProgramType(rawValue: 8)
    /// BPF_PROG_TYPE_CGROUP_SOCK: cgroup socket create / release / post-bind.
    public static let cgroupSock = ProgramType(rawValue: 9)
    /// BPF_PROG_TYPE_LWT_IN.
    public static let lwtIn = ProgramType(rawValue: 10)
    /// BPF_PROG_TYPE_LWT_OUT.
    public static let lwtOut = ProgramType(rawValue: 11)
    /// BPF_PROG_TYPE_LWT_XMIT.
    public static let lwtXmit = ProgramType(rawValue: 12)
    /// BPF_PROG_TYPE_SOCK_OPS.
    public static let sockOps = ProgramType(rawValue: 13)
    /// BPF_PROG_TYPE_SK_SKB: stream parser and verdict on sockmap / sockhash sockets.
    public static let skSKB = ProgramType(rawValue: 14)
    /// BPF_PROG_TYPE_CGROUP_DEVICE.
    public static let cgroupDevice = ProgramType(rawValue: 15)
    /// BPF_PROG_TYPE_SK_MSG: sendmsg verdict on sockmap / sockhash sockets.
    public static let skMsg = ProgramType(rawValue: 16)
    /// BPF_PROG_TYPE_RAW_TRACEPOINT.
    public static let rawTracepoint = ProgramType(rawValue: 17)
    /// BPF_PROG_TYPE_CGROUP_SOCK_ADDR: cgroup bind / connect / sendmsg / recvmsg / getname hooks.
    public static let cgroupSockAddr = ProgramType(rawValue: 18)
    /// BPF_PROG_TYPE_LWT_SEG6LOCAL.
    public static let lwtSeg6Local = ProgramType(rawValue: 19)
    /// BPF_PROG_TYPE_LIRC_MODE2.
    public static let lircMode2 = ProgramType(rawValue: 20)
    /// BPF_PROG_TYPE_SK_REUSEPORT.
    public static let skReuseport = ProgramType(rawValue: 21)
    /// BPF_PROG_TYPE_FLOW_DISSECTOR: replaces the kernel flow dissector.
    public static let flowDissector = ProgramType(rawValue: 22)
    /// BPF_PROG_TYPE_CGROUP_SYSCTL.
    public static let cgroupSysctl = ProgramType(rawValue: 23)
    /// BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: raw tracepoints that may write their buffer.
    public static let rawTracepointWritable = ProgramType(rawValue: 24)
    /// BPF_PROG_TYPE_CGROUP_SOCKOPT.
    public static let cgroupSockopt = ProgramType(rawValue: 25)
    /// BPF_PROG_TYPE_TRACING: fentry, fexit, tp_btf, iterators.
    public static let tracing = ProgramType(rawValue: 26)
    /// BPF_PROG_TYPE_STRUCT_OPS.
    public static let structOps = ProgramType(rawValue: 27)
    /// BPF_PROG_TYPE_EXT: freplace: replaces a function of another program.
    public static let ext = ProgramType(rawValue: 28)
    /// BPF_PROG_TYPE_LSM.
    public static let lsm = ProgramType(rawValue: 29)
    /// BPF_PROG_TYPE_SK_LOOKUP: picks the socket for a new connection.
    public static let skLookup = ProgramType(rawValue: 30)
    /// BPF_PROG_TYPE_SYSCALL: runs bpf(2) commands from BPF (BPF_PROG_TEST_RUN only).
    public static let syscall = ProgramType(rawValue: 31)
    /// BPF_PROG_TYPE_NETFILTER: netfilter hooks (Linux 6.4+).
    public static let netfilter = ProgramType(rawValue: 32)

    // MARK: Names

    /// The C enumerator, e.g. "BPF_PROG_TYPE_KPROBE", or the decimal value for one this table
    /// does not know (a newer kernel's): either way a C expression for the value.
    public var cName: String { ProgramType.names[rawValue]?.c ?? String(rawValue) }

    /// A readable summary for messages and logs.
    public var description: String { ProgramType.names[rawValue]?.summary ?? "program type \(rawValue)" }

    /// Every value this table knows, in UAPI order.
    public static var allKnown: [ProgramType] { names.keys.sorted().map(ProgramType.init(rawValue:)) }

    private static let names: [UInt32: (c: String, summary: String)] = [
        unspecified.rawValue: ("BPF_PROG_TYPE_UNSPEC", "unspecified"),
        socketFilter.rawValue: ("BPF_PROG_TYPE_SOCKET_FILTER", "socket filter"),
        kprobe.rawValue: ("BPF_PROG_TYPE_KPROBE", "kprobe"),
        schedCLS.rawValue: ("BPF_PROG_TYPE_SCHED_CLS", "sched_cls"),
        schedACT.rawValue: ("BPF_PROG_TYPE_SCHED_ACT", "sched_act"),
        tracepoint.rawValue: ("BPF_PROG_TYPE_TRACEPOINT", "tracepoint"),
        xdp.rawValue: ("BPF_PROG_TYPE_XDP", "XDP"),
        perfEvent.rawValue: ("BPF_PROG_TYPE_PERF_EVENT", "perf event"),
        cgroupSKB.rawValue: ("BPF_PROG_TYPE_CGROUP_SKB", "cgroup skb"),
        cgroupSock.rawValue: ("BPF_PROG_TYPE_CGROUP_SOCK", "cgroup sock"),
        lwtIn.rawValue: ("BPF_PROG_TYPE_LWT_IN", "lwt_in"),
        lwtOut.rawValue: ("BPF_PROG_TYPE_LWT_OUT", "lwt_out"),
        lwtXmit.rawValue: ("BPF_PROG_TYPE_LWT_XMIT", "lwt_xmit"),
        sockOps.rawValue: ("BPF_PROG_TYPE_SOCK_OPS", "sock_ops"),
        skSKB.rawValue: ("BPF_PROG_TYPE_SK_SKB", "sk_skb"),
        cgroupDevice.rawValue: ("BPF_PROG_TYPE_CGROUP_DEVICE", "cgroup device"),
        skMsg.rawValue: ("BPF_PROG_TYPE_SK_MSG", "sk_msg"),
        rawTracepoint.rawValue: ("BPF_PROG_TYPE_RAW_TRACEPOINT", "raw tracepoint"),
        cgroupSockAddr.rawValue: ("BPF_PROG_TYPE_CGROUP_SOCK_ADDR", "cgroup sock_addr"),
        lwtSeg6Local.rawValue: ("BPF_PROG_TYPE_LWT_SEG6LOCAL", "lwt_seg6local"),
        lircMode2.rawValue: ("BPF_PROG_TYPE_LIRC_MODE2", "lirc_mode2"),
        skReuseport.rawValue: ("BPF_PROG_TYPE_SK_REUSEPORT", "sk_reuseport"),
        flowDissector.rawValue: ("BPF_PROG_TYPE_FLOW_DISSECTOR", "flow dissector"),
        cgroupSysctl.rawValue: ("BPF_PROG_TYPE_CGROUP_SYSCTL", "cgroup sysctl"),
        rawTracepointWritable.rawValue: ("BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE", "writable raw tracepoint"),
        cgroupSockopt.rawValue: ("BPF_PROG_TYPE_CGROUP_SOCKOPT", "cgroup sockopt"),
        tracing.rawValue: ("BPF_PROG_TYPE_TRACING", "tracing"),
        structOps.rawValue: ("BPF_PROG_TYPE_STRUCT_OPS", "struct_ops"),
        ext.rawValue: ("BPF_PROG_TYPE_EXT", "extension"),
        lsm.rawValue: ("BPF_PROG_TYPE_LSM", "LSM"),
        skLookup.rawValue: ("BPF_PROG_TYPE_SK_LOOKUP", "sk_lookup"),
        syscall.rawValue: ("BPF_PROG_TYPE_SYSCALL", "syscall"),
        netfilter.rawValue: ("BPF_PROG_TYPE_NETFILTER", "netfilter"),
    ]
}
