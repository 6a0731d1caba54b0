/// A decoded type record. Names and entries are looked up through the
/// `BTF` value that produced it (`btf.name(of:)`, `btf.members(of:)`).
public struct BTFType: Sendable, Equatable {
    /// The type's ID.
    public var id: BTFTypeID
    /// The type's kind.
    public var kind: BTFKind
    /// Offset of the name in the string section (0: anonymous).
    public var nameOffset: UInt32
    /// The `kind_flag` bit: bitfield offsets for composites, union for
    /// forward declarations, signedness for enums.
    public var kindFlag: Bool
    /// The number of entries (members, values, parameters, variables); the
    /// linkage for functions.
    public var vlen: Int
    /// The raw `size`/`type` word.
    public var sizeOrType: UInt32

    /// The referenced type for pointers, typedefs, qualifiers, functions,
    /// prototypes (return type), variables and tags; nil for other kinds.
    public var referencedType: BTFTypeID? { kind.referencesType ? BTFTypeID(sizeOrType) : nil }

    /// The declared size in bytes for kinds that store one (int, enum,
    /// struct, union, data section, float).
    public var declaredSize: Int? { kind.referencesType || kind == .array ? nil : Int(sizeOrType) }
}

/// A struct or union member.
public struct BTFMember: Sendable, Equatable {
    /// The member's name ("" for an anonymous struct/union member).
    public var name: String
    /// The member's type.
    public var type: BTFTypeID
    /// Offset from the start of the enclosing type, in bits.
    public var bitOffset: Int
    /// The bitfield's width in bits, 0 when the member is not a bitfield.
    public var bitfieldSize: Int

    /// True when the member is a bitfield.
    public var isBitfield: Bool { bitfieldSize != 0 }
    /// The byte offset (bit offset / 8).
    public var byteOffset: Int { bitOffset / 8 }
}

/// An enumerator of an enum or enum64.
public struct BTFEnumValue: Sendable, Equatable {
    /// The enumerator's name.
    public var name: String
    /// The value's 64 bits (sign-extended from 32 bits for signed enums).
    public var bits: UInt64
    /// True when the enum is signed (kind_flag set).
    public var isSigned: Bool

    /// The value as a signed integer.
    public var signedValue: Int64 { Int64(bitPattern: bits) }
}

/// A parameter of a function prototype.
public struct BTFParameter: Sendable, Equatable {
    /// The parameter's name ("" when unnamed).
    public var name: String
    /// The parameter's type; `void` as the last parameter means `...`.
    public var type: BTFTypeID
}

/// The shape of an array type.
public struct BTFArray: Sendable, Equatable {
    /// The element type.
    public var elementType: BTFTypeID
    /// The index type (an int).
    public var indexType: BTFTypeID
    /// The number of elements.
    public var count: Int
}

/// The encoding word of an int type.
public struct BTFIntEncoding: Sendable, Equatable {
    /// True for signed integers.
    public var isSigned: Bool
    /// True for `char`.
    public var isChar: Bool
    /// True for `_Bool`.
    public var isBool: Bool
    /// Bit offset of the value within the storage (0 for modern BTF).
    public var bitOffset: Int
    /// Width in bits.
    public var bits: Int
}

/// The linkage of a function or variable.
public enum BTFLinkage: UInt32, Sendable {
    /// `static`.
    case `static` = 0
    /// Global, defined here.
    case global = 1
    /// `extern`.
    case external = 2
}

/// A variable placed in a data section.
public struct BTFDataSectionEntry: Sendable, Equatable {
    /// The variable (or function, for `.ksyms`).
    public var type: BTFTypeID
    /// Offset within the section in bytes.
    public var offset: Int
    /// Size in bytes.
    public var size: Int
}
