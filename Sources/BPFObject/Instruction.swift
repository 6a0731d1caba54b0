// MARK: - Instruction

/// One eBPF instruction: the kernel's `struct bpf_insn`, 8 bytes.
///
/// A 64-bit immediate load (`ld_imm64`) takes two instructions; the second
/// has opcode 0 and carries the upper 32 bits in `immediate`.
public struct Instruction: Hashable, Sendable, CustomStringConvertible {
    /// The opcode byte: class, size/source and operation bits.
    public var opcode: UInt8
    /// Destination register, 0...10.
    public var destination: UInt8
    /// Source register, 0...10, or a pseudo value (map fd, map value, call kind).
    public var source: UInt8
    /// Signed offset: jump distance in instructions, or memory offset in bytes.
    public var offset: Int16
    /// Signed 32-bit immediate.
    public var immediate: Int32

    /// Creates an instruction from its fields.
    public init(opcode: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        self.opcode = opcode
        self.destination = destination
        self.source = source
        self.offset = offset
        self.immediate = immediate
    }

    /// Decodes one instruction from 8 little-endian bytes.
    public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8, Bytes.Index == Int {
        precondition(bytes.count >= 8, "an instruction is 8 bytes")
        let start = bytes.startIndex
        opcode = bytes[start]
        destination = bytes[start + 1] & 0x0f
        source = bytes[start + 1] >> 4
        offset = Int16(bitPattern: UInt16(bytes[start + 2]) | UInt16(bytes[start + 3]) << 8)
        immediate = Int32(bitPattern: UInt32(bytes[start + 4]) | UInt32(bytes[start + 5]) << 8
            | UInt32(bytes[start + 6]) << 16 | UInt32(bytes[start + 7]) << 24)
    }

    /// The 8 bytes the kernel expects.
    public var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset), imm = UInt32(bitPattern: immediate)
        return [opcode, (source << 4) | (destination & 0x0f),
                UInt8(truncatingIfNeeded: off), UInt8(truncatingIfNeeded: off >> 8),
                UInt8(truncatingIfNeeded: imm), UInt8(truncatingIfNeeded: imm >> 8),
                UInt8(truncatingIfNeeded: imm >> 16), UInt8(truncatingIfNeeded: imm >> 24)]
    }

    /// True for the first half of a 64-bit immediate load (BPF_LD | BPF_IMM | BPF_DW).
    public var isLoadImmediate64: Bool { opcode == Opcode.loadImmediate64 }

    /// True for a helper, kfunc or bpf-to-bpf call (BPF_JMP | BPF_CALL).
    public var isCall: Bool { opcode == Opcode.call }

    /// The fields in hex and decimal, for logs and test failures.
    public var description: String {
        "op=0x\(String(opcode, radix: 16)) dst=r\(destination) src=r\(source) off=\(offset) imm=\(immediate)"
    }
}

// MARK: - Opcodes and pseudo sources

/// Opcode bytes and `source` pseudo values from the kernel's UAPI that the
/// loader and the instruction builder need.
public enum Opcode {
    /// BPF_LD | BPF_IMM | BPF_DW: the first half of a 64-bit immediate load.
    public static let loadImmediate64: UInt8 = 0x18
    /// BPF_JMP | BPF_CALL.
    public static let call: UInt8 = 0x85
    /// BPF_JMP | BPF_EXIT.
    public static let exit: UInt8 = 0x95
    /// BPF_ALU64 | BPF_MOV | BPF_K.
    public static let mov64Immediate: UInt8 = 0xb7
    /// BPF_ALU64 | BPF_MOV | BPF_X.
    public static let mov64Register: UInt8 = 0xbf
    /// BPF_ALU64 | BPF_ADD | BPF_K.
    public static let add64Immediate: UInt8 = 0x07
    /// BPF_ALU64 | BPF_ADD | BPF_X.
    public static let add64Register: UInt8 = 0x0f
    /// BPF_STX | BPF_MEM | BPF_DW.
    public static let storeRegister64: UInt8 = 0x7b
    /// BPF_STX | BPF_MEM | BPF_W.
    public static let storeRegister32: UInt8 = 0x63
    /// BPF_ST | BPF_MEM | BPF_W.
    public static let storeImmediate32: UInt8 = 0x62
    /// BPF_ST | BPF_MEM | BPF_DW.
    public static let storeImmediate64: UInt8 = 0x7a
    /// BPF_LDX | BPF_MEM | BPF_DW.
    public static let loadRegister64: UInt8 = 0x79
    /// BPF_LDX | BPF_MEM | BPF_W.
    public static let loadRegister32: UInt8 = 0x61
    /// BPF_JMP | BPF_JEQ | BPF_K.
    public static let jumpIfEqualImmediate: UInt8 = 0x15
    /// BPF_JMP | BPF_JA.
    public static let jump: UInt8 = 0x05

    /// `source` of an ld_imm64 whose immediate is a map fd (BPF_PSEUDO_MAP_FD).
    public static let pseudoMapFD: UInt8 = 1
    /// `source` of an ld_imm64 whose immediate is a map fd and whose second
    /// immediate is an offset into its value (BPF_PSEUDO_MAP_VALUE).
    public static let pseudoMapValue: UInt8 = 2
    /// `source` of a call to a bpf-to-bpf function (BPF_PSEUDO_CALL).
    public static let pseudoCall: UInt8 = 1
    /// `source` of a call to a kernel function (BPF_PSEUDO_KFUNC_CALL).
    public static let pseudoKfuncCall: UInt8 = 2
}
