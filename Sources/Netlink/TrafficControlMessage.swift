// MARK: - TrafficControlMessage

/// An rtnetlink traffic-control message (qdiscs and filters:
/// RTM_{NEW,DEL,GET}{QDISC,TFILTER}): the 20-byte `struct tcmsg` and TCA_*
/// attributes.
public struct TrafficControlMessage: Equatable, Sendable {
    /// `tcm_family` (AF_UNSPEC).
    public var family: UInt8
    /// `tcm_ifindex`: the interface.
    public var interfaceIndex: Int32
    /// `tcm_handle`: the qdisc's or filter's handle.
    public var handle: UInt32
    /// `tcm_parent`: where the qdisc or filter hangs.
    public var parent: UInt32
    /// `tcm_info`: for a filter, its priority (high 16 bits) and protocol (low 16, network order).
    public var info: UInt32
    /// The TCA_* attributes.
    public var attributes: [NetlinkAttribute]

    /// The size of `struct tcmsg`.
    public static let headerSize = 20

    /// A message for interface `interfaceIndex`.
    public init(interfaceIndex: Int32, handle: UInt32 = 0, parent: UInt32 = 0, info: UInt32 = 0,
                attributes: [NetlinkAttribute] = [], family: UInt8 = 0) {
        self.family = family
        self.interfaceIndex = interfaceIndex
        self.handle = handle
        self.parent = parent
        self.info = info
        self.attributes = attributes
    }

    /// Decodes a traffic-control message's payload.
    public init(decoding payload: [UInt8]) throws(NetlinkError) {
        let reader = NetlinkReader(payload[...])
        let what = "traffic control message header"
        try reader.check(what, offset: 0, length: Self.headerSize)
        family = try reader.u8(0, what)
        interfaceIndex = try reader.s32(4, what)
        handle = try reader.u32(8, what)
        parent = try reader.u32(12, what)
        info = try reader.u32(16, what)
        attributes = try NetlinkAttribute.decodeAll(payload[Self.headerSize...], what: "traffic control object on link \(interfaceIndex)")
    }

    /// The payload: `struct tcmsg` then the attributes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [family, 0, 0, 0]
        bytes.appendHostOrder(interfaceIndex)
        bytes.appendHostOrder(handle)
        bytes.appendHostOrder(parent)
        bytes.appendHostOrder(info)
        return bytes + NetlinkAttribute.encode(attributes)
    }

    /// TCA_KIND: "clsact", "bpf", ...
    public var kind: String? {
        attributes.first(TrafficControlAttribute.kind).map(\.string)
    }

    /// A filter's priority (the high 16 bits of `info`).
    public var priority: UInt16 { UInt16(truncatingIfNeeded: info >> 16) }

    /// A filter's protocol, ETH_P_* (the low 16 bits of `info`, in network order).
    public var protocolNumber: UInt16 { UInt16(bigEndian: UInt16(truncatingIfNeeded: info)) }

    /// TCA_OPTIONS of a "bpf" filter, decoded (nil for other kinds).
    public func bpfFilterOptions() throws(NetlinkError) -> BPFFilterOptions? {
        guard kind == "bpf", let options = attributes.first(TrafficControlAttribute.options) else { return nil }
        return try BPFFilterOptions(attributes: try options.nested())
    }

    // MARK: Requests

    /// The clsact qdisc of interface `interfaceIndex` (for RTM_NEWQDISC and RTM_DELQDISC).
    public static func clsactQdisc(interfaceIndex: Int32) -> TrafficControlMessage {
        TrafficControlMessage(interfaceIndex: interfaceIndex, handle: TrafficControlHandle.make(major: 0xFFFF, minor: 0),
                              parent: TrafficControlHandle.clsact,
                              attributes: [NetlinkAttribute(type: TrafficControlAttribute.kind, string: "clsact")])
    }

    /// A direct-action "bpf" filter running program `programFD` (named `programName`) at
    /// `parent` (`TrafficControlHandle.ingress` or `.egress`) of interface `interfaceIndex`,
    /// for every protocol (ETH_P_ALL), with `priority` and `handle` (for RTM_NEWTFILTER).
    public static func bpfFilter(interfaceIndex: Int32, parent: UInt32, priority: UInt16, handle: UInt32,
                                 programFD: Int32, programName: String) -> TrafficControlMessage {
        var message = filter(interfaceIndex: interfaceIndex, parent: parent, priority: priority, handle: handle)
        message.attributes = [
            NetlinkAttribute(type: TrafficControlAttribute.kind, string: "bpf"),
            NetlinkAttribute(type: TrafficControlAttribute.options, nested: [
                NetlinkAttribute(type: BPFFilterAttribute.fd, integer: UInt32(bitPattern: programFD)),
                NetlinkAttribute(type: BPFFilterAttribute.name, string: programName),
                NetlinkAttribute(type: BPFFilterAttribute.flags, integer: BPFFilterOptions.directActionFlag),
            ]),
        ]
        return message
    }

    /// The filter at `parent` with `priority` and `handle` for every protocol (for
    /// RTM_DELTFILTER); priority 0 and handle 0 with a dump request list them all.
    public static func filter(interfaceIndex: Int32, parent: UInt32, priority: UInt16 = 0, handle: UInt32 = 0) -> TrafficControlMessage {
        TrafficControlMessage(interfaceIndex: interfaceIndex, handle: handle, parent: parent,
                              info: UInt32(priority) << 16 | UInt32(TrafficControlHandle.allProtocols.bigEndian))
    }
}

// MARK: - Handles

/// Traffic-control handles (`major:minor`, 16 bits each) and the fixed ones of clsact.
public enum TrafficControlHandle {
    /// TC_H_MAKE: `major` in the high 16 bits, `minor` in the low.
    public static func make(major: UInt16, minor: UInt16) -> UInt32 {
        UInt32(major) << 16 | UInt32(minor)
    }

    /// TC_H_CLSACT (= TC_H_INGRESS): the parent of the clsact qdisc.
    public static let clsact: UInt32 = 0xFFFF_FFF1
    /// clsact's ingress hook: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS).
    public static let ingress: UInt32 = 0xFFFF_FFF2
    /// clsact's egress hook: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS).
    public static let egress: UInt32 = 0xFFFF_FFF3
    /// ETH_P_ALL: every protocol.
    public static let allProtocols: UInt16 = 0x0003
}

/// TCA_* attribute types.
public enum TrafficControlAttribute {
    /// TCA_KIND (string).
    public static let kind: UInt16 = 1
    /// TCA_OPTIONS (nested, per kind).
    public static let options: UInt16 = 2
    /// TCA_CHAIN (u32).
    public static let chain: UInt16 = 11
}

/// TCA_BPF_* attribute types nested in a "bpf" filter's TCA_OPTIONS.
public enum BPFFilterAttribute {
    /// TCA_BPF_FD (u32): the program.
    public static let fd: UInt16 = 6
    /// TCA_BPF_NAME (string).
    public static let name: UInt16 = 7
    /// TCA_BPF_FLAGS (u32): TCA_BPF_FLAG_ACT_DIRECT.
    public static let flags: UInt16 = 8
    /// TCA_BPF_FLAGS_GEN (u32): TCA_CLS_FLAGS_*.
    public static let generationFlags: UInt16 = 9
    /// TCA_BPF_TAG (8 bytes): the program's tag.
    public static let tag: UInt16 = 10
    /// TCA_BPF_ID (u32): the program's id.
    public static let programID: UInt16 = 11
}

/// What a "bpf" filter's TCA_OPTIONS say.
public struct BPFFilterOptions: Equatable, Sendable {
    /// TCA_BPF_NAME.
    public var name: String?
    /// TCA_BPF_ID: the program the filter runs.
    public var programID: UInt32?
    /// TCA_BPF_FLAGS.
    public var flags: UInt32

    /// TCA_BPF_FLAG_ACT_DIRECT: the program's return value is the action.
    public static let directActionFlag: UInt32 = 1

    /// Decodes the attributes nested in TCA_OPTIONS.
    public init(attributes: [NetlinkAttribute]) throws(NetlinkError) {
        name = attributes.first(BPFFilterAttribute.name).map(\.string)
        programID = try attributes.integer(BPFFilterAttribute.programID, as: UInt32.self)
        flags = try attributes.integer(BPFFilterAttribute.flags, as: UInt32.self) ?? 0
    }

    /// True when the program's return value is the action (direct action).
    public var isDirectAction: Bool { flags & Self.directActionFlag != 0 }
}
