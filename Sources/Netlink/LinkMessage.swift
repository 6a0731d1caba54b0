// MARK: - LinkMessage

/// An rtnetlink link message (RTM_NEWLINK, RTM_GETLINK, RTM_SETLINK): the
/// 16-byte `struct ifinfomsg` and IFLA_* attributes.
public struct LinkMessage: Equatable, Sendable {
    /// `ifi_family` (AF_UNSPEC).
    public var family: UInt8
    /// `ifi_type`: ARPHRD_* (1 for Ethernet).
    public var deviceType: UInt16
    /// `ifi_index`: the interface index (0 in a dump request).
    public var index: Int32
    /// `ifi_flags`: IFF_UP, IFF_RUNNING, ...
    public var flags: UInt32
    /// `ifi_change`: which flags a SETLINK changes.
    public var change: UInt32
    /// The IFLA_* attributes.
    public var attributes: [NetlinkAttribute]

    /// The size of `struct ifinfomsg`.
    public static let headerSize = 16

    /// A link message for interface `index` with `attributes`.
    public init(index: Int32 = 0, attributes: [NetlinkAttribute] = [], family: UInt8 = 0, deviceType: UInt16 = 0,
                flags: UInt32 = 0, change: UInt32 = 0) {
        self.family = family
        self.deviceType = deviceType
        self.index = index
        self.flags = flags
        self.change = change
        self.attributes = attributes
    }

    /// Decodes a link message's payload.
    public init(decoding payload: [UInt8]) throws(NetlinkError) {
        let reader = NetlinkReader(payload[...])
        try reader.check("link message header", offset: 0, length: Self.headerSize)
        family = try reader.u8(0, "link message header")
        deviceType = try reader.u16(2, "link message header")
        index = try reader.s32(4, "link message header")
        flags = try reader.u32(8, "link message header")
        change = try reader.u32(12, "link message header")
        attributes = try NetlinkAttribute.decodeAll(payload[Self.headerSize...], what: "link \(index)")
    }

    /// The payload: `struct ifinfomsg` then the attributes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [family, 0]
        bytes.appendHostOrder(deviceType)
        bytes.appendHostOrder(index)
        bytes.appendHostOrder(flags)
        bytes.appendHostOrder(change)
        return bytes + NetlinkAttribute.encode(attributes)
    }

    /// IFLA_IFNAME: the interface's name.
    public var name: String? {
        attributes.first(LinkAttribute.name).map(\.string)
    }

    /// IFLA_XDP decoded: which XDP programs the interface runs (nil when the kernel sent no IFLA_XDP).
    public func xdp() throws(NetlinkError) -> LinkXDPState? {
        guard let attribute = attributes.first(LinkAttribute.xdp) else { return nil }
        return try LinkXDPState(attributes: try attribute.nested())
    }

    // MARK: Requests

    /// RTM_SETLINK's IFLA_XDP for interface `index`: attach program `programFD`
    /// (-1 detaches) with XDP_FLAGS_* `flags`; with `expectedProgramFD` (and
    /// XDP_FLAGS_REPLACE in `flags`) only if that program is the one attached.
    public static func settingXDP(index: Int32, programFD: Int32, flags: UInt32,
                                  expectedProgramFD: Int32? = nil) -> LinkMessage {
        var xdp = [NetlinkAttribute(type: XDPAttribute.fd, integer: programFD)]
        if flags != 0 { xdp.append(NetlinkAttribute(type: XDPAttribute.flags, integer: flags)) }
        if let expectedProgramFD { xdp.append(NetlinkAttribute(type: XDPAttribute.expectedFD, integer: expectedProgramFD)) }
        return LinkMessage(index: index, attributes: [NetlinkAttribute(type: LinkAttribute.xdp, nested: xdp)])
    }
}

// MARK: - Attribute types

/// IFLA_* attribute types of link messages (the ones swift-bcc reads or writes).
public enum LinkAttribute {
    /// IFLA_ADDRESS: the hardware address.
    public static let address: UInt16 = 1
    /// IFLA_IFNAME: the name (a string).
    public static let name: UInt16 = 3
    /// IFLA_MTU (u32).
    public static let mtu: UInt16 = 4
    /// IFLA_LINK: the peer's index (u32), e.g. a veth's other end.
    public static let link: UInt16 = 5
    /// IFLA_XDP (nested XDPAttribute).
    public static let xdp: UInt16 = 43
}

/// IFLA_XDP_* attribute types nested in IFLA_XDP.
public enum XDPAttribute {
    /// IFLA_XDP_FD (s32): the program to attach, -1 to detach.
    public static let fd: UInt16 = 1
    /// IFLA_XDP_ATTACHED (u8): XDP_ATTACHED_*.
    public static let attached: UInt16 = 2
    /// IFLA_XDP_FLAGS (u32): XDP_FLAGS_*.
    public static let flags: UInt16 = 3
    /// IFLA_XDP_PROG_ID (u32): the attached program, when there is exactly one.
    public static let programID: UInt16 = 4
    /// IFLA_XDP_DRV_PROG_ID (u32).
    public static let driverProgramID: UInt16 = 5
    /// IFLA_XDP_SKB_PROG_ID (u32).
    public static let genericProgramID: UInt16 = 6
    /// IFLA_XDP_HW_PROG_ID (u32).
    public static let hardwareProgramID: UInt16 = 7
    /// IFLA_XDP_EXPECTED_FD (s32): replace only this program (with XDP_FLAGS_REPLACE).
    public static let expectedFD: UInt16 = 8
}

// MARK: - LinkXDPState

/// The XDP programs an interface runs, from its IFLA_XDP attribute.
public struct LinkXDPState: Equatable, Sendable {
    /// IFLA_XDP_ATTACHED: how programs are attached.
    public var attached: Attachment
    /// IFLA_XDP_PROG_ID, when one program is attached.
    public var programID: UInt32?
    /// The program in driver (native) mode.
    public var driverProgramID: UInt32?
    /// The program in generic (skb) mode.
    public var genericProgramID: UInt32?
    /// The program offloaded to the device.
    public var hardwareProgramID: UInt32?

    /// XDP_ATTACHED_*.
    public struct Attachment: RawRepresentable, Hashable, Sendable {
        /// The XDP_ATTACHED_* value.
        public let rawValue: UInt8
        /// Wraps an XDP_ATTACHED_* value.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// XDP_ATTACHED_NONE.
        public static let none = Attachment(rawValue: 0)
        /// XDP_ATTACHED_DRV.
        public static let driver = Attachment(rawValue: 1)
        /// XDP_ATTACHED_SKB.
        public static let generic = Attachment(rawValue: 2)
        /// XDP_ATTACHED_HW.
        public static let hardware = Attachment(rawValue: 3)
        /// XDP_ATTACHED_MULTI: programs in more than one mode.
        public static let multiple = Attachment(rawValue: 4)
    }

    /// Decodes the attributes nested in IFLA_XDP.
    public init(attributes: [NetlinkAttribute]) throws(NetlinkError) {
        attached = Attachment(rawValue: try attributes.integer(XDPAttribute.attached, as: UInt8.self) ?? 0)
        programID = try attributes.integer(XDPAttribute.programID, as: UInt32.self)
        driverProgramID = try attributes.integer(XDPAttribute.driverProgramID, as: UInt32.self)
        genericProgramID = try attributes.integer(XDPAttribute.genericProgramID, as: UInt32.self)
        hardwareProgramID = try attributes.integer(XDPAttribute.hardwareProgramID, as: UInt32.self)
    }

    /// Every attached program's id, once each.
    public var programIDs: [UInt32] {
        var ids: [UInt32] = []
        for id in [programID, driverProgramID, genericProgramID, hardwareProgramID] {
            if let id, id != 0, !ids.contains(id) { ids.append(id) }
        }
        return ids
    }
}
