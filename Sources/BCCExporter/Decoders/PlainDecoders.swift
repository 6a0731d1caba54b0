// The decoders that are functions of the key's bytes alone.

/// Pure byte-to-text conversions of ebpf_exporter's decoders.
public enum PlainDecoders {
    /// An unsigned integer of 1, 2, 4 or 8 bytes in the host's byte order (`uint`).
    public static func unsigned(_ bytes: ArraySlice<UInt8>) throws(LabelDecodeError) -> UInt64 {
        guard [1, 2, 4, 8].contains(bytes.count) else {
            throw LabelDecodeError(decoder: "uint", detail: "reads 1, 2, 4 or 8 bytes, got \(bytes.count)")
        }
        var value: UInt64 = 0
        #if _endian(big)
        for byte in bytes { value = value << 8 | UInt64(byte) }
        #else
        for byte in bytes.reversed() { value = value << 8 | UInt64(byte) }
        #endif
        return value
    }

    /// The bytes up to the first NUL as UTF-8, invalid sequences replaced (`string`).
    public static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Lowercase hex, two digits a byte (`hex`).
    public static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order as text
    /// (`inet_ip`): dotted quads; RFC 5952 for IPv6 (lowercase, the longest
    /// run of two or more zero groups as ::); an IPv4-mapped address as its IPv4 form.
    public static func inetAddress(_ bytes: ArraySlice<UInt8>) throws(LabelDecodeError) -> String {
        let b = Array(bytes)
        if b.count == 4 { return b.map(String.init).joined(separator: ".") }
        guard b.count == 16 else {
            throw LabelDecodeError(decoder: "inet_ip", detail: "reads 4 (IPv4) or 16 (IPv6) bytes, got \(b.count)")
        }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
            return b[12...].map(String.init).joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
        // The longest run of zero groups (the first of equal ones), if at least two long.
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        func text(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return text(0..<8) }
        return text(0..<bestStart) + "::" + text(bestStart + bestLength ..< 8)
    }

    /// A DNS name in wire format (length-prefixed labels, a zero length
    /// ends it) as dotted text (`dname`); "." for the root, the bytes as text
    /// when a length runs past the end.
    public static func domainName(_ bytes: ArraySlice<UInt8>) -> String {
        var labels: [String] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let length = Int(bytes[index])
            index += 1
            if length == 0 { break }
            guard index + length <= bytes.endIndex else { return cString(bytes) }
            labels.append(String(decoding: bytes[index ..< index + length], as: UTF8.self))
            index += length
        }
        return labels.isEmpty ? "." : labels.joined(separator: ".")
    }

    /// 8-byte addresses up to the first zero (`kstack`).
    public static func addresses(_ bytes: ArraySlice<UInt8>) throws(LabelDecodeError) -> [UInt64] {
        guard bytes.count % 8 == 0 else {
            throw LabelDecodeError(decoder: "kstack", detail: "reads 8-byte addresses, got \(bytes.count) bytes")
        }
        var result: [UInt64] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let address = try unsigned(bytes[index ..< index + 8])
            if address == 0 { break }
            result.append(address)
            index += 8
        }
        return result
    }

    /// Major and minor numbers of a 32-bit dev_t in user space's encoding
    /// (glibc's major()/minor(), the kernel's new_encode_dev).
    public static func majorMinor(_ device: UInt32) -> (major: UInt32, minor: UInt32) {
        ((device >> 8) & 0xfff, (device & 0xff) | ((device >> 12) & 0xfff00))
    }
}
