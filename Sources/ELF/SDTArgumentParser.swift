// MARK: - Parsing argument specs

/// Why a USDT argument spec could not be parsed: which argument (1-based),
/// its text, and what is wrong with it.
public struct SDTArgumentSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 1-based position of the argument in the probe's list.
    public var argument: Int
    /// The argument's text (up to where parsing stopped making sense).
    public var text: String
    /// What is wrong.
    public var detail: String

    /// "argument 2 '8@%foo': unknown register '%foo'".
    public var description: String { "argument \(argument) '\(text)': \(detail)" }
}

extension SDTArgument {
    /// `e_machine` values with an argument syntax this parser knows.
    public static let supportedMachines: [UInt16: String] = [62: "x86-64", 183: "AArch64"]

    /// Parses a probe's space-separated argument list (the note's third
    /// string) in the assembler syntax of `machine` (`e_machine`: 62 x86-64,
    /// 183 AArch64). An empty list is a probe without arguments.
    public static func parseList(_ text: String, machine: UInt16) throws(SDTArgumentSpecError) -> [SDTArgument] {
        var parser = SDTSpecParser(text: text, machine: machine)
        return try parser.parseAll()
    }
}

/// A cursor over one argument list.
private struct SDTSpecParser {
    let bytes: [UInt8]
    let machine: UInt16
    var position = 0
    var argumentStart = 0
    var argumentNumber = 0

    init(text: String, machine: UInt16) {
        bytes = Array(text.utf8)
        self.machine = machine
    }

    mutating func parseAll() throws(SDTArgumentSpecError) -> [SDTArgument] {
        var arguments: [SDTArgument] = []
        skipSpaces()
        while position < bytes.count {
            argumentNumber += 1
            argumentStart = position
            guard let syntax = SDTArgument.supportedMachines[machine] else {
                throw fail("no argument syntax for ELF machine \(machine) (known: x86-64, AArch64)")
            }
            let argument = syntax == "x86-64" ? try parseX86() : try parseAArch64()
            guard position == bytes.count || isSpace(bytes[position]) else {
                throw fail("unexpected '\(String(decoding: [bytes[position]], as: UTF8.self))' after the operand")
            }
            arguments.append(argument)
            skipSpaces()
        }
        return arguments
    }

    // MARK: Shared pieces

    /// `[-]N@`: the size and signedness; nil when the spec has no size (old notes).
    mutating func parseSize() throws(SDTArgumentSpecError) -> (size: Int, signed: Bool)? {
        let start = position
        var signed = false
        if peek("-") { signed = true; position += 1 }
        var digits = 0
        var value = 0
        while position < bytes.count, let digit = decimalDigit(bytes[position]), digits < 3 {
            value = value * 10 + digit
            digits += 1
            position += 1
        }
        guard digits > 0, peek("@") else {
            position = start
            return nil
        }
        position += 1
        guard [1, 2, 4, 8].contains(value) else { throw fail("size \(signed ? "-" : "")\(value) is not 1, 2, 4 or 8") }
        return (value, signed)
    }

    /// A decimal or 0x-hexadecimal integer, optionally negative.
    mutating func parseNumber(_ what: String) throws(SDTArgumentSpecError) -> Int64 {
        var negative = false
        if peek("-") { negative = true; position += 1 } else if peek("+") { position += 1 }
        var radix: UInt64 = 10
        if peek("0"), position + 1 < bytes.count, bytes[position + 1] | 0x20 == UInt8(ascii: "x") {
            radix = 16
            position += 2
        }
        var magnitude: UInt64 = 0
        var digits = 0
        while position < bytes.count, let digit = radix == 16 ? hexDigit(bytes[position]) : decimalDigit(bytes[position]) {
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { throw fail("\(what) does not fit in 64 bits") }
            magnitude = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("expected a number for the \(what)") }
        // Constants are printed as signed or unsigned 64-bit values; keep the bit pattern.
        let value = Int64(bitPattern: magnitude)
        return negative ? 0 &- value : value
    }

    mutating func parseIdentifier() -> String? {
        let start = position
        guard position < bytes.count, isIdentifierStart(bytes[position]) else { return nil }
        while position < bytes.count, isIdentifierStart(bytes[position]) || decimalDigit(bytes[position]) != nil {
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    func fail(_ detail: String) -> SDTArgumentSpecError {
        var end = position
        while end < bytes.count, !isSpace(bytes[end]) { end += 1 }
        let text = String(decoding: bytes[min(argumentStart, bytes.count)..<max(end, min(argumentStart, bytes.count))], as: UTF8.self)
        return SDTArgumentSpecError(argument: argumentNumber, text: text, detail: detail)
    }

    func peek(_ character: Unicode.Scalar) -> Bool {
        position < bytes.count && bytes[position] == UInt8(ascii: character)
    }

    mutating func expect(_ character: Unicode.Scalar, _ context: String) throws(SDTArgumentSpecError) {
        guard peek(character) else { throw fail("expected '\(character)' \(context)") }
        position += 1
    }

    mutating func skipSpaces() {
        while position < bytes.count, isSpace(bytes[position]) { position += 1 }
    }

    var currentText: String {
        String(decoding: bytes[argumentStart..<position], as: UTF8.self)
    }

    // MARK: x86-64

    /// `[-]N@operand` where operand is `$imm`, `%reg`, or `disp(base,index,scale)`
    /// with disp a number, a symbol, `symbol+N`, `symbol-N` or `N+symbol`.
    mutating func parseX86() throws(SDTArgumentSpecError) -> SDTArgument {
        let size = try parseSize()
        let location: SDTArgumentLocation
        if peek("$") {
            position += 1
            location = .constant(try parseNumber("constant"))
        } else if peek("%") {
            location = .register(try parseX86Register())
        } else {
            var displacement: Int64 = 0
            var symbol: String?
            if let first = position < bytes.count ? bytes[position] : nil,
               decimalDigit(first) != nil || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                displacement = try parseNumber("displacement")
                if peek("+") {
                    position += 1
                    guard let name = parseIdentifier() else { throw fail("expected a symbol after '+'") }
                    symbol = name
                }
            } else if let name = parseIdentifier() {
                symbol = name
                if peek("+") || peek("-") { displacement = try parseNumber("displacement") }
            }
            var operand = SDTMemoryOperand(base: nil, displacement: displacement, symbol: symbol)
            if peek("(") {
                position += 1
                if peek("%") { operand.base = try parseX86Register() }
                if peek(",") {
                    position += 1
                    operand.index = try parseX86Register()
                    if peek(",") {
                        position += 1
                        let scale = try parseNumber("scale")
                        guard [1, 2, 4, 8].contains(scale) else { throw fail("scale \(scale) is not 1, 2, 4 or 8") }
                        operand.scale = Int(scale)
                    }
                }
                try expect(")", "to close the memory operand")
                guard operand.base != nil || operand.index != nil else { throw fail("a memory operand needs a base or an index register") }
            } else if symbol == nil {
                throw fail("expected '$constant', '%register' or a memory operand")
            }
            if operand.index?.isInstructionPointer == true { throw fail("%rip cannot be an index register") }
            location = .memory(operand)
        }
        return try finish(size: size, location: location)
    }

    mutating func parseX86Register() throws(SDTArgumentSpecError) -> SDTRegister {
        try expect("%", "before a register name")
        let start = position
        while position < bytes.count, isIdentifierStart(bytes[position]) || decimalDigit(bytes[position]) != nil { position += 1 }
        let name = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !peek(":") else { throw fail("segment-relative operands (%\(name):...) cannot be read from BPF") }
        guard let (field, size, bitOffset) = X86Registers.lookup(name) else {
            if name.hasPrefix("xmm") || name.hasPrefix("ymm") || name.hasPrefix("zmm") || name.hasPrefix("st") {
                throw fail("floating-point and vector registers (%\(name)) are not in struct pt_regs; BPF cannot read them")
            }
            throw fail("unknown x86-64 register '%\(name)'")
        }
        return SDTRegister(name: "%" + name, field: field, size: size, bitOffset: bitOffset, isInstructionPointer: field == "ip")
    }

    // MARK: AArch64

    /// `[-]N@xR`, `[-]N@wR`, `[-]N@sp`, `[-]N@[reg]`, `[-]N@[reg, off]`,
    /// `[-]N@[reg, reg]` or `[-]N@imm` (`#` before numbers allowed).
    mutating func parseAArch64() throws(SDTArgumentSpecError) -> SDTArgument {
        let size = try parseSize()
        let location: SDTArgumentLocation
        if peek("[") {
            position += 1
            skipSpaces()
            var operand = SDTMemoryOperand(base: try parseAArch64Register())
            skipSpaces()
            if peek(",") {
                position += 1
                skipSpaces()
                if peek("#") { position += 1 }
                if let first = position < bytes.count ? bytes[position] : nil,
                   decimalDigit(first) != nil || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                    operand.displacement = try parseNumber("offset")
                } else {
                    operand.index = try parseAArch64Register()
                }
                skipSpaces()
            }
            try expect("]", "to close the memory operand")
            location = .memory(operand)
        } else if peek("#") || peek("-") || (position < bytes.count && decimalDigit(bytes[position]) != nil) {
            if peek("#") { position += 1 }
            location = .constant(try parseNumber("constant"))
        } else {
            location = .register(try parseAArch64Register())
        }
        return try finish(size: size, location: location)
    }

    mutating func parseAArch64Register() throws(SDTArgumentSpecError) -> SDTRegister {
        let start = position
        while position < bytes.count, isIdentifierStart(bytes[position]) || decimalDigit(bytes[position]) != nil { position += 1 }
        let name = String(decoding: bytes[start..<position], as: UTF8.self)
        switch name {
        case "sp": return SDTRegister(name: name, field: "sp", size: 8)
        case "wsp": return SDTRegister(name: name, field: "sp", size: 4)
        case "fp": return SDTRegister(name: name, field: "regs[29]", size: 8)
        case "lr": return SDTRegister(name: name, field: "regs[30]", size: 8)
        default: break
        }
        if let kind = name.first, kind == "x" || kind == "w", let number = Int(name.dropFirst()), (0...30).contains(number),
           name.count <= 3 {
            return SDTRegister(name: name, field: "regs[\(number)]", size: kind == "x" ? 8 : 4)
        }
        if name.isEmpty { throw fail("expected a register") }
        throw fail("unknown AArch64 register '\(name)'")
    }

    // MARK: Result

    /// The argument, its size taken from the register when the spec has none.
    func finish(size: (size: Int, signed: Bool)?, location: SDTArgumentLocation) throws(SDTArgumentSpecError) -> SDTArgument {
        if let size {
            return SDTArgument(text: currentText, size: size.size, isSigned: size.signed, location: location)
        }
        guard case let .register(register) = location else {
            throw fail("has no size ('N@' before the operand) and no register to take one from")
        }
        return SDTArgument(text: currentText, size: register.size, isSigned: false, location: location)
    }
}

// MARK: - x86-64 registers

/// x86-64 register names and the `struct pt_regs` member holding each.
private enum X86Registers {
    /// (field, size, bit offset) for a register name without its `%`.
    static func lookup(_ name: String) -> (String, Int, Int)? {
        if let entry = table[name] { return entry }
        // r8..r15 with their d/w/b (or l) suffixes.
        guard name.hasPrefix("r"), name.count >= 2 else { return nil }
        var digits = Substring(name.dropFirst())
        var size = 8
        switch digits.last {
        case "d": size = 4; digits = digits.dropLast()
        case "w": size = 2; digits = digits.dropLast()
        case "b", "l": size = 1; digits = digits.dropLast()
        default: break
        }
        guard let number = Int(digits), (8...15).contains(number), String(number) == digits else { return nil }
        return ("r\(number)", size, 0)
    }

    private static let table: [String: (String, Int, Int)] = {
        var table: [String: (String, Int, Int)] = [:]
        // The legacy registers: rax eax ax al ah, ...
        for (letter, field) in [("a", "ax"), ("b", "bx"), ("c", "cx"), ("d", "dx")] {
            table["r\(letter)x"] = (field, 8, 0)
            table["e\(letter)x"] = (field, 4, 0)
            table["\(letter)x"] = (field, 2, 0)
            table["\(letter)l"] = (field, 1, 0)
            table["\(letter)h"] = (field, 1, 8)
        }
        for pair in ["si", "di", "bp", "sp"] {
            table["r\(pair)"] = (pair, 8, 0)
            table["e\(pair)"] = (pair, 4, 0)
            table[pair] = (pair, 2, 0)
            table["\(pair)l"] = (pair, 1, 0)
        }
        table["rip"] = ("ip", 8, 0)
        table["eip"] = ("ip", 4, 0)
        return table
    }()
}

// MARK: - Characters

private func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }

private func decimalDigit(_ byte: UInt8) -> Int? {
    byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
}

private func hexDigit(_ byte: UInt8) -> Int? {
    if let digit = decimalDigit(byte) { return digit }
    let lower = byte | 0x20
    return lower >= 0x61 && lower <= 0x66 ? Int(lower - 0x61 + 10) : nil
}

private func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
}
