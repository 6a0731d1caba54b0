import BTF

// MARK: - ProgramSpec

/// A program of the object, linked: its own instructions followed by every
/// `.text` subprogram it calls, with call offsets fixed, and the references
/// the loader must fill with map descriptors.
public struct ProgramSpec: Hashable, Sendable {
    /// The function's name (the `STT_FUNC` symbol).
    public var name: String
    /// The ELF section it came from, e.g. "tracepoint/sched/sched_process_exec".
    public var sectionName: String
    /// What the section name says: program type, expected attach type, target.
    public var section: ProgramSection
    /// The linked instructions.
    public var instructions: [Instruction]
    /// Instructions that load a map's fd or an address in a map's value.
    public var mapReferences: [MapReference]
    /// `bpf_func_info` records (instruction index, FUNC type ID), one per function, in order.
    public var functionInfo: [FunctionInfo]
    /// `bpf_line_info` records, sorted by instruction.
    public var lineInfo: [LineInfo]
    /// CO-RE relocations, with instruction indexes in the linked program.
    public var coreRelocations: [CORERelocation]
    /// The object's license string.
    public var license: String
}

/// An `ld_imm64` in a linked program that must point at a map.
public struct MapReference: Hashable, Sendable {
    /// Index of the `ld_imm64` (its first half) in the linked program.
    public var instructionIndex: Int
    /// The map's name (`MapSpec.name`).
    public var mapName: String
    /// nil to load the map's fd (BPF_PSEUDO_MAP_FD); an offset into entry 0's
    /// value for global data (BPF_PSEUDO_MAP_VALUE).
    public var valueOffset: Int?
}

/// One `bpf_func_info` record: where a function starts and its BTF FUNC type.
public struct FunctionInfo: Hashable, Sendable {
    /// Instruction index in the linked program.
    public var instructionIndex: Int
    /// The FUNC type's ID in the object's BTF.
    public var typeID: BTFTypeID
}

/// One `bpf_line_info` record: which source line an instruction comes from.
public struct LineInfo: Hashable, Sendable {
    /// Instruction index in the linked program.
    public var instructionIndex: Int
    /// Offset of the file name in the BTF string section.
    public var fileNameOffset: UInt32
    /// Offset of the source line's text in the BTF string section.
    public var lineOffset: UInt32
    /// Line number (upper 22 bits of `line_col`) and column (lower 10 bits).
    public var lineColumn: UInt32

    /// The source line number.
    public var line: Int { Int(lineColumn >> 10) }
    /// The source column.
    public var column: Int { Int(lineColumn & 0x3ff) }
}

/// One CO-RE relocation (`bpf_core_relo`) of a linked program.
public struct CORERelocation: Hashable, Sendable {
    /// Instruction index in the linked program.
    public var instructionIndex: Int
    /// The root type in the object's BTF.
    public var typeID: BTFTypeID
    /// The access string, e.g. "0:1:2" (member indexes from the root type).
    public var accessString: String
    /// `enum bpf_core_relo_kind` (0 field byte offset, 1 field byte size, ...).
    public var kind: UInt32
}
