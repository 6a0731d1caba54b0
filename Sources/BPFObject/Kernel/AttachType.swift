// MARK: - AttachType

/// A kernel attach type (`enum bpf_attach_type`), complete as of Linux 6.18. Any value
/// can be represented, so a newer kernel's types pass through; the
/// constants are the UAPI values (written as literals: this layer has no
/// kernel headers), checked against the running kernel's BTF by EBPFTests.
public struct AttachType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `bpf_attach_type` value.
    public let rawValue: UInt32

    /// Wraps a `bpf_attach_type` value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    // MARK: Constants

    /// BPF_CGROUP_INET_INGRESS.
    public static let cgroupInetIngress = AttachType(rawValue: 0)
    /// BPF_CGROUP_INET_EGRESS.
    public static let cgroupInetEgress = AttachType(rawValue: 1)
    /// BPF_CGROUP_INET_SOCK_CREATE.
    public static let cgroupInetSockCreate = AttachType(rawValue: 2)
    /// BPF_CGROUP_SOCK_OPS.
    public static let cgroupSockOps = AttachType(rawValue: 3)
    /// BPF_SK_SKB_STREAM_PARSER: sk_skb stream parser on a sockmap / sockhash.
    public static let skSKBStreamParser = AttachType(rawValue: 4)
    /// BPF_SK_SKB_STREAM_VERDICT: sk_skb stream verdict on a sockmap / sockhash.
    public static let skSKBStreamVerdict = AttachType(rawValue: 5)
    /// BPF_CGROUP_DEVICE.
    public static let cgroupDevice = AttachType(rawValue: 6)
    /// BPF_SK_MSG_VERDICT: sk_msg verdict on a sockmap / sockhash.
    public static let skMsgVerdict = AttachType(rawValue: 7)
    /// BPF_CGROUP_INET4_BIND.
    public static let cgroupInet4Bind = AttachType(rawValue: 8)
    /// BPF_CGROUP_INET6_BIND.
    public static let cgroupInet6Bind = AttachType(rawValue: 9)
    /// BPF_CGROUP_INET4_CONNECT.
    public static let cgroupInet4Connect = AttachType(rawValue: 10)
    /// BPF_CGROUP_INET6_CONNECT.
    public static let cgroupInet6Connect = AttachType(rawValue: 11)
    /// BPF_CGROUP_INET4_POST_BIND.
    public static let cgroupInet4PostBind = AttachType(rawValue: 12)
    /// BPF_CGROUP_INET6_POST_BIND.
    public static let cgroupInet6PostBind = AttachType(rawValue: 13)
    /// BPF_CGROUP_UDP4_SENDMSG.
    public static let cgroupUDP4Sendmsg = AttachType(rawValue: 14)
    /// BPF_CGROUP_UDP6_SENDMSG.
    public static let cgroupUDP6Sendmsg = AttachType(rawValue: 15)
    /// BPF_LIRC_MODE2.
    public static let lircMode2 = AttachType(rawValue: 16)
    /// BPF_FLOW_DISSECTOR: a flow dissector in a network namespace.
    public static let flowDissector = AttachType(rawValue: 17)
    /// BPF_CGROUP_SYSCTL.
    public static let cgroupSysctl = AttachType(rawValue: 18)
    /// BPF_CGROUP_UDP4_RECVMSG.
    public static let cgroupUDP4Recvmsg = AttachType(rawValue: 19)
    /// BPF_CGROUP_UDP6_RECVMSG.
    public static let cgroupUDP6Recvmsg = AttachType(rawValue: 20)
    /// BPF_CGROUP_GETSOCKOPT.
    public static let cgroupGetsockopt = AttachType(rawValue: 21)
    /// BPF_CGROUP_SETSOCKOPT.
    public static let cgroupSetsockopt = AttachType(rawValue: 22)
    /// BPF_TRACE_RAW_TP: tp_btf programs.
    public static let traceRawTracepoint = AttachType(rawValue: 23)
    /// BPF_TRACE_FENTRY.
    public static let traceFentry = AttachType(rawValue: 24)
    /// BPF_TRACE_FEXIT.
    public static let traceFexit = AttachType(rawValue: 25)
    /// BPF_MODIFY_RETURN: fmod_ret.
    public static let modifyReturn = AttachType(rawValue: 26)
    /// BPF_LSM_MAC: LSM hooks.
    public static let lsmMAC = AttachType(rawValue: 27)
    /// BPF_TRACE_ITER: BPF iterators.
    public static let traceIterator = AttachType(rawValue: 28)
    /// BPF_CGROUP_INET4_GETPEERNAME.
    public static let cgroupInet4Getpeername = AttachType(rawValue: 29)
    /// BPF_CGROUP_INET6_GETPEERNAME.
    public static let cgroupInet6Getpeername = AttachType(rawValue: 30)
    /// BPF_CGROUP_INET4_GETSOCKNAME.
    public static let cgroupInet4Getsockname = AttachType(rawValue: 31)
    /// BPF_CGROUP_INET6_GETSOCKNAME.
    public static let cgroupInet6Getsockname = AttachType(rawValue: 32)
    /// BPF_XDP_DEVMAP: XDP programs run on devmap redirect.
    public static let xdpDevMap = AttachType(rawValue: 33)
    /// BPF_CGROUP_INET_SOCK_RELEASE.
    public static let cgroupInetSockRelease = AttachType(rawValue: 34)
    /// BPF_XDP_CPUMAP: XDP programs run on cpumap redirect.
    public static let xdpCPUMap = AttachType(rawValue: 35)
    /// BPF_SK_LOOKUP.
    public static let skLookup = AttachType(rawValue: 36)
    /// BPF_XDP: XDP links and xdp programs.
    public static let xdp = AttachType(rawValue: 37)
    /// BPF_SK_SKB_VERDICT: sk_skb verdict on a sockmap / sockhash (UDP and TCP).
    public static let skSKBVerdict = AttachType(rawValue: 38)
    /// BPF_SK_REUSEPORT_SELECT.
    public static let skReuseportSelect = AttachType(rawValue: 39)
    /// BPF_SK_REUSEPORT_SELECT_OR_MIGRATE.
    public static let skReuseportSelectOrMigrate = AttachType(rawValue: 40)
    /// BPF_PERF_EVENT: a link from a program to a perf event (Linux 5.15+).
    public static let perfEvent = AttachType(rawValue: 41)
    /// BPF_TRACE_KPROBE_MULTI: kprobe.multi links (Linux 5.18+).
    public static let traceKprobeMulti = AttachType(rawValue: 42)
    /// BPF_LSM_CGROUP: LSM hooks per cgroup.
    public static let lsmCgroup = AttachType(rawValue: 43)
    /// BPF_STRUCT_OPS: struct_ops programs.
    public static let structOps = AttachType(rawValue: 44)
    /// BPF_NETFILTER: netfilter hooks.
    public static let netfilter = AttachType(rawValue: 45)
    /// BPF_TCX_INGRESS: tcx ingress (Linux 6.6+).
    public static let tcxIngress = AttachType(rawValue: 46)
    /// BPF_TCX_EGRESS: tcx egress (Linux 6.6+).
    public static let tcxEgress = AttachType(rawValue: 47)
    /// BPF_TRACE_UPROBE_MULTI.
    public static let traceUprobeMulti = AttachType(rawValue: 48)
    /// BPF_CGROUP_UNIX_CONNECT.
    public static let cgroupUnixConnect = AttachType(rawValue: 49)
    /// BPF_CGROUP_UNIX_SENDMSG.
    public static let cgroupUnixSendmsg = AttachType(rawValue: 50)
    /// BPF_CGROUP_UNIX_RECVMSG.
    public static let cgroupUnixRecvmsg = AttachType(rawValue: 51)
    /// BPF_CGROUP_UNIX_GETPEERNAME.
    public static let cgroupUnixGetpeername = AttachType(rawValue: 52)
    /// BPF_CGROUP_UNIX_GETSOCKNAME.
    public static let cgroupUnixGetsockname = AttachType(rawValue: 53)
    /// BPF_NETKIT_PRIMARY: netkit primary device (Linux 6.7+).
    public static let netkitPrimary = AttachType(rawValue: 54)
    /// BPF_NETKIT_PEER: netkit peer device (Linux 6.7+).
    public static let netkitPeer = AttachType(rawValue: 55)
    /// BPF_TRACE_KPROBE_SESSION.
    public static let traceKprobeSession = AttachType(rawValue: 56)
    /// BPF_TRACE_UPROBE_SESSION.
    public static let traceUprobeSession = AttachType(rawValue: 57)

    // MARK: Names

    /// The C enumerator, e.g. "BPF_TRACE_FENTRY", or the decimal value for one this table
    /// does not know (a newer kernel's): either way a C expression for the value.
    public var cName: String { AttachType.names[rawValue]?.c ?? String(rawValue) }

    /// A readable summary for messages and logs.
    public var description: String { AttachType.names[rawValue]?.summary ?? "attach type \(rawValue)" }

    /// Every value this table knows, in UAPI order.
    public static var allKnown: [AttachType] { names.keys.sorted().map(AttachType.init(rawValue:)) }

    private static let names: [UInt32: (c: String, summary: String)] = [
        cgroupInetIngress.rawValue: ("BPF_CGROUP_INET_INGRESS", "cgroup_inet_ingress"),
        cgroupInetEgress.rawValue: ("BPF_CGROUP_INET_EGRESS", "cgroup_inet_egress"),
        cgroupInetSockCreate.rawValue: ("BPF_CGROUP_INET_SOCK_CREATE", "cgroup_inet_sock_create"),
        cgroupSockOps.rawValue: ("BPF_CGROUP_SOCK_OPS", "cgroup_sock_ops"),
        skSKBStreamParser.rawValue: ("BPF_SK_SKB_STREAM_PARSER", "sk_skb_stream_parser"),
        skSKBStreamVerdict.rawValue: ("BPF_SK_SKB_STREAM_VERDICT", "sk_skb_stream_verdict"),
        cgroupDevice.rawValue: ("BPF_CGROUP_DEVICE", "cgroup_device"),
        skMsgVerdict.rawValue: ("BPF_SK_MSG_VERDICT", "sk_msg_verdict"),
        cgroupInet4Bind.rawValue: ("BPF_CGROUP_INET4_BIND", "cgroup_inet4_bind"),
        cgroupInet6Bind.rawValue: ("BPF_CGROUP_INET6_BIND", "cgroup_inet6_bind"),
        cgroupInet4Connect.rawValue: ("BPF_CGROUP_INET4_CONNECT", "cgroup_inet4_connect"),
        cgroupInet6Connect.rawValue: ("BPF_CGROUP_INET6_CONNECT", "cgroup_inet6_connect"),
        cgroupInet4PostBind.rawValue: ("BPF_CGROUP_INET4_POST_BIND", "cgroup_inet4_post_bind"),
        cgroupInet6PostBind.rawValue: ("BPF_CGROUP_INET6_POST_BIND", "cgroup_inet6_post_bind"),
        cgroupUDP4Sendmsg.rawValue: ("BPF_CGROUP_UDP4_SENDMSG", "cgroup_udp4_sendmsg"),
        cgroupUDP6Sendmsg.rawValue: ("BPF_CGROUP_UDP6_SENDMSG", "cgroup_udp6_sendmsg"),
        lircMode2.rawValue: ("BPF_LIRC_MODE2", "lirc_mode2"),
        flowDissector.rawValue: ("BPF_FLOW_DISSECTOR", "flow_dissector"),
        cgroupSysctl.rawValue: ("BPF_CGROUP_SYSCTL", "cgroup_sysctl"),
        cgroupUDP4Recvmsg.rawValue: ("BPF_CGROUP_UDP4_RECVMSG", "cgroup_udp4_recvmsg"),
        cgroupUDP6Recvmsg.rawValue: ("BPF_CGROUP_UDP6_RECVMSG", "cgroup_udp6_recvmsg"),
        cgroupGetsockopt.rawValue: ("BPF_CGROUP_GETSOCKOPT", "cgroup_getsockopt"),
        cgroupSetsockopt.rawValue: ("BPF_CGROUP_SETSOCKOPT", "cgroup_setsockopt"),
        traceRawTracepoint.rawValue: ("BPF_TRACE_RAW_TP", "tp_btf"),
        traceFentry.rawValue: ("BPF_TRACE_FENTRY", "fentry"),
        traceFexit.rawValue: ("BPF_TRACE_FEXIT", "fexit"),
        modifyReturn.rawValue: ("BPF_MODIFY_RETURN", "fmod_ret"),
        lsmMAC.rawValue: ("BPF_LSM_MAC", "lsm"),
        traceIterator.rawValue: ("BPF_TRACE_ITER", "iter"),
        cgroupInet4Getpeername.rawValue: ("BPF_CGROUP_INET4_GETPEERNAME", "cgroup_inet4_getpeername"),
        cgroupInet6Getpeername.rawValue: ("BPF_CGROUP_INET6_GETPEERNAME", "cgroup_inet6_getpeername"),
        cgroupInet4Getsockname.rawValue: ("BPF_CGROUP_INET4_GETSOCKNAME", "cgroup_inet4_getsockname"),
        cgroupInet6Getsockname.rawValue: ("BPF_CGROUP_INET6_GETSOCKNAME", "cgroup_inet6_getsockname"),
        xdpDevMap.rawValue: ("BPF_XDP_DEVMAP", "xdp_devmap"),
        cgroupInetSockRelease.rawValue: ("BPF_CGROUP_INET_SOCK_RELEASE", "cgroup_inet_sock_release"),
        xdpCPUMap.rawValue: ("BPF_XDP_CPUMAP", "xdp_cpumap"),
        skLookup.rawValue: ("BPF_SK_LOOKUP", "sk_lookup"),
        xdp.rawValue: ("BPF_XDP", "xdp"),
        skSKBVerdict.rawValue: ("BPF_SK_SKB_VERDICT", "sk_skb_verdict"),
        skReuseportSelect.rawValue: ("BPF_SK_REUSEPORT_SELECT", "sk_reuseport_select"),
        skReuseportSelectOrMigrate.rawValue: ("BPF_SK_REUSEPORT_SELECT_OR_MIGRATE", "sk_reuseport_select_or_migrate"),
        perfEvent.rawValue: ("BPF_PERF_EVENT", "perf_event"),
        traceKprobeMulti.rawValue: ("BPF_TRACE_KPROBE_MULTI", "kprobe_multi"),
        lsmCgroup.rawValue: ("BPF_LSM_CGROUP", "lsm_cgroup"),
        structOps.rawValue: ("BPF_STRUCT_OPS", "struct_ops"),
        netfilter.rawValue: ("BPF_NETFILTER", "netfilter"),
        tcxIngress.rawValue: ("BPF_TCX_INGRESS", "tcx_ingress"),
        tcxEgress.rawValue: ("BPF_TCX_EGRESS", "tcx_egress"),
        traceUprobeMulti.rawValue: ("BPF_TRACE_UPROBE_MULTI", "uprobe_multi"),
        cgroupUnixConnect.rawValue: ("BPF_CGROUP_UNIX_CONNECT", "cgroup_unix_connect"),
        cgroupUnixSendmsg.rawValue: ("BPF_CGROUP_UNIX_SENDMSG", "cgroup_unix_sendmsg"),
        cgroupUnixRecvmsg.rawValue: ("BPF_CGROUP_UNIX_RECVMSG", "cgroup_unix_recvmsg"),
        cgroupUnixGetpeername.rawValue: ("BPF_CGROUP_UNIX_GETPEERNAME", "cgroup_unix_getpeername"),
        cgroupUnixGetsockname.rawValue: ("BPF_CGROUP_UNIX_GETSOCKNAME", "cgroup_unix_getsockname"),
        netkitPrimary.rawValue: ("BPF_NETKIT_PRIMARY", "netkit_primary"),
        netkitPeer.rawValue: ("BPF_NETKIT_PEER", "netkit_peer"),
        traceKprobeSession.rawValue: ("BPF_TRACE_KPROBE_SESSION", "kprobe_session"),
        traceUprobeSession.rawValue: ("BPF_TRACE_UPROBE_SESSION", "uprobe_session"),
    ]
}
