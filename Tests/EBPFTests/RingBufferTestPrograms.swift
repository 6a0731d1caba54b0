import BPFObject
@testable import EBPF

/// Hand-assembled socket filter programs that produce ring buffer and perf
/// buffer records when run with BPF_PROG_TEST_RUN, one record per run.
///
/// Every program first takes a sequence number from `counters[0].sequence`
/// (an atomic fetch-add), so each record is distinct and ordered, and counts
/// a failed output or reservation in `counters[0].lost`.
struct RecordProducer {
    /// How a program hands its record to the ring.
    enum Kind {
        /// bpf_ringbuf_output of the record from the stack.
        case output
        /// bpf_ringbuf_reserve, then bpf_ringbuf_submit.
        case submit
        /// bpf_ringbuf_reserve, then bpf_ringbuf_discard.
        case discard
        /// bpf_ringbuf_query(BPF_RB_RING_SIZE) as the record, by output.
        case querySize
        /// bpf_perf_event_output on the current CPU.
        case perfOutput
    }

    /// Array map with one 16-byte value: { u64 sequence; u64 lost; }.
    let counters: Map
    let program: Program

    /// Builds a producer of `recordSize`-byte records (a multiple of 8, at
    /// most 256) into `ring` (a ring buffer or, for `.perfOutput`, a perf
    /// event array), passing `flags` to output/submit/discard.
    init(kind: Kind, ring: Map, recordSize: Int = 8, flags: UInt64 = 0) throws {
        precondition(recordSize % 8 == 0 && recordSize > 0 && recordSize <= 256)
        counters = try Map(type: .array, name: "rb_counters", keySize: 4, valueSize: 16, maxEntries: 1)
        let data = Int16(-8 - recordSize)
        var code: [Instruction] = []
        // r6 = ctx; r7 = &counters[0]; r8 = sequence++.
        code.append(.mov(.r6, .r1))
        code.append(.store(.word, .r10, -4, 0))
        code += Instruction.loadMapFD(.r1, counters.fd.rawValue)
        code.append(.mov(.r2, .r10))
        code.append(.add(.r2, -4))
        code.append(.call(.mapLookupElement))
        let lookupCheck = code.count
        code.append(.exit()) // patched: if r0 == 0 goto out
        code.append(.mov(.r7, .r0))
        code.append(.mov(.r8, 1))
        code.append(Self.atomicAdd(into: .r7, offset: 0, from: .r8, fetch: true))
        var failureJumps: [Int] = []
        switch kind {
        case .output, .querySize, .perfOutput:
            for slot in stride(from: 0, to: recordSize, by: 8) {
                code.append(.store(.double, .r10, data + Int16(slot), .r8))
            }
            if kind == .querySize {
                code += Instruction.loadMapFD(.r1, ring.fd.rawValue)
                code.append(.mov(.r2, 1)) // BPF_RB_RING_SIZE
                code.append(Self.call(134))
                code.append(.store(.double, .r10, data, .r0))
            }
            if kind == .perfOutput {
                code.append(.mov(.r1, .r6))
                code += Instruction.loadMapFD(.r2, ring.fd.rawValue)
                code += Instruction.loadImmediate64(.r3, 0xffff_ffff) // BPF_F_CURRENT_CPU
                code.append(.mov(.r4, .r10))
                code.append(.add(.r4, Int32(data)))
                code.append(.mov(.r5, Int32(recordSize)))
                code.append(Self.call(25))
            } else {
                code += Instruction.loadMapFD(.r1, ring.fd.rawValue)
                code.append(.mov(.r2, .r10))
                code.append(.add(.r2, Int32(data)))
                code.append(.mov(.r3, Int32(recordSize)))
                code += Instruction.loadImmediate64(.r4, flags)
                code.append(Self.call(130))
            }
            failureJumps.append(code.count)
            code.append(.exit()) // patched: if r0 != 0 goto lost
            code.append(.jump(0)) // patched: goto out
        case .submit, .discard:
            code += Instruction.loadMapFD(.r1, ring.fd.rawValue)
            code.append(.mov(.r2, Int32(recordSize)))
            code.append(.mov(.r3, 0))
            code.append(Self.call(131))
            failureJumps.append(code.count)
            code.append(.exit()) // patched: if r0 == 0 goto lost
            code.append(.store(.double, .r0, 0, .r8))
            code.append(.mov(.r1, .r0))
            code += Instruction.loadImmediate64(.r2, flags)
            code.append(Self.call(kind == .submit ? 132 : 133))
            code.append(.jump(0)) // patched: goto out
        }
        let skipLost = code.count - 1
        let lost = code.count
        code.append(.mov(.r1, 1))
        code.append(Self.atomicAdd(into: .r7, offset: 8, from: .r1, fetch: false))
        let out = code.count
        code.append(.mov(.r0, 0))
        code.append(.exit())

        func offset(from index: Int, to target: Int) -> Int16 { Int16(target - index - 1) }
        code[lookupCheck] = .jump(if: .r0, .equal, 0, offset(from: lookupCheck, to: out))
        for index in failureJumps {
            let condition: JumpCondition = (kind == .submit || kind == .discard) ? .equal : .notEqual
            code[index] = .jump(if: .r0, condition, 0, offset(from: index, to: lost))
        }
        code[skipLost] = .jump(offset(from: skipLost, to: out))
        program = try Program(type: .socketFilter, instructions: code, license: "GPL", name: "rb_producer")
    }

    /// Runs the program `times` times in the kernel (one record each).
    func run(times: UInt32 = 1) throws {
        _ = try program.testRun(data: [UInt8](repeating: 0, count: 64), repeat: times)
    }

    /// Records produced so far (successful or not).
    func produced() throws -> UInt64 { try counter(at: 0) }

    /// Records the program could not hand to the ring.
    func lost() throws -> UInt64 { try counter(at: 8) }

    private func counter(at offset: Int) throws -> UInt64 {
        guard let value = try counters.lookup(key: [0, 0, 0, 0]) else {
            throw BPFError.notFound(what: "counters[0] of the producer")
        }
        return value[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// lock *(u64 *)(dst + offset) += src, optionally fetching the old value into src.
    private static func atomicAdd(into destination: Register, offset: Int16, from source: Register, fetch: Bool) -> Instruction {
        Instruction(opcode: 0xdb, destination: destination.rawValue, source: source.rawValue,
                    offset: offset, immediate: fetch ? 0x01 : 0x00)
    }

    /// A helper call by id, for helpers `HelperFunction` does not name.
    private static func call(_ helper: Int32) -> Instruction {
        Instruction(opcode: Opcode.call, immediate: helper)
    }
}
