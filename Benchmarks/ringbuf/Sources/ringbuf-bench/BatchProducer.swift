import BPFObject
import EBPF

/// The benchmark's producer, as the kernel's bench_ringbufs has it: one run
/// of a BPF program (here a socket filter started by BPF_PROG_TEST_RUN)
/// emits a batch of records in a loop, reserve + submit for a ring buffer or
/// bpf_perf_event_output (from a per-CPU scratch value) for a perf buffer,
/// and counts the records it could not hand over in `counters[0]`. Each
/// record starts with its index in the batch.
struct BatchProducer {
    /// Where the records go.
    enum Target {
        case ringBuffer
        case perfBuffer
    }

    /// Array map, one u64: records dropped because the buffer was full.
    let counters: Map
    let program: Program
    /// Per-CPU array with one `recordSize`-byte value: the perf producer's record.
    let scratch: Map
    let batch: Int

    init(target: Target, buffer: Map, batch: Int, recordSize: Int) throws {
        counters = try Map(type: .array, name: "bench_lost", keySize: 4, valueSize: 8, maxEntries: 1)
        scratch = try Map(type: .perCPUArray, name: "bench_scratch", keySize: 4, valueSize: recordSize, maxEntries: 1)
        self.batch = batch
        var code: [Instruction] = [.mov(.r6, .r1), .store(.word, .r10, -4, 0)]
        code += Instruction.loadMapFD(.r1, counters.fd.rawValue)
        code += [.mov(.r2, .r10), .add(.r2, -4), .call(.mapLookupElement)]
        let lookupCheck = code.count
        code += [.exit(), .mov(.r7, .r0)]
        code += Instruction.loadMapFD(.r1, scratch.fd.rawValue)
        code += [.mov(.r2, .r10), .add(.r2, -4), .call(.mapLookupElement)]
        let scratchCheck = code.count
        code += [.exit(), .mov(.r8, .r0), .mov(.r9, 0)]
        let loop = code.count
        let failureCheck: Int
        switch target {
        case .ringBuffer:
            code += Instruction.loadMapFD(.r1, buffer.fd.rawValue)
            code += [.mov(.r2, Int32(recordSize)), .mov(.r3, 0), Self.call(131)]
            failureCheck = code.count
            code += [.exit(), .store(.double, .r0, 0, .r9), .mov(.r1, .r0), .mov(.r2, 0), Self.call(132)]
        case .perfBuffer:
            code += [.store(.double, .r8, 0, .r9), .mov(.r1, .r6)]
            code += Instruction.loadMapFD(.r2, buffer.fd.rawValue)
            code += Instruction.loadImmediate64(.r3, 0xffff_ffff) // BPF_F_CURRENT_CPU
            code += [.mov(.r4, .r8), .mov(.r5, Int32(recordSize)), Self.call(25)]
            failureCheck = code.count
            code += [.exit()]
        }
        let skipDrop = code.count
        code += [.exit()]
        let drop = code.count
        code += [.mov(.r1, 1), Instruction(opcode: 0xdb, destination: Register.r7.rawValue, source: Register.r1.rawValue)]
        let next = code.count
        code += [.add(.r9, 1), .exit()]
        let loopCheck = code.count - 1
        let out = code.count
        code += [.mov(.r0, 0), .exit()]

        func offset(_ from: Int, _ to: Int) -> Int16 { Int16(to - from - 1) }
        code[lookupCheck] = .jump(if: .r0, .equal, 0, offset(lookupCheck, out))
        code[scratchCheck] = .jump(if: .r0, .equal, 0, offset(scratchCheck, out))
        code[failureCheck] = target == .ringBuffer
            ? .jump(if: .r0, .equal, 0, offset(failureCheck, drop))
            : .jump(if: .r0, .notEqual, 0, offset(failureCheck, drop))
        code[skipDrop] = .jump(offset(skipDrop, next))
        code[loopCheck] = .jump(if: .r9, .less, Int32(batch), offset(loopCheck, loop))
        program = try Program(type: .socketFilter, instructions: code, license: "GPL", name: "bench_producer")
    }

    private static let packet = [UInt8](repeating: 0, count: 64)

    /// Emits one batch.
    func trigger() throws {
        _ = try program.testRun(data: Self.packet)
    }

    /// Records dropped so far.
    func dropped() throws -> UInt64 {
        guard let value = try counters.lookup(key: [0, 0, 0, 0]) else { return 0 }
        return value.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Sets the drop count back to zero.
    func resetDropped() throws {
        try counters.update(key: [0, 0, 0, 0], value: [UInt8](repeating: 0, count: 8))
    }

    private static func call(_ helper: Int32) -> Instruction {
        Instruction(opcode: Opcode.call, immediate: helper)
    }
}
