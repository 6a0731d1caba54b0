// MARK: - NetlinkMessage

/// One netlink message: the 16-byte `struct nlmsghdr` and its payload.
///
/// `encoded()` writes the header with the total length; `decodeAll(_:)` splits
/// a datagram the kernel sent into its messages, checking every length.
public struct NetlinkMessage: Equatable, Sendable {
    /// `nlmsg_type`: a control type (`NetlinkMessageType.error`, `.done`) or a
    /// family's request (`.newLink`, `.getQdisc`, ...).
    public var type: UInt16
    /// `nlmsg_flags`.
    public var flags: NetlinkFlags
    /// `nlmsg_seq`: replies carry the request's sequence number.
    public var sequence: UInt32
    /// `nlmsg_pid`: the sender's port id (0 for the kernel).
    public var portID: UInt32
    /// The bytes after the header (without trailing alignment padding).
    public var payload: [UInt8]

    /// The size of `struct nlmsghdr`.
    public static let headerSize = 16

    /// A message of `type` with `flags` and `payload`.
    public init(type: UInt16, flags: NetlinkFlags, sequence: UInt32 = 0, portID: UInt32 = 0, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// The message as sent: header (its length field counts header and payload) then the payload, padded to 4 bytes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Netlink.aligned(Self.headerSize + payload.count))
        bytes.appendHostOrder(UInt32(Self.headerSize + payload.count))
        bytes.appendHostOrder(type)
        bytes.appendHostOrder(flags.rawValue)
        bytes.appendHostOrder(sequence)
        bytes.appendHostOrder(portID)
        bytes.append(contentsOf: payload)
        bytes.padToNetlinkAlignment()
        return bytes
    }

    /// Splits a datagram into its messages.
    ///
    /// - Throws: `NetlinkError` when a header is cut off, or a message's
    ///   length is shorter than its header or runs past the datagram.
    public static func decodeAll(_ datagram: [UInt8]) throws(NetlinkError) -> [NetlinkMessage] {
        let reader = NetlinkReader(datagram[...])
        var messages: [NetlinkMessage] = []
        var offset = 0
        while datagram.count - offset >= headerSize {
            let what = "message \(messages.count) header"
            let length = Int(try reader.u32(offset, what))
            guard length >= headerSize else {
                throw .malformed(what: "message \(messages.count) at offset \(offset)",
                                 detail: "length \(length) is shorter than the \(headerSize)-byte header")
            }
            let payload = try reader.slice(offset + headerSize, length - headerSize, "message \(messages.count) payload")
            messages.append(NetlinkMessage(
                type: try reader.u16(offset + 4, what), flags: NetlinkFlags(rawValue: try reader.u16(offset + 6, what)),
                sequence: try reader.u32(offset + 8, what), portID: try reader.u32(offset + 12, what),
                payload: Array(payload)))
            offset += min(Netlink.aligned(length), datagram.count - offset)
        }
        guard offset == datagram.count else {
            throw .truncated(what: "message \(messages.count) header", offset: offset, needed: headerSize,
                             available: datagram.count - offset)
        }
        return messages
    }
}

// MARK: - Types and flags

/// `nlmsg_type` values: netlink's control messages and the rtnetlink requests swift-bcc sends.
public enum NetlinkMessageType {
    /// NLMSG_NOOP: ignored.
    public static let noop: UInt16 = 1
    /// NLMSG_ERROR: an error, or with error 0 an acknowledgement.
    public static let error: UInt16 = 2
    /// NLMSG_DONE: the end of a multipart (dump) reply.
    public static let done: UInt16 = 3
    /// NLMSG_OVERRUN: data was lost.
    public static let overrun: UInt16 = 4
    /// RTM_NEWLINK.
    public static let newLink: UInt16 = 16
    /// RTM_DELLINK.
    public static let deleteLink: UInt16 = 17
    /// RTM_GETLINK.
    public static let getLink: UInt16 = 18
    /// RTM_SETLINK.
    public static let setLink: UInt16 = 19
    /// RTM_NEWQDISC.
    public static let newQdisc: UInt16 = 36
    /// RTM_DELQDISC.
    public static let deleteQdisc: UInt16 = 37
    /// RTM_GETQDISC.
    public static let getQdisc: UInt16 = 38
    /// RTM_NEWTFILTER.
    public static let newFilter: UInt16 = 44
    /// RTM_DELTFILTER.
    public static let deleteFilter: UInt16 = 45
    /// RTM_GETTFILTER.
    public static let getFilter: UInt16 = 46
}

/// `nlmsg_flags`. Some bits mean different things for GET, NEW and error messages.
public struct NetlinkFlags: OptionSet, Hashable, Sendable {
    /// The flag bits.
    public let rawValue: UInt16

    /// Wraps flag bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// NLM_F_REQUEST: a request (every message to the kernel).
    public static let request = NetlinkFlags(rawValue: 0x1)
    /// NLM_F_MULTI: part of a multipart reply, ended by NLMSG_DONE.
    public static let multipart = NetlinkFlags(rawValue: 0x2)
    /// NLM_F_ACK: reply with an acknowledgement.
    public static let acknowledge = NetlinkFlags(rawValue: 0x4)
    /// NLM_F_ECHO: send the request's result back (e.g. the created filter with its handle).
    public static let echo = NetlinkFlags(rawValue: 0x8)
    /// NLM_F_DUMP_INTR: the dump changed while it was being read.
    public static let dumpInterrupted = NetlinkFlags(rawValue: 0x10)
    /// NLM_F_ROOT | NLM_F_MATCH: return every object (GET requests).
    public static let dump = NetlinkFlags(rawValue: 0x300)
    /// NLM_F_REPLACE: replace an existing object (NEW requests).
    public static let replace = NetlinkFlags(rawValue: 0x100)
    /// NLM_F_EXCL: fail if the object exists (NEW requests).
    public static let exclusive = NetlinkFlags(rawValue: 0x200)
    /// NLM_F_CREATE: create the object if it does not exist (NEW requests).
    public static let create = NetlinkFlags(rawValue: 0x400)
    /// NLM_F_CAPPED: an error message carries only the request's header, not its payload.
    public static let capped = NetlinkFlags(rawValue: 0x100)
    /// NLM_F_ACK_TLVS: an error message carries extended-ack attributes.
    public static let acknowledgementAttributes = NetlinkFlags(rawValue: 0x200)
}
