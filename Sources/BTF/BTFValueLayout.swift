/// How a value of a C type lies in memory, as BTF describes it: the one
/// layout model that event decoding, layout checks, table and histogram keys
/// and the Swift declaration writer read, so none of them walks BTF members.
///
/// Typedefs and qualifiers are already followed; composites and enums keep
/// their type ID (for names). Built by ``BTF/valueLayout(of:)``, which checks
/// every member against its struct once.
///
///     let layout = try btf.valueLayout(of: id)
///     if case let .composite(data) = layout { data.member(path: "origin.y")?.offset }
public enum BTFValueLayout: Sendable {
    /// An integer (`int`, `u64`, `char`, `_Bool`, `__int128`).
    case integer(BTFIntegerLayout)
    /// An enum or enum64.
    case enumeration(BTFEnumLayout)
    /// A floating-point value of `size` bytes (4, 8, or wider: `long double`).
    case float(size: Int)
    /// A pointer (8 bytes on BPF): an address.
    case pointer
    /// `count` elements, `stride` bytes apart (the element's size). A
    /// flexible array member has `count` 0.
    indirect case array(element: BTFValueLayout, count: Int, stride: Int)
    /// A struct or union.
    case composite(BTFCompositeLayout)

    /// The value's size in bytes.
    @inlinable
    public var size: Int {
        switch self {
        case let .integer(integer): integer.size
        case let .enumeration(enumeration): enumeration.size
        case let .float(size): size
        case .pointer: 8
        case let .array(_, count, stride): count * stride
        case let .composite(composite): composite.size
        }
    }

    /// The size and signedness of the value read as an integer: integers of
    /// 1, 2, 4 or 8 bytes (chars and bools included), enums and pointers;
    /// nil for other values.
    @inlinable
    public var integerRepresentation: (size: Int, isSigned: Bool)? {
        switch self {
        case let .integer(integer) where integer.size <= 8: (integer.size, integer.isSigned)
        case let .enumeration(enumeration): (enumeration.size, enumeration.isSigned)
        case .pointer: (8, false)
        default: nil
        }
    }

    /// True for an array of `char` or `signed char`: C text. Arrays of
    /// `unsigned char` (`u8`) are numbers, as in bcc.
    @inlinable
    public var isText: Bool {
        guard case let .array(.integer(element), _, _) = self else { return false }
        return element.isChar || element.isSignedChar
    }

    /// How many values a decoder makes of this one: one per scalar, one per
    /// char array (its text) and per struct or union, and the elements'
    /// values per array; saturating at `Int.max`.
    public var valueCount: Int {
        switch self {
        case .integer, .enumeration, .float, .pointer:
            return 1
        case let .array(element, count, _):
            if isText { return 1 }
            let (total, overflow) = count.multipliedReportingOverflow(by: element.valueCount)
            return overflow ? .max : max(total, 1)
        case let .composite(composite):
            return composite.valueCount
        }
    }
}

/// An integer type's layout.
public struct BTFIntegerLayout: Sendable, Equatable {
    /// Bytes (1, 2, 4, 8 or 16).
    public var size: Int
    /// True for signed integers.
    public var isSigned: Bool
    /// True for `_Bool`.
    public var isBool: Bool
    /// True for plain `char`, whose signedness is the target's (Swift's
    /// `CChar`).
    public var isChar: Bool
    /// True for `signed char`. Arrays of it and of `char` are text; arrays
    /// of `unsigned char` (`u8`) are numbers, as in bcc.
    public var isSignedChar: Bool

    /// An integer of `size` bytes.
    public init(size: Int, isSigned: Bool, isBool: Bool = false, isChar: Bool = false, isSignedChar: Bool = false) {
        self.size = size
        self.isSigned = isSigned
        self.isBool = isBool
        self.isChar = isChar
        self.isSignedChar = isSignedChar
    }
}

/// An enum's layout and its enumerators.
public final class BTFEnumLayout: Sendable {
    /// The enum's type ID.
    public let type: BTFTypeID
    /// Bytes (1, 2, 4 or 8).
    public let size: Int
    /// True when the enum is signed (BTF's kind_flag).
    public let isSigned: Bool
    /// The enumerators in declaration order (values may repeat).
    public let enumerators: [BTFEnumValue]
    private let names: [UInt64: String]

    /// An enum `type` of `size` bytes with `enumerators`.
    public init(type: BTFTypeID, size: Int, isSigned: Bool, enumerators: [BTFEnumValue]) {
        self.type = type
        self.size = size
        self.isSigned = isSigned
        self.enumerators = enumerators
        var names: [UInt64: String] = [:]
        for value in enumerators where names[value.bits] == nil { names[value.bits] = value.name }
        self.names = names
    }

    /// The first enumerator whose value has these bits (sign-extended for
    /// signed enums), or nil.
    public func name(of bits: UInt64) -> String? { names[bits] }
}

/// A struct's or union's layout: its members as declared, and as C names
/// them (members of anonymous structs and unions lifted into the parent).
public final class BTFCompositeLayout: Sendable {
    /// The struct's or union's type ID.
    public let type: BTFTypeID
    /// Bytes.
    public let size: Int
    /// True for a union.
    public let isUnion: Bool
    /// The members in declaration order; anonymous structs and unions are
    /// members named "".
    public let members: [BTFMemberLayout]
    /// The members as C reaches them: those of anonymous structs and unions
    /// take their place, with offsets from this type's start. Anonymous
    /// members of other types (padding) are left out, unnamed bitfields kept.
    public let fields: [BTFMemberLayout]
    /// How many values a decoder makes of this type (``BTFValueLayout/valueCount``).
    public let valueCount: Int

    /// A struct or union `type` of `size` bytes with `members`.
    public init(type: BTFTypeID, size: Int, isUnion: Bool, members: [BTFMemberLayout]) {
        self.type = type
        self.size = size
        self.isUnion = isUnion
        self.members = members
        var fields: [BTFMemberLayout] = []
        var count = 1
        for member in members {
            let (sum, overflow) = count.addingReportingOverflow(member.isBitfield ? 1 : member.value.valueCount)
            count = overflow ? .max : sum
            if member.isBitfield || !member.name.isEmpty {
                fields.append(member)
            } else if case let .composite(inner) = member.value {
                fields += inner.fields.map { $0.moved(by: member.bitOffset) }
            }
        }
        self.fields = fields
        valueCount = count
    }

    /// The member at `path` (`name`, or `outer.inner` into nested structs),
    /// as C reaches it through anonymous members; its offset counts from
    /// this type's start.
    public func member(path: String) -> BTFMemberLayout? {
        var fields = self.fields
        var base = 0
        var found: BTFMemberLayout?
        for name in path.split(separator: ".", omittingEmptySubsequences: false) {
            if let outer = found {
                guard case let .composite(inner) = outer.value else { return nil }
                fields = inner.fields
                base += outer.bitOffset
            }
            guard let member = fields.first(where: { $0.name == name }) else { return nil }
            found = member
        }
        return found?.moved(by: base)
    }
}

/// A member of a struct or union.
public struct BTFMemberLayout: Sendable {
    /// The member's name ("" for an anonymous struct, union or bitfield).
    public var name: String
    /// The member's type as declared (typedefs kept, for spelling it).
    public var type: BTFTypeID
    /// Offset from the start of the enclosing type, in bits.
    public var bitOffset: Int
    /// The bitfield's width in bits; 0 when the member is not a bitfield.
    /// Old-style BTF bitfields (an int narrower than its storage) are
    /// bitfields here too.
    public var bitfieldWidth: Int
    /// The value's layout; a bitfield's is its integer or enum type's.
    public var value: BTFValueLayout

    /// A member `name` of `type` at `bitOffset`.
    public init(name: String, type: BTFTypeID, bitOffset: Int, bitfieldWidth: Int = 0, value: BTFValueLayout) {
        self.name = name
        self.type = type
        self.bitOffset = bitOffset
        self.bitfieldWidth = bitfieldWidth
        self.value = value
    }

    /// True for a bitfield.
    @inlinable
    public var isBitfield: Bool { bitfieldWidth != 0 }
    /// The byte holding the member's first bit.
    @inlinable
    public var offset: Int { bitOffset / 8 }
    /// Bytes the member spans from ``offset``: the value's size, or the
    /// bytes a bitfield's bits touch.
    @inlinable
    public var size: Int { isBitfield ? (bitOffset % 8 + bitfieldWidth + 7) / 8 : value.size }

    /// The member with its offset moved `bits` further.
    func moved(by bits: Int) -> BTFMemberLayout {
        var member = self
        member.bitOffset += bits
        return member
    }
}
