// MARK: - NetlinkReply

/// What a message from the kernel means to the request it answers: data
/// (one object of a dump, or an echo), an acknowledgement, an error with the
/// kernel's extended-ack message, or the end of a dump.
public enum NetlinkReply: Equatable, Sendable {
    /// A data message, such as one RTM_NEWLINK of a link dump.
    case message(NetlinkMessage)
    /// NLMSG_ERROR with error 0: the request with this sequence number succeeded.
    case acknowledgement(sequence: UInt32)
    /// NLMSG_ERROR with a negative error, or NLMSG_DONE ending a failed dump.
    case error(NetlinkErrorReply)
    /// NLMSG_DONE: the dump with this sequence number is complete.
    case done(sequence: UInt32)
    /// NLMSG_NOOP or NLMSG_OVERRUN: nothing for the request.
    case ignored(type: UInt16)

    /// NLMSGERR_ATTR_MSG: the kernel's explanation (a string).
    public static let errorMessageAttribute: UInt16 = 1
    /// NLMSGERR_ATTR_OFFS: the offset of the offending attribute in the request.
    public static let errorOffsetAttribute: UInt16 = 2

    /// Classifies `message`, decoding error and done payloads.
    ///
    /// - Throws: `NetlinkError` when an error or done payload is cut off or its attributes are malformed.
    public init(_ message: NetlinkMessage) throws(NetlinkError) {
        let reader = NetlinkReader(message.payload[...])
        switch message.type {
        case NetlinkMessageType.error:
            let error = try reader.s32(0, "error message")
            // struct nlmsgerr: the error, then the request's header, then (unless
            // capped) the request's payload, then extended-ack attributes.
            let requestLength = Int(try reader.u32(4, "error message: request header"))
            let requestType = try reader.u16(8, "error message: request header")
            var attributesOffset = 4 + NetlinkMessage.headerSize
            if !message.flags.contains(.capped) {
                guard requestLength >= NetlinkMessage.headerSize else {
                    throw .malformed(what: "error message", detail: "request length \(requestLength) is shorter than a header")
                }
                attributesOffset = 4 + Netlink.aligned(requestLength)
            }
            if error == 0 {
                self = .acknowledgement(sequence: message.sequence)
                return
            }
            let attributes = try Self.acknowledgementAttributes(message, reader: reader, offset: attributesOffset)
            self = .error(try NetlinkErrorReply(error: error, sequence: message.sequence, requestType: requestType,
                                                attributes: attributes))
        case NetlinkMessageType.done:
            // Old kernels send an empty NLMSG_DONE; newer ones an int, then extended-ack attributes.
            let error = message.payload.count >= 4 ? try reader.s32(0, "done message") : 0
            guard error != 0 else {
                self = .done(sequence: message.sequence)
                return
            }
            let attributes = try Self.acknowledgementAttributes(message, reader: reader, offset: 4)
            self = .error(try NetlinkErrorReply(error: error, sequence: message.sequence, requestType: nil,
                                                attributes: attributes))
        case NetlinkMessageType.noop, NetlinkMessageType.overrun:
            self = .ignored(type: message.type)
        default:
            self = .message(message)
        }
    }

    private static func acknowledgementAttributes(_ message: NetlinkMessage, reader: NetlinkReader,
                                                  offset: Int) throws(NetlinkError) -> [NetlinkAttribute] {
        guard message.flags.contains(.acknowledgementAttributes) else { return [] }
        let bytes = try reader.slice(offset, max(0, message.payload.count - offset), "extended acknowledgement")
        return try NetlinkAttribute.decodeAll(bytes, what: "extended acknowledgement")
    }
}

// MARK: - NetlinkErrorReply

/// A request the kernel refused: its errno and, where the kernel gave one,
/// the reason in words (extended ack, NETLINK_EXT_ACK).
public struct NetlinkErrorReply: Equatable, Sendable, CustomStringConvertible {
    /// The errno (positive).
    public var errno: Int32
    /// The sequence number of the refused request.
    public var sequence: UInt32
    /// The refused request's message type (nil for a failed dump's NLMSG_DONE).
    public var requestType: UInt16?
    /// The kernel's explanation, e.g. "Program bound to different device".
    public var message: String?
    /// The offset of the offending attribute in the request, if the kernel named one.
    public var attributeOffset: UInt32?

    /// An error reply with these fields.
    public init(errno: Int32, sequence: UInt32, requestType: UInt16?, message: String? = nil, attributeOffset: UInt32? = nil) {
        self.errno = errno
        self.sequence = sequence
        self.requestType = requestType
        self.message = message
        self.attributeOffset = attributeOffset
    }

    init(error: Int32, sequence: UInt32, requestType: UInt16?, attributes: [NetlinkAttribute]) throws(NetlinkError) {
        // Kernel errors are negative errnos; a positive value is malformed but still an error.
        let magnitude = error == Int32.min ? Int32.max : abs(error)
        self.init(errno: magnitude, sequence: sequence, requestType: requestType,
                  message: attributes.first(NetlinkReply.errorMessageAttribute).map(\.string).flatMap { $0.isEmpty ? nil : $0 },
                  attributeOffset: try attributes.integer(NetlinkReply.errorOffsetAttribute, as: UInt32.self))
    }

    /// "errno N" and the kernel's message.
    public var description: String {
        "errno \(errno)" + (message.map { ": \($0)" } ?? "")
    }
}
