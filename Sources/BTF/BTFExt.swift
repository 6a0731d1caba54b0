// MARK: - BTFExt

/// The decoded `.BTF.ext` section of a BPF object: per ELF section, the
/// function info, line info and CO-RE relocation records clang emitted.
///
/// Instruction offsets are in bytes from the start of the ELF section, as
/// stored; names (of sections, files, access strings) are offsets into the
/// string section of the object's `.BTF`.
public struct BTFExt: Sendable, Equatable {
    /// A `bpf_func_info` record.
    public struct FunctionRecord: Sendable, Equatable {
        /// Byte offset of the function's first instruction in its section.
        public var instructionOffset: UInt32
        /// The FUNC type's ID.
        public var typeID: BTFTypeID
    }

    /// A `bpf_line_info` record.
    public struct LineRecord: Sendable, Equatable {
        /// Byte offset of the instruction in its section.
        public var instructionOffset: UInt32
        /// String offset of the source file's name.
        public var fileNameOffset: UInt32
        /// String offset of the source line's text.
        public var lineOffset: UInt32
        /// Line number << 10 | column.
        public var lineColumn: UInt32
    }

    /// A `bpf_core_relo` record.
    public struct CORERecord: Sendable, Equatable {
        /// Byte offset of the relocated instruction in its section.
        public var instructionOffset: UInt32
        /// The root type's ID.
        public var typeID: BTFTypeID
        /// String offset of the access string ("0:1:2").
        public var accessStringOffset: UInt32
        /// `enum bpf_core_relo_kind`.
        public var kind: UInt32
    }

    /// The records of one ELF section.
    public struct Section<Record: Sendable & Equatable>: Sendable, Equatable {
        /// String offset of the ELF section's name.
        public var nameOffset: UInt32
        /// The records, in file order.
        public var records: [Record]
    }

    /// Function info, per section.
    public var functionInfo: [Section<FunctionRecord>]
    /// Line info, per section.
    public var lineInfo: [Section<LineRecord>]
    /// CO-RE relocations, per section (empty when the header has no CO-RE part).
    public var coreRelocations: [Section<CORERecord>]

    /// Decodes a little-endian `.BTF.ext` section.
    public init(bytes input: some Collection<UInt8>) throws(BTFError) {
        let bytes = [UInt8](input)
        let reader = ExtReader(bytes: bytes)
        let magic = try reader.u16(0, "BTF.ext header")
        guard magic == BTFHeader.magic else { throw .badMagic(found: magic) }
        let version = try reader.u8(2, "BTF.ext header")
        guard version == 1 else { throw .unsupportedVersion(version) }
        let headerLength = Int(try reader.u32(4, "BTF.ext header"))
        guard headerLength >= 24 else {
            throw .badHeader("BTF.ext header length \(headerLength) is smaller than 24")
        }
        try reader.check("BTF.ext header", offset: 0, length: headerLength)
        func part(_ at: Int) throws(BTFError) -> (offset: Int, length: Int) {
            (headerLength + Int(try reader.u32(at, "BTF.ext header")), Int(try reader.u32(at + 4, "BTF.ext header")))
        }
        let functions = try part(8), lines = try part(16)
        functionInfo = try reader.sections(functions, "func_info", minimumRecordSize: 8) { (at: Int) throws(BTFError) in
            FunctionRecord(instructionOffset: try reader.u32(at, "func_info"), typeID: BTFTypeID(try reader.u32(at + 4, "func_info")))
        }
        lineInfo = try reader.sections(lines, "line_info", minimumRecordSize: 16) { (at: Int) throws(BTFError) in
            LineRecord(instructionOffset: try reader.u32(at, "line_info"), fileNameOffset: try reader.u32(at + 4, "line_info"),
                       lineOffset: try reader.u32(at + 8, "line_info"), lineColumn: try reader.u32(at + 12, "line_info"))
        }
        if headerLength >= 32 {
            coreRelocations = try reader.sections(try part(24), "core_relo", minimumRecordSize: 16) { (at: Int) throws(BTFError) in
                CORERecord(instructionOffset: try reader.u32(at, "core_relo"), typeID: BTFTypeID(try reader.u32(at + 4, "core_relo")),
                           accessStringOffset: try reader.u32(at + 8, "core_relo"), kind: try reader.u32(at + 12, "core_relo"))
            }
        } else {
            coreRelocations = []
        }
    }
}

// MARK: - Reading

/// Bounds-checked little-endian reads for `.BTF.ext`.
private struct ExtReader {
    let bytes: [UInt8]

    func check(_ what: String, offset: Int, length: Int) throws(BTFError) {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw .truncated(what: what, offset: offset, needed: length, available: bytes.count)
        }
    }

    func u8(_ at: Int, _ what: String) throws(BTFError) -> UInt8 {
        try check(what, offset: at, length: 1)
        return bytes[at]
    }

    func u16(_ at: Int, _ what: String) throws(BTFError) -> UInt16 {
        try check(what, offset: at, length: 2)
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int, _ what: String) throws(BTFError) -> UInt32 {
        try check(what, offset: at, length: 4)
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// Decodes one info part: a record size, then per ELF section a name
    /// offset, a count and that many records.
    func sections<Record>(_ part: (offset: Int, length: Int), _ what: String, minimumRecordSize: Int,
                          _ record: (Int) throws(BTFError) -> Record) throws(BTFError) -> [BTFExt.Section<Record>] {
        guard part.length > 0 else { return [] }
        try check(what, offset: part.offset, length: part.length)
        let end = part.offset + part.length
        let recordSize = Int(try u32(part.offset, what))
        guard recordSize >= minimumRecordSize else {
            throw .badHeader("\(what) record size \(recordSize) is smaller than \(minimumRecordSize)")
        }
        var result: [BTFExt.Section<Record>] = []
        var at = part.offset + 4
        while at < end {
            guard end - at >= 8 else { throw .truncated(what: "\(what) section header", offset: at, needed: 8, available: end) }
            let nameOffset = try u32(at, what)
            let count = Int(try u32(at + 4, what))
            at += 8
            guard count <= (end - at) / recordSize else {
                // Both come from the file as 32-bit values: their product can pass Int.max.
                let (needed, overflow) = count.multipliedReportingOverflow(by: recordSize)
                throw .truncated(what: "\(what) records (\(count) of \(recordSize) bytes)", offset: at,
                                 needed: overflow ? .max : needed, available: end)
            }
            var records: [Record] = []
            records.reserveCapacity(count)
            for i in 0..<count { records.append(try record(at + i * recordSize)) }
            at += count * recordSize
            result.append(BTFExt.Section(nameOffset: nameOffset, records: records))
        }
        return result
    }
}
