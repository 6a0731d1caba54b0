/// The fixed BTF header (`struct btf_header`), with offsets made absolute.
public struct BTFHeader: Sendable, Equatable {
    /// Always 0xEB9F once decoded.
    public static let magic: UInt16 = 0xEB9F
    /// Always 1.
    public var version: UInt8
    /// Reserved flags (0).
    public var flags: UInt8
    /// The header's length in bytes (24 or more).
    public var headerLength: Int
    /// Where the type section starts, from the start of the blob.
    public var typeSectionOffset: Int
    /// The type section's length in bytes.
    public var typeSectionLength: Int
    /// Where the string section starts, from the start of the blob.
    public var stringSectionOffset: Int
    /// The string section's length in bytes.
    public var stringSectionLength: Int
    /// True when the blob's byte order is the opposite of the host's.
    public var isByteSwapped: Bool
}

/// One type record exactly as stored: the common `struct btf_type` words and
/// where the record lies. For tools that rewrite BTF bytes in place (the
/// object loader fixing DATASEC sizes and FUNC linkage).
public struct BTFRawType: Sendable, Equatable {
    /// Offset of the type's name in the string section (0: anonymous).
    public var nameOffset: UInt32
    /// `vlen` (bits 0-15), `kind` (bits 24-28) and `kind_flag` (bit 31).
    public var info: UInt32
    /// The `size` or `type` word, depending on the kind.
    public var sizeOrType: UInt32
    /// Byte offset of the record from the start of the blob.
    public var byteOffset: Int
    /// Index of the record's first word in the decoded type-section words.
    let wordIndex: Int

    /// The kind, from `info`.
    public var kind: BTFKind { BTFKind(rawValue: UInt8((info >> 24) & 0x1f)) ?? .void }
    /// The number of entries (members, values, parameters, variables).
    public var vlen: Int { Int(info & 0xffff) }
    /// The `kind_flag` bit.
    public var kindFlag: Bool { info >> 31 != 0 }
    /// The record's length in bytes (12 plus its kind's payload).
    public var byteLength: Int {
        let words = kind.payloadWords
        return 12 + 4 * (words.fixed + words.perEntry * vlen)
    }
}
