@testable import BTF

/// Builds BTF blobs by hand for tests: a string table plus raw type records.
struct BTFBuilder {
    var strings: [UInt8] = [0]
    var stringOffsets: [String: UInt32] = ["": 0]
    var typeWords: [UInt32] = []
    /// Added to string offsets and the first ID (for split BTF).
    var stringBase: UInt32 = 0
    var nextID: UInt32 = 1

    init(base: BTF? = nil) {
        if let base {
            stringBase = UInt32(base.header.stringSectionLength)
            nextID = UInt32(base.typeCount)
            strings = []
            stringOffsets = [:]
        }
    }

    mutating func string(_ text: String) -> UInt32 {
        if text.isEmpty { return 0 }
        if let offset = stringOffsets[text] { return offset }
        let offset = stringBase + UInt32(strings.count)
        strings += Array(text.utf8) + [0]
        stringOffsets[text] = offset
        return offset
    }

    static func info(_ kind: BTFKind, vlen: Int = 0, kindFlag: Bool = false) -> UInt32 {
        UInt32(kind.rawValue) << 24 | UInt32(vlen) | (kindFlag ? 1 << 31 : 0)
    }

    /// Appends a raw record and returns its ID.
    @discardableResult
    mutating func raw(_ kind: BTFKind, name: String = "", vlen: Int = 0, kindFlag: Bool = false, sizeOrType: UInt32, payload: [UInt32] = []) -> UInt32 {
        typeWords += [string(name), BTFBuilder.info(kind, vlen: vlen, kindFlag: kindFlag), sizeOrType] + payload
        defer { nextID += 1 }
        return nextID
    }

    mutating func int(_ name: String, size: UInt32, signed: Bool = false, char: Bool = false, bool: Bool = false) -> UInt32 {
        let encoding: UInt32 = (signed ? 1 : 0) | (char ? 2 : 0) | (bool ? 4 : 0)
        return raw(.int, name: name, sizeOrType: size, payload: [encoding << 24 | size * 8])
    }

    mutating func pointer(to type: UInt32) -> UInt32 { raw(.pointer, sizeOrType: type) }
    mutating func typedef(_ name: String, _ type: UInt32) -> UInt32 { raw(.typedef, name: name, sizeOrType: type) }
    mutating func array(of element: UInt32, index: UInt32, count: UInt32) -> UInt32 {
        raw(.array, sizeOrType: 0, payload: [element, index, count])
    }

    /// Members are (name, type, bit offset, bitfield size).
    mutating func composite(_ kind: BTFKind, _ name: String, size: UInt32, members: [(String, UInt32, UInt32, UInt32)]) -> UInt32 {
        let bitfields = members.contains { $0.3 != 0 }
        var payload: [UInt32] = []
        for (memberName, type, offset, bits) in members {
            payload += [string(memberName), type, bitfields ? bits << 24 | offset : offset]
        }
        return raw(kind, name: name, vlen: members.count, kindFlag: bitfields, sizeOrType: size, payload: payload)
    }

    mutating func enumeration(_ name: String, size: UInt32 = 4, signed: Bool = false, values: [(String, Int64)]) -> UInt32 {
        var payload: [UInt32] = []
        for (valueName, value) in values { payload += [string(valueName), UInt32(truncatingIfNeeded: value)] }
        return raw(.enum, name: name, vlen: values.count, kindFlag: signed, sizeOrType: size, payload: payload)
    }

    mutating func enum64(_ name: String, signed: Bool = false, values: [(String, UInt64)]) -> UInt32 {
        var payload: [UInt32] = []
        for (valueName, value) in values { payload += [string(valueName), UInt32(truncatingIfNeeded: value), UInt32(value >> 32)] }
        return raw(.enum64, name: name, vlen: values.count, kindFlag: signed, sizeOrType: 8, payload: payload)
    }

    mutating func prototype(returning type: UInt32, parameters: [(String, UInt32)]) -> UInt32 {
        var payload: [UInt32] = []
        for (parameterName, parameterType) in parameters { payload += [string(parameterName), parameterType] }
        return raw(.functionPrototype, vlen: parameters.count, sizeOrType: type, payload: payload)
    }

    /// The blob: header, types, strings (little-endian host order).
    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        out += [0x9f, 0xeb, 1, 0]
        u32(24)
        u32(0)
        u32(UInt32(typeWords.count * 4))
        u32(UInt32(typeWords.count * 4))
        u32(UInt32(strings.count))
        for word in typeWords { u32(word) }
        out += strings
        return out
    }

    func build(base: BTF? = nil) throws -> BTF { try BTF(bytes: bytes(), base: base) }
}
