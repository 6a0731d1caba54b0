// MARK: - Building instructions by hand

/// The width of a memory access (the BPF_SIZE bits).
public enum AccessSize: UInt8, Sendable {
    /// BPF_W, 4 bytes.
    case word = 0x00
    /// BPF_H, 2 bytes.
    case half = 0x08
    /// BPF_B, 1 byte.
    case byte = 0x10
    /// BPF_DW, 8 bytes.
    case double = 0x18
}

/// A conditional jump's comparison (the BPF_OP bits of BPF_JMP).
public enum JumpCondition: UInt8, Sendable {
    /// BPF_JEQ: ==.
    case equal = 0x10
    /// BPF_JGT: unsigned >.
    case greater = 0x20
    /// BPF_JGE: unsigned >=.
    case greaterOrEqual = 0x30
    /// BPF_JSET: (dst & src) != 0.
    case bitsSet = 0x40
    /// BPF_JNE: !=.
    case notEqual = 0x50
    /// BPF_JSGT: signed >.
    case signedGreater = 0x60
    /// BPF_JSGE: signed >=.
    case signedGreaterOrEqual = 0x70
    /// BPF_JLT: unsigned <.
    case less = 0xa0
    /// BPF_JLE: unsigned <=.
    case lessOrEqual = 0xb0
    /// BPF_JSLT: signed <.
    case signedLess = 0xc0
    /// BPF_JSLE: signed <=.
    case signedLessOrEqual = 0xd0
}

/// Kernel helper function ids (enum bpf_func_id) for hand-written programs.
public enum HelperFunction: Int32, Sendable {
    /// bpf_map_lookup_elem(map, key) -> value pointer or NULL.
    case mapLookupElement = 1
    /// bpf_map_update_elem(map, key, value, flags).
    case mapUpdateElement = 2
    /// bpf_map_delete_elem(map, key).
    case mapDeleteElement = 3
    /// bpf_ktime_get_ns().
    case ktimeGetNanoseconds = 5
    /// bpf_get_current_pid_tgid(): tgid << 32 | pid.
    case getCurrentPIDTGID = 14
    /// bpf_get_stackid(ctx, map, flags).
    case getStackID = 27
    /// bpf_ringbuf_output(ringbuf, data, size, flags).
    case ringBufferOutput = 130
}

/// Static constructors for the instructions tests and probes assemble by
/// hand. Each returns the kernel encoding (class | size/source | operation).
extension Instruction {
    private static let classLoadRegister: UInt8 = 0x01
    private static let classStore: UInt8 = 0x02, classStoreRegister: UInt8 = 0x03
    private static let classJump: UInt8 = 0x05, classALU64: UInt8 = 0x07
    private static let modeMemory: UInt8 = 0x60, sourceRegister: UInt8 = 0x08
    private static let operationAdd: UInt8 = 0x00, operationMove: UInt8 = 0xb0, operationRightShift: UInt8 = 0x70
    private static let modeAtomic: UInt8 = 0xc0

    /// dst = imm (64-bit, sign-extended).
    public static func mov(_ destination: Register, _ immediate: Int32) -> Instruction {
        Instruction(opcode: classALU64 | operationMove, destination: destination.rawValue, immediate: immediate)
    }

    /// dst = src (64-bit).
    public static func mov(_ destination: Register, _ source: Register) -> Instruction {
        Instruction(opcode: classALU64 | operationMove | sourceRegister, destination: destination.rawValue,
                    source: source.rawValue)
    }

    /// dst += imm (64-bit).
    public static func add(_ destination: Register, _ immediate: Int32) -> Instruction {
        Instruction(opcode: classALU64 | operationAdd, destination: destination.rawValue, immediate: immediate)
    }

    /// dst += src (64-bit).
    public static func add(_ destination: Register, _ source: Register) -> Instruction {
        Instruction(opcode: classALU64 | operationAdd | sourceRegister, destination: destination.rawValue,
                    source: source.rawValue)
    }

    /// dst >>= imm (64-bit, logical).
    public static func rightShift(_ destination: Register, _ immediate: Int32) -> Instruction {
        Instruction(opcode: classALU64 | operationRightShift, destination: destination.rawValue, immediate: immediate)
    }

    /// dst = a 64-bit constant (two instructions).
    public static func loadImmediate64(_ destination: Register, _ value: UInt64) -> [Instruction] {
        [Instruction(opcode: Opcode.loadImmediate64, destination: destination.rawValue,
                     immediate: Int32(truncatingIfNeeded: value)),
         Instruction(opcode: 0, immediate: Int32(truncatingIfNeeded: value >> 32))]
    }

    /// dst = the map whose descriptor is `fd` (BPF_PSEUDO_MAP_FD; two instructions).
    public static func loadMapFD(_ destination: Register, _ fd: Int32) -> [Instruction] {
        [Instruction(opcode: Opcode.loadImmediate64, destination: destination.rawValue,
                     source: Opcode.pseudoMapFD, immediate: fd),
         Instruction(opcode: 0)]
    }

    /// Calls kernel helper `helper`; arguments in r1-r5, result in r0.
    public static func call(_ helper: HelperFunction) -> Instruction {
        Instruction(opcode: Opcode.call, immediate: helper.rawValue)
    }

    /// *(size *)(dst + offset) = src.
    public static func store(_ size: AccessSize, _ destination: Register, _ offset: Int16, _ source: Register) -> Instruction {
        Instruction(opcode: classStoreRegister | modeMemory | size.rawValue, destination: destination.rawValue,
                    source: source.rawValue, offset: offset)
    }

    /// *(size *)(dst + offset) = imm.
    public static func store(_ size: AccessSize, _ destination: Register, _ offset: Int16, _ immediate: Int32) -> Instruction {
        Instruction(opcode: classStore | modeMemory | size.rawValue, destination: destination.rawValue,
                    offset: offset, immediate: immediate)
    }

    /// *(size *)(dst + offset) += src, atomically (BPF_ATOMIC | BPF_ADD; word or double only).
    public static func atomicAdd(_ size: AccessSize, _ destination: Register, _ offset: Int16, _ source: Register) -> Instruction {
        Instruction(opcode: classStoreRegister | modeAtomic | size.rawValue, destination: destination.rawValue,
                    source: source.rawValue, offset: offset, immediate: Int32(operationAdd))
    }

    /// dst = *(size *)(src + offset).
    public static func load(_ size: AccessSize, _ destination: Register, _ source: Register, _ offset: Int16) -> Instruction {
        Instruction(opcode: classLoadRegister | modeMemory | size.rawValue, destination: destination.rawValue,
                    source: source.rawValue, offset: offset)
    }

    /// Jumps `offset` instructions forward (negative: backward) from the next one.
    public static func jump(_ offset: Int16) -> Instruction {
        Instruction(opcode: Opcode.jump, offset: offset)
    }

    /// Jumps `offset` instructions when `dst condition imm` holds.
    public static func jump(if destination: Register, _ condition: JumpCondition, _ immediate: Int32,
                            _ offset: Int16) -> Instruction {
        Instruction(opcode: classJump | condition.rawValue, destination: destination.rawValue,
                    offset: offset, immediate: immediate)
    }

    /// Jumps `offset` instructions when `dst condition src` holds.
    public static func jump(if destination: Register, _ condition: JumpCondition, _ source: Register,
                            _ offset: Int16) -> Instruction {
        Instruction(opcode: classJump | condition.rawValue | sourceRegister, destination: destination.rawValue,
                    source: source.rawValue, offset: offset)
    }

    /// Returns r0 to the caller.
    public static func exit() -> Instruction {
        Instruction(opcode: Opcode.exit)
    }
}
