/// The kind of a BTF type, from bits 24-28 of its `info` word.
public enum BTFKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// `void`: only type ID 0 has this kind; it never appears in a record.
    case void = 0
    /// An integer, `char` or `_Bool`.
    case int = 1
    /// A pointer.
    case pointer = 2
    /// An array.
    case array = 3
    /// A struct.
    case `struct` = 4
    /// A union.
    case union = 5
    /// An enum with 32-bit values.
    case `enum` = 6
    /// A forward declaration of a struct or union.
    case forward = 7
    /// A typedef.
    case typedef = 8
    /// The `volatile` qualifier.
    case volatile = 9
    /// The `const` qualifier.
    case const = 10
    /// The `restrict` qualifier.
    case restrict = 11
    /// A function (name, linkage and prototype).
    case function = 12
    /// A function prototype.
    case functionPrototype = 13
    /// A variable.
    case variable = 14
    /// A data section (global variables in an ELF section).
    case dataSection = 15
    /// A floating-point type.
    case float = 16
    /// A `btf_decl_tag` attribute.
    case declarationTag = 17
    /// A `btf_type_tag` attribute.
    case typeTag = 18
    /// An enum with 64-bit values.
    case enum64 = 19

    /// The kernel's name for the kind (`STRUCT`, `FUNC_PROTO`, ...).
    public var description: String {
        switch self {
        case .void: "VOID"
        case .int: "INT"
        case .pointer: "PTR"
        case .array: "ARRAY"
        case .struct: "STRUCT"
        case .union: "UNION"
        case .enum: "ENUM"
        case .forward: "FWD"
        case .typedef: "TYPEDEF"
        case .volatile: "VOLATILE"
        case .const: "CONST"
        case .restrict: "RESTRICT"
        case .function: "FUNC"
        case .functionPrototype: "FUNC_PROTO"
        case .variable: "VAR"
        case .dataSection: "DATASEC"
        case .float: "FLOAT"
        case .declarationTag: "DECL_TAG"
        case .enum64: "ENUM64"
        case .typeTag: "TYPE_TAG"
        }
    }

    /// True for `volatile`, `const`, `restrict` and type tags: kinds that
    /// qualify another type without changing its layout.
    public var isModifier: Bool {
        switch self {
        case .volatile, .const, .restrict, .typeTag: true
        default: false
        }
    }

    /// True for struct and union.
    public var isComposite: Bool { self == .struct || self == .union }

    /// True for enum and enum64.
    public var isEnum: Bool { self == .enum || self == .enum64 }

    /// The number of 32-bit words that follow the common 12-byte record for
    /// a type of this kind with `vlen` entries.
    var payloadWords: (fixed: Int, perEntry: Int) {
        switch self {
        case .int, .variable, .declarationTag: (1, 0)
        case .array: (3, 0)
        case .struct, .union, .dataSection, .enum64: (0, 3)
        case .enum, .functionPrototype: (0, 2)
        default: (0, 0)
        }
    }

    /// True for kinds whose `size_type` word is a type ID (not a size).
    var referencesType: Bool {
        switch self {
        case .pointer, .typedef, .volatile, .const, .restrict, .function, .functionPrototype, .variable,
            .declarationTag, .typeTag:
            true
        default: false
        }
    }
}
