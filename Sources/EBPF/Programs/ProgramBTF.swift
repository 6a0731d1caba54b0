/// The BTF a program is loaded with: the object's BTF plus its .BTF.ext
/// function and line records for this program, so the verifier log, bpftool
/// and stack traces can name functions and source lines.
public struct ProgramBTF: Sendable {
    /// The loaded BTF object (BPF_BTF_LOAD).
    public var fd: OwnedFD
    /// bpf_func_info records, `funcInfoRecordSize` bytes each, instruction offsets relative to this program.
    public var funcInfo: [UInt8]
    /// The size of one func_info record as .BTF.ext states it.
    public var funcInfoRecordSize: UInt32
    /// bpf_line_info records, `lineInfoRecordSize` bytes each.
    public var lineInfo: [UInt8]
    /// The size of one line_info record as .BTF.ext states it.
    public var lineInfoRecordSize: UInt32

    /// Bundles a BTF object with a program's func_info and line_info records.
    public init(fd: OwnedFD, funcInfo: [UInt8] = [], funcInfoRecordSize: UInt32 = 8,
                lineInfo: [UInt8] = [], lineInfoRecordSize: UInt32 = 16) {
        self.fd = fd
        self.funcInfo = funcInfo
        self.funcInfoRecordSize = funcInfoRecordSize
        self.lineInfo = lineInfo
        self.lineInfoRecordSize = lineInfoRecordSize
    }
}
