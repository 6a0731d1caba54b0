import BPFObject
import BTF
import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A program loaded into the kernel, owned: its descriptor closes on
/// `close()` or when the last reference goes away.
public final class Program: Sendable, CustomStringConvertible {
    /// The program's descriptor.
    public let fd: OwnedFD
    /// The name it was loaded with (the kernel keeps at most 15 characters).
    public let name: String
    /// The program type.
    public let type: ProgramType
    /// The kernel's id for the program.
    public let id: UInt32
    /// The program's tag: a hash of its instructions, 16 hex digits (as bpftool shows it).
    public let tag: String
    /// The verifier's log of a successful load when `logLevel` was above 0, else "".
    public let verifierLog: String

    /// Loads a program (BPF_PROG_LOAD).
    ///
    /// When the kernel refuses it, the load is repeated with a verifier log
    /// (growing the buffer until the whole log fits) and the error carries it.
    ///
    /// - Parameters:
    ///   - license: "GPL" (or a compatible license) unlocks GPL-only helpers.
    ///   - expectedAttachType: needed by types with several attach kinds (fentry/fexit, cgroup hooks).
    ///   - attachBTFID: the BTF id of the attach target (fentry, tp_btf, lsm).
    ///   - attachBTFObject: the BTF object holding `attachBTFID` when it is a module's, not vmlinux's.
    ///   - kernelVersion: LINUX_VERSION_CODE, which kernels before 5.0 check for kprobes; 0 means the running kernel's.
    ///   - btf: BTF with func_info and line_info, from the object file.
    ///   - logLevel: 0 for no log on success; 1 or 2 to keep the verifier's log in `verifierLog`.
    /// - Throws: `BPFError.verifierRejected` with the log, `.permissionDenied`,
    ///   `.invalidArgument` naming the program, or the kernel's error.
    public init(type: ProgramType, instructions: [Instruction], license: String, name: String = "",
                expectedAttachType: AttachType? = nil, attachBTFID: BTFTypeID = .void, attachBTFObject: OwnedFD? = nil,
                kernelVersion: UInt32 = 0, btf: ProgramBTF? = nil, logLevel: UInt32 = 0, flags: UInt32 = 0) throws(BPFError) {
        self.type = type
        self.name = name
        let object = "\(type) program '\(name)'"
        guard !instructions.isEmpty else {
            throw BPFError.invalidArgument(operation: "load", object: object, detail: "the program has no instructions")
        }
        var attr = bpf_attr()
        attr.prog_type = type.rawValue
        attr.insn_cnt = UInt32(instructions.count)
        attr.kern_version = kernelVersion != 0 ? kernelVersion : KernelVersion.current.code
        attr.prog_flags = flags
        attr.expected_attach_type = expectedAttachType?.rawValue ?? 0
        attr.attach_btf_id = attachBTFID.rawValue
        attr.attach_btf_obj_fd = UInt32(bitPattern: attachBTFObject?.rawValue ?? 0)
        withUnsafeMutableBytes(of: &attr.prog_name) { KernelName.copy(name, into: $0) }
        if let btf {
            attr.prog_btf_fd = UInt32(bitPattern: btf.fd.rawValue)
            if !btf.funcInfo.isEmpty {
                attr.func_info_rec_size = btf.funcInfoRecordSize
                attr.func_info_cnt = UInt32(btf.funcInfo.count / Int(max(btf.funcInfoRecordSize, 1)))
            }
            if !btf.lineInfo.isEmpty {
                attr.line_info_rec_size = btf.lineInfoRecordSize
                attr.line_info_cnt = UInt32(btf.lineInfo.count / Int(max(btf.lineInfoRecordSize, 1)))
            }
        }
        let code = instructions.flatMap(\.bytes)
        let loaded = try Program.load(attr, code: code, license: license, btf: btf, logLevel: logLevel, object: object,
                                      programName: name)
        fd = loaded.fd
        verifierLog = loaded.log
        withExtendedLifetime((attachBTFObject, btf)) {}

        var info = bpf_prog_info()
        _ = try withUnsafeMutableBytes(of: &info) { (buffer) throws(BPFError) in try Syscall.objectInfo(fd: loaded.fd.rawValue, into: buffer, object: object) }
        id = info.id
        tag = withUnsafeBytes(of: info.tag) { $0.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
    }

    /// Closes the program's descriptor now; links keep the program alive in the kernel.
    public func close() { fd.close() }

    /// A readable summary for messages and logs.
    public var description: String { "\(type) program '\(name)' (id \(id), tag \(tag))" }

    // MARK: - Test runs

    /// Runs the program in the kernel on `data` (BPF_PROG_TEST_RUN) without attaching it.
    ///
    /// - Parameters:
    ///   - data: packet data for network program types; empty for raw tracepoints and syscall programs.
    ///   - repeat: how many times to run; the duration is the average. Raw tracepoint and
    ///     syscall programs run exactly once.
    ///   - context: the context (e.g. raw tracepoint arguments, a syscall program's argument), or nil.
    ///   - dataOutCapacity: room for the output packet; defaults to the input size plus 256 bytes.
    public func testRun(data: [UInt8] = [], repeat: UInt32 = 1, context: [UInt8]? = nil,
                        dataOutCapacity: Int? = nil, flags: UInt32 = 0) throws(BPFError) -> TestRunResult {
        let object = "\(type) program '\(name)'"
        // These types reject repeat and ctx_out; a syscall program's context is written back in place.
        let runsOnce = type == .rawTracepoint || type == .syscall
        if runsOnce && `repeat` > 1 {
            throw BPFError.invalidArgument(operation: "test run", object: object,
                                           detail: "\(type) programs run once per test run; repeat must be 1")
        }
        var dataOut = [UInt8](repeating: 0, count: data.isEmpty ? 0 : (dataOutCapacity ?? data.count + 256))
        var contextIn = context ?? []
        var contextOut = [UInt8](repeating: 0, count: runsOnce ? 0 : contextIn.count)
        var attr = bpf_attr()
        try data.withBytes { (dataBytes) throws(BPFError) in
            try dataOut.withMutableBytes { (dataOutBytes) throws(BPFError) in
                try contextIn.withMutableBytes { (contextBytes) throws(BPFError) in
                    try contextOut.withMutableBytes { (contextOutBytes) throws(BPFError) in
                        attr.test.prog_fd = UInt32(bitPattern: fd.rawValue)
                        attr.test.repeat = runsOnce ? 0 : `repeat`
                        attr.test.flags = flags
                        if !data.isEmpty {
                            attr.test.data_in = Syscall.address(dataBytes.baseAddress)
                            attr.test.data_size_in = UInt32(dataBytes.count)
                            attr.test.data_out = Syscall.address(dataOutBytes.baseAddress)
                            attr.test.data_size_out = UInt32(dataOutBytes.count)
                        }
                        if !contextBytes.isEmpty {
                            attr.test.ctx_in = Syscall.address(contextBytes.baseAddress)
                            attr.test.ctx_size_in = UInt32(contextBytes.count)
                        }
                        if !contextOutBytes.isEmpty {
                            attr.test.ctx_out = Syscall.address(contextOutBytes.baseAddress)
                            attr.test.ctx_size_out = UInt32(contextOutBytes.count)
                        }
                        try Syscall.progTestRun(&attr, object: object)
                    }
                }
            }
        }
        return TestRunResult(
            retval: attr.test.retval,
            duration: .nanoseconds(Int64(attr.test.duration)),
            dataOut: Array(dataOut.prefix(Int(attr.test.data_size_out))),
            contextOut: runsOnce ? (type == .syscall ? contextIn : []) : Array(contextOut.prefix(Int(attr.test.ctx_size_out))))
    }

    // MARK: - Loading with the verifier log

    /// The first verifier log buffer; it grows 4x on each truncation.
    static let initialLogSize = 256 * 1024

    private static func load(_ template: bpf_attr, code: [UInt8], license: String, btf: ProgramBTF?, logLevel: UInt32,
                             object: String, programName: String) throws(BPFError) -> (fd: OwnedFD, log: String) {
        var logSize = logLevel > 0 ? initialLogSize : 0
        var level = logLevel
        while true {
            var log = [CChar](repeating: 0, count: logSize)
            let outcome = attempt(template, code: code, license: license, btf: btf, logLevel: level, log: &log)
            switch outcome {
            case .success(let fd):
                return (fd, logSize > 0 && logLevel > 0 ? Syscall.logText(log) : "")
            case .failure(let error) where error.rawValue == EPERM:
                throw BPFError.permissionDenied(operation: "load \(object)")
            case .failure where logSize == 0:
                // Load again, this time asking the verifier to explain.
                logSize = initialLogSize
                level = 1
            case .failure(let error) where error.rawValue == ENOSPC && logSize < Syscall.maximumLogSize:
                logSize *= 4
            case .failure(let error):
                let text = Syscall.logText(log)
                if !text.isEmpty { throw BPFError.verifierRejected(program: programName, log: text) }
                switch error.rawValue {
                case E2BIG:
                    throw BPFError.invalidArgument(operation: "load", object: object,
                                                   detail: "too many instructions (\(code.count / 8)) or attributes unknown to this kernel (E2BIG)")
                default:
                    throw error.error(operation: "load", object: object, invalidDetail:
                        "the kernel rejected the program type, attach type or attributes (EINVAL, no verifier log)")
                }
            }
        }
    }

    private static func attempt(_ template: bpf_attr, code: [UInt8], license: String, btf: ProgramBTF?,
                                logLevel: UInt32, log: inout [CChar]) -> Result<OwnedFD, Errno> {
        let funcInfo = btf?.funcInfo ?? [], lineInfo = btf?.lineInfo ?? []
        return code.withUnsafeBytes { codeBytes in
            license.withCString { licensePointer in
                funcInfo.withUnsafeBytes { funcInfoBytes in
                    lineInfo.withUnsafeBytes { lineInfoBytes in
                        log.withUnsafeMutableBufferPointer { logBuffer in
                            var attr = template
                            attr.insns = Syscall.address(codeBytes.baseAddress)
                            attr.license = Syscall.address(licensePointer)
                            if !funcInfo.isEmpty { attr.func_info = Syscall.address(funcInfoBytes.baseAddress) }
                            if !lineInfo.isEmpty { attr.line_info = Syscall.address(lineInfoBytes.baseAddress) }
                            if logBuffer.count > 0 {
                                attr.log_level = logLevel
                                attr.log_buf = Syscall.address(logBuffer.baseAddress)
                                attr.log_size = UInt32(logBuffer.count)
                            }
                            return Result { () throws(Errno) in try Syscall.progLoad(&attr) }
                        }
                    }
                }
            }
        }
    }
}
