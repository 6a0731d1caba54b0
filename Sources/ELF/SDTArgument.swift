// MARK: - SDTArgument

/// One argument of a USDT probe as its `.note.stapsdt` spec describes it:
/// `-4@%eax` is a signed 4-byte value in register eax, `8@-16(%rbp)` an
/// unsigned 8-byte value in memory, `-4@$5` the constant 5,
/// `8@counter(%rip)` the variable `counter`, `-4@[sp, 8]` (AArch64) a value
/// on the stack.
public struct SDTArgument: Hashable, Sendable, CustomStringConvertible {
    /// The spec as written in the note, e.g. "-4@%eax".
    public var text: String
    /// The value's size in bytes: 1, 2, 4 or 8.
    public var size: Int
    /// True when the value is signed (a negative size in the spec).
    public var isSigned: Bool
    /// Where the value is when the probe fires.
    public var location: SDTArgumentLocation

    /// Creates an argument.
    public init(text: String, size: Int, isSigned: Bool, location: SDTArgumentLocation) {
        self.text = text
        self.size = size
        self.isSigned = isSigned
        self.location = location
    }

    /// tplist's wording: "4 signed bytes @ register %eax".
    public var description: String {
        "\(size) \(isSigned ? "signed" : "unsigned") byte\(size == 1 ? "" : "s") @ \(location)"
    }
}

/// Where a USDT argument's value is.
public enum SDTArgumentLocation: Hashable, Sendable, CustomStringConvertible {
    /// An immediate value (`$5` on x86-64, `5` on AArch64).
    case constant(Int64)
    /// The contents of a register (or a part of one: `%eax`, `%ah`, `w1`).
    case register(SDTRegister)
    /// Memory at an address computed from registers, a displacement and a symbol.
    case memory(SDTMemoryOperand)

    /// "constant 5", "register %eax", "memory -16(%rbp)".
    public var description: String {
        switch self {
        case let .constant(value): return "constant \(value)"
        case let .register(register): return "register \(register.name)"
        case let .memory(operand): return "memory \(operand)"
        }
    }
}

/// A register as a USDT spec names it, and where `struct pt_regs` keeps it.
public struct SDTRegister: Hashable, Sendable {
    /// The name as written, with its `%` on x86-64: "%eax", "x3", "sp".
    public var name: String
    /// The `struct pt_regs` member holding the full register: "ax", "regs[3]", "sp".
    public var field: String
    /// How many bytes of the register the name reads (4 for %eax).
    public var size: Int
    /// Which bit the named part starts at (8 for %ah, else 0).
    public var bitOffset: Int
    /// True for the instruction pointer (%rip), whose symbol-relative operands name a symbol's address.
    public var isInstructionPointer: Bool

    /// Creates a register.
    public init(name: String, field: String, size: Int, bitOffset: Int = 0, isInstructionPointer: Bool = false) {
        self.name = name
        self.field = field
        self.size = size
        self.bitOffset = bitOffset
        self.isInstructionPointer = isInstructionPointer
    }
}

/// A memory operand: `displacement + symbol + base + index * scale`.
///
/// On x86-64 a symbol with `%rip` as base (`counter+8(%rip)`) names the
/// symbol's address; without a symbol, `%rip` is the probe's own address.
public struct SDTMemoryOperand: Hashable, Sendable, CustomStringConvertible {
    /// The base register, if any.
    public var base: SDTRegister?
    /// The index register, if any.
    public var index: SDTRegister?
    /// What the index is multiplied by: 1, 2, 4 or 8.
    public var scale: Int
    /// The constant part of the address.
    public var displacement: Int64
    /// A symbol whose address is part of the address, if any.
    public var symbol: String?
    /// Once the probe's binary resolved `symbol`: its address minus the
    /// probe's address. The same in every process, PIE or not, since both
    /// move by the same load bias; a reader adds it to the probe's instruction pointer.
    public var symbolDistance: Int64?

    /// Creates a memory operand.
    public init(base: SDTRegister?, index: SDTRegister? = nil, scale: Int = 1, displacement: Int64 = 0,
                symbol: String? = nil, symbolDistance: Int64? = nil) {
        self.base = base
        self.index = index
        self.scale = scale
        self.displacement = displacement
        self.symbol = symbol
        self.symbolDistance = symbolDistance
    }

    /// True when the base register only anchors `symbol` (x86-64's `sym(%rip)`).
    public var baseIsSymbolAnchor: Bool { symbol != nil && base?.isInstructionPointer == true }

    /// The operand in AT&T-like notation: "counter+8(%rip)", "-16(%rbp)", "4(%rax,%rcx,4)".
    public var description: String {
        var text = symbol ?? ""
        if displacement != 0 || (symbol == nil && base == nil && index == nil) {
            text += symbol != nil && displacement > 0 ? "+\(displacement)" : "\(displacement)"
        }
        guard base != nil || index != nil else { return text }
        text += "(" + (base?.name ?? "")
        if let index { text += ",\(index.name),\(scale)" }
        return text + ")"
    }
}
