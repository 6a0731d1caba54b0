// MARK: - NetlinkAttribute

/// One netlink attribute (`struct nlattr`): a 4-byte header (length, type)
/// and a value, padded to 4 bytes. Nested attributes hold a list of
/// attributes as their value.
public struct NetlinkAttribute: Equatable, Sendable {
    /// The attribute type, without the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits.
    public var type: UInt16
    /// NLA_F_NESTED: the value is a list of attributes.
    public var isNested: Bool
    /// The value's bytes (without padding).
    public var value: [UInt8]

    /// The size of `struct nlattr`.
    public static let headerSize = 4
    /// NLA_F_NESTED.
    public static let nestedFlag: UInt16 = 0x8000
    /// NLA_F_NET_BYTEORDER.
    public static let networkByteOrderFlag: UInt16 = 0x4000
    /// The bits of nla_type that hold the type.
    public static let typeMask: UInt16 = 0x3FFF

    /// An attribute with raw `value` bytes.
    public init(type: UInt16, value: [UInt8], isNested: Bool = false) {
        self.type = type
        self.value = value
        self.isNested = isNested
    }

    /// An attribute holding a host-order integer.
    public init<T: FixedWidthInteger>(type: UInt16, integer: T) {
        var value: [UInt8] = []
        value.appendHostOrder(integer)
        self.init(type: type, value: value)
    }

    /// An attribute holding a NUL-terminated string.
    public init(type: UInt16, string: String) {
        self.init(type: type, value: Array(string.utf8) + [0])
    }

    /// A nested attribute holding `attributes`, with NLA_F_NESTED set.
    public init(type: UInt16, nested attributes: [NetlinkAttribute]) {
        self.init(type: type, value: NetlinkAttribute.encode(attributes), isNested: true)
    }

    // MARK: Values

    /// The value as a host-order integer of exactly its size.
    public func integer<T: FixedWidthInteger>(as: T.Type = T.self) throws(NetlinkError) -> T {
        guard value.count == MemoryLayout<T>.size else {
            throw .malformed(what: "attribute \(type)", detail: "holds \(value.count) bytes, expected a \(MemoryLayout<T>.size)-byte integer")
        }
        return try NetlinkReader(value[...]).integer(0, as: T.self, "attribute \(type)")
    }

    /// The value as a string, up to its terminating NUL (or its end).
    public var string: String {
        String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The attributes nested in the value.
    public func nested() throws(NetlinkError) -> [NetlinkAttribute] {
        try NetlinkAttribute.decodeAll(value[...], what: "attribute \(type)")
    }

    // MARK: Encoding and decoding

    /// Attributes one after another, each padded to 4 bytes.
    public static func encode(_ attributes: [NetlinkAttribute]) -> [UInt8] {
        var bytes: [UInt8] = []
        for attribute in attributes {
            bytes.appendHostOrder(UInt16(headerSize + attribute.value.count))
            bytes.appendHostOrder(attribute.type | (attribute.isNested ? nestedFlag : 0))
            bytes.append(contentsOf: attribute.value)
            bytes.padToNetlinkAlignment()
        }
        return bytes
    }

    /// The attributes in `bytes`; `what` names the container in errors.
    ///
    /// - Throws: `NetlinkError` when an attribute's length is shorter than its
    ///   header or runs past the container, or a header is cut off.
    public static func decodeAll(_ bytes: ArraySlice<UInt8>, what: String) throws(NetlinkError) -> [NetlinkAttribute] {
        let reader = NetlinkReader(bytes)
        var attributes: [NetlinkAttribute] = []
        var offset = 0
        while bytes.count - offset >= headerSize {
            let name = "\(what): attribute \(attributes.count)"
            let length = Int(try reader.u16(offset, name))
            let rawType = try reader.u16(offset + 2, name)
            guard length >= headerSize else {
                throw .malformed(what: name, detail: "length \(length) is shorter than the \(headerSize)-byte header")
            }
            let value = try reader.slice(offset + headerSize, length - headerSize, name)
            attributes.append(NetlinkAttribute(type: rawType & typeMask, value: Array(value),
                                               isNested: rawType & nestedFlag != 0))
            offset += min(Netlink.aligned(length), bytes.count - offset)
        }
        guard offset == bytes.count else {
            throw .truncated(what: "\(what): attribute \(attributes.count) header", offset: offset, needed: headerSize,
                             available: bytes.count - offset)
        }
        return attributes
    }
}

extension Array where Element == NetlinkAttribute {
    /// The first attribute of `type`, or nil.
    public func first(_ type: UInt16) -> NetlinkAttribute? {
        first { $0.type == type }
    }

    /// The integer value of the first attribute of `type`, or nil when there is none.
    public func integer<T: FixedWidthInteger>(_ type: UInt16, as: T.Type = T.self) throws(NetlinkError) -> T? {
        guard let attribute = first(type) else { return nil }
        return try attribute.integer(as: T.self)
    }
}
