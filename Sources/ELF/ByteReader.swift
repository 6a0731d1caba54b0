// MARK: - ByteReader

/// Bounds-checked little-endian reads from a byte array.
///
/// Every read names what it reads, so a truncated file produces an error that
/// says which structure was cut off and where.
struct ByteReader: Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    /// Throws unless `length` bytes starting at `offset` are inside the file.
    func check(_ what: @autoclosure () -> String, offset: Int, length: Int) throws(ELFError) {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw .truncated(what: what(), offset: offset, length: length, available: max(0, bytes.count - max(offset, 0)))
        }
    }

    func u8(_ offset: Int, _ what: @autoclosure () -> String) throws(ELFError) -> UInt8 {
        try check(what(), offset: offset, length: 1)
        return bytes[offset]
    }

    func u16(_ offset: Int, _ what: @autoclosure () -> String) throws(ELFError) -> UInt16 {
        try check(what(), offset: offset, length: 2)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u32(_ offset: Int, _ what: @autoclosure () -> String) throws(ELFError) -> UInt32 {
        try check(what(), offset: offset, length: 4)
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    func u64(_ offset: Int, _ what: @autoclosure () -> String) throws(ELFError) -> UInt64 {
        try check(what(), offset: offset, length: 8)
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    /// The bytes `offset..<offset+length`, checked.
    func slice(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws(ELFError) -> ArraySlice<UInt8> {
        try check(what(), offset: offset, length: length)
        return bytes[offset..<(offset + length)]
    }

    /// The NUL-terminated string at `offset`, which must end before `limit`.
    func cString(_ offset: Int, limit: Int, _ what: @autoclosure () -> String) throws(ELFError) -> String {
        let end = min(limit, bytes.count)
        guard offset >= 0, offset < end else {
            throw .truncated(what: what(), offset: offset, length: 1, available: max(0, end - max(offset, 0)))
        }
        guard let nul = bytes[offset..<end].firstIndex(of: 0) else {
            throw .malformed(what: what(), offset: offset, detail: "string is not NUL-terminated before offset \(end)")
        }
        return String(decoding: bytes[offset..<nul], as: UTF8.self)
    }
}

/// Converts a 64-bit file quantity to `Int`, failing on values no file can have.
func fileInt(_ value: UInt64, _ what: @autoclosure () -> String, at offset: Int) throws(ELFError) -> Int {
    guard value <= UInt64(Int32.max) * 1024 else {
        throw .malformed(what: what(), offset: offset, detail: "value \(value) is too large")
    }
    return Int(value)
}
