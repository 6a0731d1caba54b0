/// Writes C declarations for BTF types into a byte buffer. One writer
/// serves both `BTF.cSpelling(of:)` (original names, anonymous bodies
/// elided) and the header emitter (deduplicated names, anonymous bodies
/// written inline), following libbpf's btf_dump declarator rules.
struct CWriter {
    let flat: FlatBTF
    /// True for the header: anonymous struct/union/enum bodies are written
    /// where they are used, and type names get `___N` suffixes when reused.
    let isHeader: Bool
    var out: [UInt8] = []
    /// Writing stops (and the emitter reports `headerTooLarge`) past this.
    var limit = Int.max
    /// Declarator stack shared by nested declarations (each call uses the
    /// slice it pushed; see `declaration`).
    private var declStack: [UInt32] = []

    /// Header-only naming state.
    private var typeNames: Namespace
    private var identNames: Namespace

    init(btf: BTF, isHeader: Bool) {
        self.flat = btf.flat
        self.isHeader = isHeader
        let count = isHeader ? btf.typeCount : 0
        typeNames = Namespace(suffixes: [Int32](repeating: 0, count: count))
        identNames = Namespace(suffixes: [Int32](repeating: 0, count: count))
        typeNames.counts.reserveCapacity(count / 4)
        identNames.counts.reserveCapacity(count / 2)
    }

    // MARK: - Output primitives

    @inline(__always) mutating func write(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    @inline(__always) mutating func write(byte: UInt8) { out.append(byte) }

    mutating func write(decimal value: Int64) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            write(unsigned: UInt64(bitPattern: 0 &- value))
        } else {
            write(unsigned: UInt64(value))
        }
    }

    mutating func write(unsigned value: UInt64) {
        let start = out.count
        var rest = value
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest != 0
        out[start...].reverse()
    }

    mutating func write(string offset: UInt32) {
        let range = flat.stringRange(offset)
        flat.strings.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
    }

    mutating func indent(_ level: Int) {
        for _ in 0..<level { out.append(UInt8(ascii: "\t")) }
    }

    // MARK: - Type access

    @inline(__always) func record(_ id: UInt32) -> BTFRawType { flat.record(id) }
    @inline(__always) func kind(_ id: UInt32) -> BTFKind { flat.kind(id) }
    @inline(__always) func word(_ id: UInt32, _ n: Int) -> UInt32 { flat.word(id, n) }

    /// True when the type has no name (offset 0 or the empty string).
    func isAnonymous(_ id: UInt32) -> Bool {
        let offset = record(id).nameOffset
        return offset == 0 || flat.stringIsEmpty(offset)
    }

    // MARK: - Names

    /// A name to write: a string-section offset plus a duplicate suffix,
    /// or literal bytes.
    struct Name {
        var offset: UInt32 = 0
        var suffix: Int32 = 1
        var literal: [UInt8]? = nil
        static let none = Name()
        var isEmpty: Bool { literal?.isEmpty ?? (offset == 0) }
    }

    mutating func write(_ name: Name) {
        if let literal = name.literal {
            out.append(contentsOf: literal)
            return
        }
        write(string: name.offset)
        if name.suffix > 1 {
            write("___")
            write(unsigned: UInt64(name.suffix))
        }
    }

    func nameIsEmpty(_ name: Name) -> Bool {
        if let literal = name.literal { return literal.isEmpty }
        return name.offset == 0 || flat.stringIsEmpty(name.offset)
    }

    /// Duplicate counting for one C namespace (tags, or ordinary
    /// identifiers): per type ID, 0 until resolved, then the use count
    /// (1 = original name, N = `name___N`).
    struct Namespace {
        var suffixes: [Int32]
        var counts: [NameKey: Int32] = [:]

        mutating func use(_ key: NameKey) -> Int32 {
            let count = (counts[key] ?? 0) + 1
            counts[key] = count
            return count
        }
    }

    /// Forward declarations and empty enums keep their names: they declare
    /// nothing a second definition could clash with.
    private func keepsName(_ record: BTFRawType) -> Bool {
        record.kind == .forward || (record.kind.isEnum && record.vlen == 0)
    }

    /// The struct/union/enum tag name of `id` (`___N` when an earlier type
    /// used the same tag).
    mutating func typeName(_ id: UInt32) -> Name {
        let record = record(id)
        guard isHeader, record.nameOffset != 0 else { return Name(offset: record.nameOffset) }
        let index = Int(id)
        if typeNames.suffixes[index] == 0 {
            typeNames.suffixes[index] = keepsName(record) ? 1 : typeNames.use(flat.nameKey(record.nameOffset))
        }
        return Name(offset: record.nameOffset, suffix: typeNames.suffixes[index])
    }

    /// The typedef name of `id` (shares a namespace with enumerators).
    /// The kernel's `__builtin_va_list` (x86's 24-byte array) is renamed:
    /// the compiler's own BPF builtin is a pointer, so keeping the name
    /// would silently shrink every struct holding a `va_list`.
    mutating func identName(_ id: UInt32) -> Name {
        let record = record(id)
        guard isHeader, record.nameOffset != 0 else { return Name(offset: record.nameOffset) }
        if flat.string(record.nameOffset, equals: "__builtin_va_list") {
            return Name(literal: Array("__btf_builtin_va_list".utf8))
        }
        let index = Int(id)
        if identNames.suffixes[index] == 0 {
            identNames.suffixes[index] = keepsName(record) ? 1 : identNames.use(flat.nameKey(record.nameOffset))
        }
        return Name(offset: record.nameOffset, suffix: identNames.suffixes[index])
    }

    /// An enumerator's name, counted in the identifier namespace.
    mutating func enumeratorName(_ offset: UInt32) -> Name {
        guard isHeader else { return Name(offset: offset) }
        return Name(offset: offset, suffix: identNames.use(flat.nameKey(offset)))
    }

    // MARK: - Declarations

    /// Writes a declaration of `name` with type `id` (`int x`, `char *p`,
    /// `int (*cb)(void *)`, `char comm[16]`); an empty name gives the
    /// abstract declarator (`char[16]`).
    mutating func declaration(_ id: UInt32, name: Name, level: Int) {
        let start = declStack.count
        var current = id
        // Push the declarator chain down to a terminal type. Decoding
        // rejected loops along these edges, so this ends.
        while true {
            declStack.append(current)
            if current == 0 { break }
            let record = record(current)
            switch record.kind {
            case .pointer, .volatile, .const, .restrict, .functionPrototype, .typeTag:
                current = record.sizeOrType
                continue
            case .array:
                current = word(current, 0)
                continue
            default:
                break
            }
            break
        }
        var count = declStack.count - start
        chain(start: start, count: &count, name: name, level: level)
        declStack.removeSubrange(start...)
    }

    private mutating func writeModifiers(start: Int, count: inout Int) {
        while count > 0 {
            switch kind(declStack[start + count - 1]) {
            case .volatile: write("volatile ")
            case .const: write("const ")
            case .restrict: write("restrict ")
            default: return
            }
            count -= 1
        }
    }

    private func dropModifiers(start: Int, count: inout Int) {
        while count > 0, declStack[start + count - 1] != 0, kind(declStack[start + count - 1]).isModifier {
            count -= 1
        }
    }

    private mutating func writeName(_ name: Name, afterPointer: Bool) {
        if !nameIsEmpty(name) && !afterPointer { write(byte: UInt8(ascii: " ")) }
        write(name)
    }

    /// Pops the declarator stack slice `start..<start+count`, writing the
    /// terminal type first, then pointers and qualifiers, with arrays and
    /// function prototypes wrapping what remains.
    private mutating func chain(start: Int, count: inout Int, name: Name, level: Int) {
        var lastWasPointer = true
        while count > 0 {
            count -= 1
            let id = declStack[start + count]
            if id == 0 {
                writeModifiers(start: start, count: &count)
                write("void")
                lastWasPointer = false
                continue
            }
            let record = record(id)
            switch record.kind {
            case .int, .float:
                writeModifiers(start: start, count: &count)
                write(string: record.nameOffset)
            case .struct, .union:
                writeModifiers(start: start, count: &count)
                if isAnonymous(id) && isHeader {
                    structDefinition(id, level: level)
                } else {
                    structForward(id)
                }
            case .enum, .enum64:
                writeModifiers(start: start, count: &count)
                if isAnonymous(id) && isHeader {
                    enumDefinition(id, level: level)
                } else {
                    write("enum")
                    writeTagName(id)
                }
            case .forward:
                writeModifiers(start: start, count: &count)
                forwardDefinition(id)
            case .typedef:
                writeModifiers(start: start, count: &count)
                write(identName(id))
            case .pointer:
                if lastWasPointer { write("*") } else { write(" *") }
            case .volatile:
                write(" volatile")
            case .const:
                write(" const")
            case .restrict:
                write(" restrict")
            case .typeTag:
                writeModifiers(start: start, count: &count)
                write(" __attribute__((btf_type_tag(\"")
                write(string: record.nameOffset)
                write("\")))")
            case .array:
                // Qualifiers on an array itself mean nothing (GCC adds them).
                dropModifiers(start: start, count: &count)
                if count == 0 {
                    writeName(name, afterPointer: lastWasPointer)
                } else {
                    let next = declStack[start + count - 1]
                    let multidimensional = next != 0 && kind(next) == .array
                    if !nameIsEmpty(name) && !lastWasPointer { write(" ") }
                    if !multidimensional { write("(") }
                    chain(start: start, count: &count, name: name, level: level)
                    if !multidimensional { write(")") }
                }
                write("[")
                write(unsigned: UInt64(word(id, 2)))
                write("]")
                return
            case .functionPrototype:
                dropModifiers(start: start, count: &count)
                if count > 0 {
                    write(" (")
                    chain(start: start, count: &count, name: name, level: level)
                    write(")")
                } else {
                    writeName(name, afterPointer: lastWasPointer)
                }
                write("(")
                let parameters = record.vlen
                if parameters == 0 || (parameters == 1 && word(id, 1) == 0) {
                    write("void)")
                    return
                }
                for parameter in 0..<parameters {
                    if parameter > 0 { write(", ") }
                    let type = word(id, parameter * 2 + 1)
                    if parameter == parameters - 1 && type == 0 {
                        write("...")
                        break
                    }
                    declaration(type, name: Name(offset: word(id, parameter * 2)), level: level)
                }
                write(")")
                return
            default:
                // Functions, variables, data sections and declaration tags
                // never appear inside a declarator; write their name.
                write(string: record.nameOffset)
            }
            lastWasPointer = record.kind == .pointer
        }
        writeName(name, afterPointer: lastWasPointer)
    }

    private mutating func writeTagName(_ id: UInt32) {
        let name = typeName(id)
        if !isHeader && nameIsEmpty(name) {
            write(" {...}")
        } else {
            write(" ")
            write(name)
        }
    }

    /// `struct name` / `union name`.
    mutating func structForward(_ id: UInt32) {
        if kind(id) == .struct { write("struct") } else { write("union") }
        writeTagName(id)
    }

    /// A FWD type: `union name` when kind_flag is set, else `struct name`.
    mutating func forwardDefinition(_ id: UInt32) {
        if record(id).kindFlag { write("union ") } else { write("struct ") }
        write(typeName(id))
    }

    // MARK: - Definitions

    /// `struct name { members }` with explicit padding, bitfields and a
    /// packed attribute when the layout needs one.
    mutating func structDefinition(_ id: UInt32, level: Int) {
        let record = record(id)
        let isStruct = record.kind == .struct
        let vlen = record.vlen
        let packed = isStruct && isPacked(id, record)
        let alignment = max(1, flat.alignment(id))
        write(isStruct ? "struct" : "union")
        if !isAnonymous(id) {
            write(" ")
            write(typeName(id))
        }
        write(" {")
        var offset = 0
        var previousWasBitfield = false
        var unionEnd = 0
        for member in 0..<vlen where out.count <= limit {
            let type = word(id, member * 3 + 1)
            let offsetWord = word(id, member * 3 + 2)
            var bitfieldSize = record.kindFlag ? Int(offsetWord >> 24) : 0
            let memberOffset = Int(record.kindFlag ? offsetWord & 0xff_ffff : offsetWord)
            let memberAlignment = packed ? 1 : max(1, flat.alignment(type))
            bitPadding(from: offset, to: memberOffset, nextAlignment: memberAlignment,
                       inBitfield: previousWasBitfield && bitfieldSize != 0, level: level + 1)
            write("\n")
            indent(level + 1)
            declaration(type, name: Name(offset: word(id, member * 3)), level: level + 1)
            if bitfieldSize != 0 {
                write(": ")
                write(unsigned: UInt64(bitfieldSize))
                offset = memberOffset + bitfieldSize
                previousWasBitfield = true
            } else {
                bitfieldSize = flat.size(type)
                offset = memberOffset + bitfieldSize * 8
                previousWasBitfield = false
            }
            write(";")
            unionEnd = max(unionEnd, offset)
        }
        if isStruct {
            bitPadding(from: offset, to: Int(record.sizeOrType) * 8, nextAlignment: alignment, inBitfield: false, level: level + 1)
        } else if unionEnd < Int(record.sizeOrType) * 8 {
            // Every union member starts at 0, so the padding that gives the
            // union its size goes in an anonymous struct of its own.
            write("\n")
            indent(level + 1)
            write("struct {")
            bitPadding(from: 0, to: Int(record.sizeOrType) * 8, nextAlignment: alignment, inBitfield: false, level: level + 2)
            write("\n")
            indent(level + 1)
            write("};")
        }
        if vlen > 0 || record.sizeOrType > 0 {
            write("\n")
            indent(level)
        }
        write("}")
        if packed { write(" __attribute__((packed))") }
    }

    /// libbpf's rule: packed when a non-bitfield member is misaligned for
    /// its type, or the size is not a multiple of the largest alignment.
    private func isPacked(_ id: UInt32, _ record: BTFRawType) -> Bool {
        var maximum = 1
        for member in 0..<record.vlen {
            let alignment = flat.alignment(word(id, member * 3 + 1))
            let offsetWord = word(id, member * 3 + 2)
            let bitfieldSize = record.kindFlag ? offsetWord >> 24 : 0
            let bitOffset = Int(record.kindFlag ? offsetWord & 0xff_ffff : offsetWord)
            if alignment > 0, bitfieldSize == 0, bitOffset % (8 * alignment) != 0 { return true }
            maximum = max(maximum, alignment)
        }
        return Int(record.sizeOrType) % maximum != 0
    }

    /// Writes `type: bits;` on a line of its own.
    private mutating func writeUnnamedBitfield(_ type: StaticString, bits: Int, level: Int) {
        write("\n")
        indent(level)
        write(type)
        write(": ")
        write(unsigned: UInt64(bits))
        write(";")
    }

    private static let pads: [(name: StaticString, bits: Int)] = [("long", 64), ("int", 32), ("short", 16), ("char", 8)]

    /// Fills the gap between bit offsets with unnamed bitfields
    /// (`long: 64;`, `int: 3;`), using `type: 0;` to force alignment where
    /// the compiler would not align by itself.
    private mutating func bitPadding(from current: Int, to next: Int, nextAlignment: Int, inBitfield: Bool, level: Int) {
        guard current < next else { return }
        let pads = CWriter.pads
        var current = current
        var padBits = 8
        var padName: StaticString = "char"
        var aligned = 0
        for pad in pads {
            padBits = pad.bits
            padName = pad.name
            aligned = (current + padBits - 1) / padBits * padBits
            if aligned <= next { break }
        }
        if aligned > current && aligned <= next {
            let naturally = (current + nextAlignment * 8 - 1) / (nextAlignment * 8) * (nextAlignment * 8)
            if inBitfield || (aligned == next && naturally != aligned) || (aligned != next && next - aligned <= aligned - current) {
                writeUnnamedBitfield(padName, bits: inBitfield ? aligned - current : 0, level: level)
            }
            current = aligned
        }
        while current != next && out.count <= limit {
            let bits = min(next - current, padBits)
            if bits == padBits {
                writeUnnamedBitfield(padName, bits: padBits, level: level)
                current += bits
                continue
            }
            for pad in pads.reversed() where pad.bits >= bits {
                padName = pad.name
                padBits = pad.bits
                writeUnnamedBitfield(padName, bits: bits, level: level)
                current += bits
                break
            }
        }
    }

    /// `enum name { A = 1, ... }` with a mode attribute for 1- and 8-byte enums.
    mutating func enumDefinition(_ id: UInt32, level: Int) {
        let record = record(id)
        write("enum")
        if !isAnonymous(id) {
            write(" ")
            write(typeName(id))
        }
        let vlen = record.vlen
        guard vlen > 0 else { return }
        write(" {")
        let is64 = record.kind == .enum64
        let stride = is64 ? 3 : 2
        var anyHighBits = false
        for value in 0..<vlen {
            write("\n")
            indent(level + 1)
            write(enumeratorName(word(id, value * stride)))
            write(" = ")
            let low = word(id, value * stride + 1)
            if is64 {
                let high = word(id, value * stride + 2)
                anyHighBits = anyHighBits || high != 0
                let bits = UInt64(high) << 32 | UInt64(low)
                if record.kindFlag {
                    write(decimal: Int64(bitPattern: bits))
                    write("LL,")
                } else {
                    write(unsigned: bits)
                    write("ULL,")
                }
            } else {
                if record.kindFlag { write(decimal: Int64(Int32(bitPattern: low))) } else { write(unsigned: UInt64(low)) }
                write(",")
            }
        }
        write("\n")
        indent(level)
        write("}")
        if record.sizeOrType == 1 {
            write(" __attribute__((mode(byte)))")
        } else if record.sizeOrType == 8 && (!is64 || !anyHighBits) {
            write(" __attribute__((mode(word)))")
        }
    }
}
