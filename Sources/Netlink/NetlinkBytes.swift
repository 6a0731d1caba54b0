// Host-order integers in and out of byte arrays: netlink carries its headers
// and most attribute values in the host's byte order.

/// Bounds-checked reads of host-order integers from a byte slice.
struct NetlinkReader {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// Throws unless `length` bytes at `offset` (relative to the slice's start) are there.
    func check(_ what: @autoclosure () -> String, offset: Int, length: Int) throws(NetlinkError) {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw .truncated(what: what(), offset: offset, needed: length, available: max(0, bytes.count - max(0, offset)))
        }
    }

    func integer<T: FixedWidthInteger>(_ offset: Int, as: T.Type, _ what: @autoclosure () -> String) throws(NetlinkError) -> T {
        try check(what(), offset: offset, length: MemoryLayout<T>.size)
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { destination in
            let start = bytes.startIndex + offset
            for index in 0..<MemoryLayout<T>.size { destination[index] = bytes[start + index] }
        }
        return value
    }

    func u8(_ offset: Int, _ what: @autoclosure () -> String) throws(NetlinkError) -> UInt8 {
        try integer(offset, as: UInt8.self, what())
    }

    func u16(_ offset: Int, _ what: @autoclosure () -> String) throws(NetlinkError) -> UInt16 {
        try integer(offset, as: UInt16.self, what())
    }

    func u32(_ offset: Int, _ what: @autoclosure () -> String) throws(NetlinkError) -> UInt32 {
        try integer(offset, as: UInt32.self, what())
    }

    func s32(_ offset: Int, _ what: @autoclosure () -> String) throws(NetlinkError) -> Int32 {
        try integer(offset, as: Int32.self, what())
    }

    /// The bytes `offset..<offset+length`, checked.
    func slice(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws(NetlinkError) -> ArraySlice<UInt8> {
        try check(what(), offset: offset, length: length)
        let start = bytes.startIndex + offset
        return bytes[start..<(start + length)]
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in host byte order.
    mutating func appendHostOrder<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    /// Appends zeros up to the next multiple of 4 (netlink's alignment).
    mutating func padToNetlinkAlignment() {
        append(contentsOf: repeatElement(0, count: Netlink.aligned(count) - count))
    }
}

/// Netlink's constants and the alignment rule its headers and attributes share.
public enum Netlink {
    /// Headers and attributes start at multiples of 4 bytes (NLMSG_ALIGN, NLA_ALIGN).
    public static let alignment = 4

    /// `length` rounded up to netlink's alignment.
    public static func aligned(_ length: Int) -> Int {
        (length + alignment - 1) & ~(alignment - 1)
    }
}
